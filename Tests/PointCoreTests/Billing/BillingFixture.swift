import PointCore

/// Shorthands for billing tests.
enum BillingFixture {
    static let merchantID = "1650000001"
    static let taxID = "04595257"

    static func month(_ text: String) -> BillingMonth {
        // Test literals are well-formed; a typo fails loudly through the fallback month.
        (try? BillingMonth(parsing: text)) ?? BillingMonth.fallback
    }

    /// Noon Asia/Taipei on `day` of `month`.
    static func time(_ text: String, day: Int = 10) -> Int64 {
        month(text).startInstant + Int64(day - 1) * 86_400_000_000 + 12 * 3_600_000_000
    }

    static func profile(_ merchantID: String = merchantID, start: String = "2025-09", priceTenths: Int64 = 11,
                        mode: BillingMode = .billable) throws -> MerchantBillingProfile {
        MerchantBillingProfile(merchantID: merchantID, taxID: taxID, merchantName: "Formosa Rewards Co.",
                               contractStart: month(start), unitPrice: try UnitPrice(tenths: priceTenths), mode: mode)
    }

    /// A merchant whose first contract year's fee was already charged (contract year 0 runs
    /// 2025-09 … 2026-08 for the default profile).
    static let feePaidForFirstYear = MerchantBillingState(creditBalance: 0, platformFeeChargedThroughContractYear: 0, mode: .billable)

    /// The lines of an invoice as (type, quantity, unit price tenths, net).
    static func summary(_ invoice: Invoice?) -> [String] {
        (invoice?.lines ?? []).map { "\($0.type.rawValue) \($0.quantity)×\($0.unitPriceTenths) = \($0.netAmount)" }
    }
}

extension BillingMonth {
    static let fallback: BillingMonth = {
        guard let month = BillingMonth(ordinal: 1970 * 12) else { preconditionFailure("1970-01 is supported") }
        return month
    }()
}

/// SplitMix64, seeded, so a failing history reproduces.
struct BillingRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var value = state
        value = (value ^ (value >> 30)) &* 0xbf58_476d_1ce4_e5b9
        value = (value ^ (value >> 27)) &* 0x94d0_49bb_1331_11eb
        return value ^ (value >> 31)
    }
}
