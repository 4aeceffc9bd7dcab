import PointCore
import Testing

@Suite("Billing over random histories")
struct BillingPropertyTests {
    typealias F = BillingFixture

    struct ModelRevocation {
        var merchant: Int
        var points: Int64
        var priceTenths: Int64
        var standing = false
    }

    /// Random grants, revocations (of this and earlier months' grants) and findings (before and
    /// after close, withdrawn) over two years for three merchants: the invoices add up to the
    /// exact rule — (granted − credited revocations) × price + fees, late adjustments netting
    /// out — within the documented half-up rounding of each line; tax recomputes on every
    /// invoice; invoice numbers are gapless.
    @Test("Invoices add up to the exact rule", arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func invoicesAddUp(seed: UInt64) throws {
        var random = BillingRandom(state: seed)
        let prices: [Int64] = [11, 12, 10, 20]
        let merchants = ["1650000001", "1650000002", "1650000003"]
        var book = SettlementBook()
        var priceOf: [Int64] = []
        var profiles: [MerchantBillingProfile] = []
        for (index, merchantID) in merchants.enumerated() {
            let price = prices[Int.random(in: 0..<prices.count, using: &random)]
            priceOf.append(price)
            let start = F.month("2026-01").adding(months: Int.random(in: -11...6, using: &random)) ?? F.month("2026-01")
            let profile = try F.profile(merchantID, start: start.description, priceTenths: price,
                                        mode: index == 2 ? .sandboxStatement : .billable)
            profiles.append(profile)
            book.setProfile(profile)
        }
        var granted = [Int64](repeating: 0, count: merchants.count)
        var grantPool: [(merchant: Int, period: BillingMonth, remaining: Int64)] = []
        var revocations: [String: ModelRevocation] = [:]
        var revocationIDs: [String] = []
        var invoices: [Invoice] = []
        var seq: UInt64 = 0
        let first = F.month("2026-01")
        var month = first
        let monthCount = 24
        for index in 0...monthCount {
            let active = index < monthCount
            // Day 1–2: findings land before the previous month is closed on day 3.
            if !revocationIDs.isEmpty {
                for _ in 0..<Int.random(in: 0...2, using: &random) {
                    try toggleFinding(&book, &revocations, revocationIDs, &random, &seq, at: F.time(month.description, day: 2))
                }
            }
            if let previous = month.previous, previous >= first {
                invoices += try book.close(previous, now: F.time(month.description, day: 3))
            }
            guard active else { break }
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                let merchant = Int.random(in: 0..<merchants.count, using: &random)
                let points = Int64.random(in: 1...5_000, using: &random)
                seq += 1
                let day = Int.random(in: 4...28, using: &random)
                try book.recordGrant(merchantID: merchants[merchant], seq: seq, orderID: "o-\(seq)", points: points,
                                     at: F.time(month.description, day: day))
                granted[merchant] += points
                grantPool.append((merchant, month, points))
            }
            for _ in 0..<Int.random(in: 0...3, using: &random) where !grantPool.isEmpty {
                let pick = Int.random(in: 0..<grantPool.count, using: &random)
                guard grantPool[pick].remaining > 0 else { continue }
                let points = Int64.random(in: 1...grantPool[pick].remaining, using: &random)
                grantPool[pick].remaining -= points
                seq += 1
                let id = "rv-\(seq)"
                let merchant = grantPool[pick].merchant
                try book.recordRevocation(merchantID: merchants[merchant], seq: seq, revocationID: id, points: points,
                                          grantPeriod: grantPool[pick].period, billedUnitPriceTenths: priceOf[merchant],
                                          at: F.time(month.description, day: 29))
                revocations[id] = ModelRevocation(merchant: merchant, points: points, priceTenths: priceOf[merchant])
                revocationIDs.append(id)
            }
            for _ in 0..<Int.random(in: 0...2, using: &random) where !revocationIDs.isEmpty {
                try toggleFinding(&book, &revocations, revocationIDs, &random, &seq, at: F.time(month.description, day: 30))
            }
            guard let next = month.next else { break }
            month = next
        }
        // Flush: close the following months (the last findings land there) with nothing new.
        for _ in 0..<2 {
            invoices += try book.close(month, now: month.endInstant)
            guard let next = month.next else { break }
            month = next
        }

        for (merchant, merchantID) in merchants.enumerated() {
            let own = invoices.filter { $0.merchantID == merchantID }
            var exactTenths = granted[merchant] * priceOf[merchant]
            for revocation in revocations.values where revocation.merchant == merchant && !revocation.standing {
                exactTenths -= revocation.points * revocation.priceTenths
            }
            // One fee per contract year the closed months touch (each closed fee month issues an invoice).
            var feeYears = Set<Int>()
            var closed = first
            while closed < month {
                if let year = profiles[merchant].contractYear(of: closed) { feeYears.insert(year) }
                guard let next = closed.next else { break }
                closed = next
            }
            #expect(Set(own.flatMap { $0.lines.compactMap(\.contractYear) }) == feeYears)
            exactTenths += Int64(feeYears.count) * MerchantBillingProfile.annualPlatformFee * 10
            var lineTenths: Int64 = 0
            var lineNet: Int64 = 0
            var roundedLines: Int64 = 0
            for line in own.flatMap(\.lines) where line.type != .creditBroughtForward && line.type != .creditCarriedForward {
                lineTenths += line.type.sign * line.quantity * line.unitPriceTenths
                lineNet += line.netAmount
                if (line.quantity * line.unitPriceTenths) % 10 != 0 { roundedLines += 1 }
            }
            // The lines bill exactly the rule, in tenths.
            #expect(lineTenths == exactTenths, "merchant \(merchantID), seed \(seed)")
            // In whole NT$: each rounded line moves the sum by at most NT$0.5.
            #expect((lineNet * 10 - exactTenths).magnitude <= UInt64(roundedLines * 5))
            if priceOf[merchant] % 10 == 0 { #expect(lineNet * 10 == exactTenths) }
            // Invoices never go negative; what they did not bill is the credit still carried.
            let subtotals = own.reduce(Int64(0)) { $0 + $1.subtotal }
            let balance = book.states[merchantID]?.creditBalance ?? 0
            #expect(subtotals - balance == lineNet)
            #expect(own.allSatisfy { $0.isConsistent && $0.subtotal >= 0 })
            #expect(own.allSatisfy { $0.tax == (($0.subtotal * 5 + 50) / 100) })
        }
        #expect(invoices.count > 20)
        #expect(invoices.contains { $0.lines.contains { $0.cites != nil } })
        // Gapless numbers per year; statements take none.
        var serialsByYear: [Int: [Int]] = [:]
        for invoice in invoices {
            if invoice.mode == .sandboxStatement { #expect(invoice.number == nil) }
            if let number = invoice.number { serialsByYear[number.year, default: []].append(number.serial) }
        }
        for serials in serialsByYear.values { #expect(serials == Array(1...serials.count)) }
    }

    func toggleFinding(_ book: inout SettlementBook, _ revocations: inout [String: ModelRevocation], _ ids: [String],
                       _ random: inout BillingRandom, _ seq: inout UInt64, at time: Int64) throws {
        let id = ids[Int.random(in: 0..<ids.count, using: &random)]
        guard var revocation = revocations[id] else { return }
        seq += 1
        if revocation.standing {
            try book.recordFindingWithdrawn(revocationID: id, seq: seq, at: time)
        } else {
            try book.recordFinding(revocationID: id, seq: seq, at: time)
        }
        revocation.standing.toggle()
        revocations[id] = revocation
    }
}
