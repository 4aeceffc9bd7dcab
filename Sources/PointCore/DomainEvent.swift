/// Every state change of the domain, exactly as it is written to the ledger. The state is the
/// fold of these events in ledger order (``PointsDomain/apply(_:seq:time:)``).
///
/// The rare cases with large payloads are `indirect` (boxed), so an event is the size of a
/// grant's payload: millions of grants are decoded, queued in batches and copied while the
/// ledger is read, and each copy of an unboxed event would move the largest case's bytes.
public enum DomainEvent: Sendable, Equatable {
    indirect case merchantRegistered(MerchantRegistered)
    indirect case sandboxOpened(merchantID: String, access: EnvironmentAccess)
    indirect case productionOpened(merchantID: String, access: EnvironmentAccess, eligibility: ProductionEligibility)
    case merchantSuspended(merchantID: String, reason: String)
    case merchantReinstated(merchantID: String, note: String)
    case merchantTerminated(merchantID: String, reason: String)
    case allowlistUpdated(merchantID: String, environment: MerchantEnvironment, allowedSources: [String])
    /// A reviewer issued the merchant a new API secret; the previous one verifies until
    /// `previousSecretValidUntil`. The secret itself is never in the ledger.
    case credentialRotated(merchantID: String, previousSecretValidUntil: Int64)
    indirect case scenarioSubmitted(ScenarioSubmitted)
    case scenarioApproved(scenarioID: String, note: String)
    case scenarioRejected(scenarioID: String, reason: String)
    case userBound(merchantID: String, memberID: String, lineUserID: String)
    case userUnbound(merchantID: String, memberID: String, lineUserID: String)
    case pointsGranted(PointsGranted)
    indirect case pointsRevoked(PointsRevoked)
    case findingRecorded(merchantID: String, revocationID: String, note: String)
    case findingWithdrawn(merchantID: String, revocationID: String, note: String)
    /// One merchant's invoice (or sandbox statement) of a period being closed, exactly as issued.
    /// A close writes one per document, then ``periodClosed(_:)``.
    indirect case invoiceIssued(Invoice)
    /// A billing period closed: the documents it issued, in merchant-id order.
    indirect case periodClosed(PeriodClosed)

    /// Every record type the service writes (the values of ``type``), in the order of the cases.
    public static let recordTypes: [String] = [
        "merchant.registered", "merchant.sandbox_opened", "merchant.production_opened", "merchant.suspended",
        "merchant.reinstated", "merchant.terminated", "merchant.allowlist_updated", "merchant.credential_rotated",
        "scenario.submitted", "scenario.approved", "scenario.rejected", "binding.created", "binding.removed",
        "grant.issued", "revocation.recorded", "finding.recorded", "finding.withdrawn", "invoice.issued", "period.closed",
    ]

    /// The ledger record type of the event.
    public var type: String {
        switch self {
        case .merchantRegistered: return "merchant.registered"
        case .sandboxOpened: return "merchant.sandbox_opened"
        case .productionOpened: return "merchant.production_opened"
        case .merchantSuspended: return "merchant.suspended"
        case .merchantReinstated: return "merchant.reinstated"
        case .merchantTerminated: return "merchant.terminated"
        case .allowlistUpdated: return "merchant.allowlist_updated"
        case .credentialRotated: return "merchant.credential_rotated"
        case .scenarioSubmitted: return "scenario.submitted"
        case .scenarioApproved: return "scenario.approved"
        case .scenarioRejected: return "scenario.rejected"
        case .userBound: return "binding.created"
        case .userUnbound: return "binding.removed"
        case .pointsGranted: return "grant.issued"
        case .pointsRevoked: return "revocation.recorded"
        case .findingRecorded: return "finding.recorded"
        case .findingWithdrawn: return "finding.withdrawn"
        case .invoiceIssued: return "invoice.issued"
        case .periodClosed: return "period.closed"
        }
    }
}

/// A merchant onboarded by a reviewer.
public struct MerchantRegistered: Sendable, Equatable {
    public var merchantID: String
    public var name: String
    public var taxID: String
    public var appliedOn: String
    public var contract: Contract

    public init(merchantID: String, name: String, taxID: String, appliedOn: String, contract: Contract) {
        self.merchantID = merchantID
        self.name = name
        self.taxID = taxID
        self.appliedOn = appliedOn
        self.contract = contract
    }
}

/// A scenario submitted for review (always stored as `submitted`; review events follow).
public struct ScenarioSubmitted: Sendable, Equatable {
    public var scenarioID: String
    public var merchantID: String
    public var title: String
    public var purpose: ScenarioPurpose
    public var description: String
    public var grantConditions: String
    public var purchaseChannels: [PurchaseChannel]
    public var campaignRules: [CampaignRule]
    public var caps: ScenarioCaps
    public var activeFrom: Int64
    public var activeUntil: Int64
    /// The merchant's own ID for this submission, when it gave one: a resend with the same ID
    /// answers this scenario instead of submitting another. Absent from records without one.
    public var submissionID: String? = nil
    /// The merchant's statement that an in-app-only purchase reward does not affect app
    /// downloads or ranking (usage rule 3's exception). Absent from records without one.
    public var inAppPurchaseStatement: String? = nil
}

/// Points granted to a bound user under an approved scenario.
public struct PointsGranted: Sendable, Equatable {
    public var merchantID: String
    public var orderID: String
    public var memberID: String
    public var lineUserID: String
    public var scenarioID: String
    public var points: Int

    public init(merchantID: String, orderID: String, memberID: String, lineUserID: String, scenarioID: String, points: Int) {
        self.merchantID = merchantID
        self.orderID = orderID
        self.memberID = memberID
        self.lineUserID = lineUserID
        self.scenarioID = scenarioID
        self.points = points
    }
}

/// Points revoked from one grant in one of the three permitted cases.
public struct PointsRevoked: Sendable, Equatable {
    public var merchantID: String
    public var revocationID: String
    public var orderID: String
    public var points: Int
    public var evidence: RevocationEvidence

    public init(merchantID: String, revocationID: String, orderID: String, points: Int, evidence: RevocationEvidence) {
        self.merchantID = merchantID
        self.revocationID = revocationID
        self.orderID = orderID
        self.points = points
        self.evidence = evidence
    }
}

/// A billing period closed by finance: when, and which document each merchant got.
public struct PeriodClosed: Sendable, Equatable {
    /// One document of the close: the merchant and its invoice number (`nil` for a sandbox statement).
    public struct Document: Sendable, Equatable {
        public var merchantID: String
        public var invoiceNumber: InvoiceNumber?

        public init(merchantID: String, invoiceNumber: InvoiceNumber?) {
            self.merchantID = merchantID
            self.invoiceNumber = invoiceNumber
        }
    }

    /// The closed period.
    public var period: BillingMonth
    /// The `now` the period was closed at (UTC microseconds); settlement replays the close at this instant.
    public var closedAt: Int64
    /// The documents, in merchant-id order (the order of the preceding `invoice.issued` records).
    public var documents: [Document]

    public init(period: BillingMonth, closedAt: Int64, documents: [Document]) {
        self.period = period
        self.closedAt = closedAt
        self.documents = documents
    }
}
