/// Where a merchant's requests run: the test environment (a test Official Account) or
/// production.
public enum MerchantEnvironment: String, Sendable, Equatable, CaseIterable {
    case sandbox
    case production
}

/// Where a merchant is in its life: applied → sandbox → production; suspended (grants refused,
/// reads allowed); terminated (only reads).
public enum MerchantStatus: String, Sendable, Equatable, CaseIterable {
    case applied
    case sandbox
    case production
    case suspended
    case terminated
}

/// How a merchant reaches one environment: the LINE Official Account linked to POINT Connect,
/// the LINE Login channel its members log in with (which must be the channel linked to that
/// Official Account), and the source addresses its servers call from.
public struct EnvironmentAccess: Sendable, Equatable {
    /// The Official Account's basic ID (`@…`).
    public var officialAccountID: String
    /// The LINE Login channel ID (10 digits) whose ID tokens bind users.
    public var loginChannelID: String
    /// Allowed source addresses: IPv4/IPv6 addresses or CIDR blocks, checked by the API layer.
    public var allowedSources: [String]

    public init(officialAccountID: String, loginChannelID: String, allowedSources: [String]) {
        self.officialAccountID = officialAccountID
        self.loginChannelID = loginChannelID
        self.allowedSources = allowedSources
    }

    /// Most allowlist entries per environment.
    public static let maxAllowedSources = 64
}

/// The commercial terms of a merchant's annual contract.
public struct Contract: Sendable, Equatable {
    /// The first day of the contract, `YYYY-MM-DD`.
    public var startDate: String
    /// The contract's start month (Asia/Taipei), as ``CivilTime/monthNumber(year:month:)``.
    public var startMonth: Int32
    /// Length of one term in months (annual contracts: 12).
    public var termMonths: Int
    /// Price per point granted, in tenths of NT$ (11 = NT$1.1; older contracts 12 = NT$1.2).
    public var unitPriceTenths: Int
    /// The annual API platform fee in whole NT$, tax-exclusive.
    public var annualPlatformFee: Int

    public static let defaultUnitPriceTenths = 11
    public static let defaultAnnualPlatformFee = 100_000
    /// Accepted unit prices: NT$0.1 to NT$100.0.
    public static let unitPriceTenthsRange = 1...1_000

    public init(startDate: String, startMonth: Int32, termMonths: Int = 12,
                unitPriceTenths: Int = Contract.defaultUnitPriceTenths,
                annualPlatformFee: Int = Contract.defaultAnnualPlatformFee) {
        self.startDate = startDate
        self.startMonth = startMonth
        self.termMonths = termMonths
        self.unitPriceTenths = unitPriceTenths
        self.annualPlatformFee = annualPlatformFee
    }
}

/// Why a merchant may use production: messaging spend of at least NT$150,000 in each of the
/// three months before its application, or a recorded special-case approval for a brand-new
/// Official Account.
public enum ProductionEligibility: Sendable, Equatable {
    /// Messaging spend (whole NT$) per month `YYYY-MM`, oldest first.
    case messagingSpend([MonthlySpend])
    /// A special case decided individually, with its reference and approver.
    case specialApproval(reference: String, approvedBy: String)

    /// Minimum messaging spend in each of the three months before application.
    public static let minimumMonthlySpend = 150_000
}

/// One month of Official Account messaging spend.
public struct MonthlySpend: Sendable, Equatable {
    /// `YYYY-MM`.
    public var month: String
    /// Whole NT$.
    public var amount: Int

    public init(month: String, amount: Int) {
        self.month = month
        self.amount = amount
    }
}

/// A merchant as the domain knows it.
public struct Merchant: Sendable, Equatable {
    /// The merchant's POINT Connect channel ID (10 digits): its identity and API key id.
    public let id: String
    public var name: String
    /// Unified Business Number (統一編號).
    public var taxID: String
    /// The date of application, `YYYY-MM-DD`; production eligibility counts the three months before it.
    public var appliedOn: String
    public var contract: Contract
    public var status: MerchantStatus
    /// The status a suspension returns to.
    public var statusBeforeSuspension: MerchantStatus?
    public var sandbox: EnvironmentAccess?
    public var production: EnvironmentAccess?
    public var eligibility: ProductionEligibility?
    /// The record that set each environment's allowlist (its opening or the last update).
    public var allowlistRecords: [MerchantEnvironment: RecordReference] = [:]
    /// The records that registered the merchant and opened each environment.
    public var registered = RecordReference(seq: 0, time: 0)
    public var openedRecords: [MerchantEnvironment: RecordReference] = [:]
    /// The last suspension, reinstatement or termination: what, with which note, by which record.
    public var lastStatusChange: StatusChangeRecord? = nil

    /// A status change as recorded, so that the same change sent again is recognised.
    public struct StatusChangeRecord: Sendable, Equatable {
        public let change: MerchantStatusChange
        public let note: String
        public let record: RecordReference
    }

    /// The environment the merchant currently operates in, if any.
    public var activeEnvironment: MerchantEnvironment? {
        switch status {
        case .sandbox: return .sandbox
        case .production: return .production
        case .suspended:
            switch statusBeforeSuspension {
            case .production: return .production
            case .sandbox: return .sandbox
            default: return nil
            }
        case .applied, .terminated: return nil
        }
    }

    /// The access settings of an environment, if that environment was opened.
    public func access(_ environment: MerchantEnvironment) -> EnvironmentAccess? {
        environment == .sandbox ? sandbox : production
    }

    /// Whether grants (and statements) in the active environment are billable.
    public var isBillable: Bool { activeEnvironment == .production }
}
