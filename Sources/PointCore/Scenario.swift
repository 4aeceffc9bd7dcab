/// Why a merchant grants points. The first six purposes are allowed; the rest break a usage
/// rule and are refused at submission, citing it.
public enum ScenarioPurpose: String, Sendable, Equatable, CaseIterable {
    case memberRegistration = "member_registration"
    case survey
    case purchaseThreshold = "purchase_threshold"
    case purchaseCashback = "purchase_cashback"
    case pointsConversion = "points_conversion"
    case eventParticipation = "event_participation"
    /// Selling or reselling LINE POINTS (usage rule 1).
    case resale
    /// Salary, commission or other remuneration (usage rule 2).
    case remuneration
    /// A reward for downloading an app (usage rule 3).
    case appDownload = "app_download"
    /// LINE POINTS as the exchange medium between two of the merchant's own point types (rule 4).
    case pointsExchangeMedium = "points_exchange_medium"

    /// Purchase-threshold and cashback campaigns: the only ones whose grants may be revoked
    /// because the purchase was refunded, charged back or returned.
    public var isPurchaseReward: Bool { self == .purchaseThreshold || self == .purchaseCashback }

    /// The purposes a submission may use.
    public static let allowed: [ScenarioPurpose] = [
        .memberRegistration, .survey, .purchaseThreshold, .purchaseCashback, .pointsConversion, .eventParticipation,
    ]
}

/// Where a purchase that earns points can be made.
public enum PurchaseChannel: String, Sendable, Equatable, CaseIterable {
    case onlineStore = "online_store"
    case mobileWeb = "mobile_web"
    case inApp = "in_app"
    case physicalStore = "physical_store"
}

/// The kind of one rule of a campaign. A campaign may not list point recovery as one of its
/// rules (usage rule 6).
public enum CampaignRuleKind: String, Sendable, Equatable, CaseIterable {
    case eligibility
    case limit
    case timing
    case pointRecovery = "point_recovery"
    case other
}

/// One rule of a campaign, as the merchant states it.
public struct CampaignRule: Sendable, Equatable {
    public var kind: CampaignRuleKind
    public var text: String

    public init(kind: CampaignRuleKind, text: String) {
        self.kind = kind
        self.text = text
    }
}

/// Optional limits on a scenario's grants.
public struct ScenarioCaps: Sendable, Equatable {
    public var maxPointsPerGrant: Int?
    /// Per LINE user per Asia/Taipei calendar month, counting points granted under this scenario.
    public var maxPointsPerUserPerMonth: Int?
    /// Points granted under the scenario in total (revocations do not give budget back).
    public var totalBudget: Int?

    public init(maxPointsPerGrant: Int? = nil, maxPointsPerUserPerMonth: Int? = nil, totalBudget: Int? = nil) {
        self.maxPointsPerGrant = maxPointsPerGrant
        self.maxPointsPerUserPerMonth = maxPointsPerUserPerMonth
        self.totalBudget = totalBudget
    }
}

/// Where a scenario is in review.
public enum ScenarioStatus: String, Sendable, Equatable {
    case submitted
    case approved
    case rejected
}

/// An issuance scenario (發點情境): how and why a merchant grants points.
public struct Scenario: Sendable, Equatable {
    public let id: String
    public let merchantID: String
    public var title: String
    public var purpose: ScenarioPurpose
    public var description: String
    public var grantConditions: String
    public var purchaseChannels: [PurchaseChannel]
    public var campaignRules: [CampaignRule]
    public var caps: ScenarioCaps
    /// The active window, microseconds since the epoch: from inclusive, until exclusive.
    public var activeFrom: Int64
    public var activeUntil: Int64
    public var status: ScenarioStatus
    public var reviewNote: String?
    /// Points granted under the scenario in the environment its merchant grants in now: the
    /// merchant's test grants until it goes live, its production grants from then on. This is
    /// what `caps.totalBudget` limits; test grants never use up the production budget.
    public var grantedPoints: Int64
    /// Points granted under the scenario by test grants in the merchant's sandbox (before it
    /// went live), kept after going live for the record.
    public var sandboxGrantedPoints: Int64 = 0
    /// The merchant's ID for the submission, when it gave one.
    public var submissionID: String? = nil
    /// Why an in-app-only purchase reward does not affect app downloads or ranking (usage rule
    /// 3's exception), when the merchant gave it; for the reviewer to judge.
    public var inAppPurchaseStatement: String? = nil
    /// The `scenario.submitted` record.
    public var submitted = RecordReference(seq: 0, time: 0)
    /// The review record (`scenario.approved` / `scenario.rejected`), once reviewed.
    public var reviewed: RecordReference? = nil
}
