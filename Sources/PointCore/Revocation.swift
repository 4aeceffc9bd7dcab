/// The only three cases in which granted points may be revoked (usage rule 7).
public enum RevocationReason: String, Sendable, Equatable, CaseIterable {
    /// 誤發: points granted by mistake; the user must have been told.
    case mistakenIssuance = "mistaken_issuance"
    /// 不法得點: points earned by fraud.
    case fraud
    /// A purchase-threshold or cashback purchase refunded, charged back or returned.
    case purchaseCancelled = "purchase_cancelled"

    /// The permitted reasons, as a sentence for error messages.
    public static let permittedList =
        "mistaken_issuance (points granted by mistake, the user informed), fraud (point laundering, point theft, cheating tools) or purchase_cancelled (refund, chargeback or return under a purchase-reward scenario)"
}

/// How the user was told about a mistaken grant.
public enum NoticeChannel: String, Sendable, Equatable, CaseIterable {
    case lineMessage = "line_message"
    case email
    case sms
    case phone
    case inApp = "in_app"
    case letter
}

/// The kind of fraudulent earning.
public enum FraudKind: String, Sendable, Equatable, CaseIterable {
    /// 洗點
    case pointLaundering = "point_laundering"
    /// 盜點
    case pointTheft = "point_theft"
    /// 外掛: cheating tools and bots.
    case cheatingTool = "cheating_tool"
    case other
}

/// How a purchase stopped qualifying.
public enum PurchaseCancellation: String, Sendable, Equatable, CaseIterable {
    case refund
    case chargeback
    case `return`
}

/// The evidence each permitted revocation reason requires.
public enum RevocationEvidence: Sendable, Equatable {
    /// When and through which channel the user was told, and the text explaining the mistake.
    case mistakenIssuance(notifiedAt: Int64, channel: NoticeChannel, message: String)
    /// The kind of fraud and the merchant's case reference (a description is required for `other`).
    case fraud(kind: FraudKind, caseReference: String, description: String?)
    /// Refund, chargeback or return, and the merchant's transaction reference.
    case purchaseCancelled(cancellation: PurchaseCancellation, transactionReference: String)

    public var reason: RevocationReason {
        switch self {
        case .mistakenIssuance: return .mistakenIssuance
        case .fraud: return .fraud
        case .purchaseCancelled: return .purchaseCancelled
        }
    }
}

/// A platform reviewer's finding that a revocation did not comply with the rules; while it
/// stands, the revocation earns no credit at settlement.
public struct ComplianceFinding: Sendable, Equatable {
    public let note: String
    public let seq: UInt64
    public let recordedAt: Int64
}

/// A revocation of (part of) one grant.
public struct Revocation: Sendable, Equatable {
    public let merchantID: String
    public let revocationID: String
    public let orderID: String
    public let points: Int
    public let evidence: RevocationEvidence
    public let seq: UInt64
    public let revokedAt: Int64
    /// The slot of the grant it takes points from (an orderId alone is ambiguous across a
    /// merchant's sandbox and production grants).
    let grantSlot: UInt32
    /// The standing non-compliance finding, if any.
    public var finding: ComplianceFinding?
    /// How many findings were ever recorded (withdrawn ones included).
    public var findingsRecorded: Int
    /// The note of the last withdrawal of a finding, if one was withdrawn.
    public var withdrawalNote: String? = nil
    /// The record of the last withdrawal of a finding, if any.
    public var withdrawal: RecordReference? = nil

    public var reason: RevocationReason { evidence.reason }
}
