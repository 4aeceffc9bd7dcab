/// The evidence fields of a revocation request, as sent; which are required depends on the
/// reason, and each missing one is reported by name.
public struct RevocationEvidenceInput: Sendable, Equatable {
    /// mistaken_issuance: when the user was told (RFC 3339), through which channel, and the text.
    public var notifiedAt: String?
    public var channel: String?
    public var message: String?
    /// fraud: the kind, the merchant's case reference, a description (required for `other`).
    public var fraudKind: String?
    public var caseReference: String?
    public var description: String?
    /// purchase_cancelled: refund / chargeback / return, and the transaction reference.
    public var cancellation: String?
    public var transactionReference: String?

    public init(notifiedAt: String? = nil, channel: String? = nil, message: String? = nil, fraudKind: String? = nil,
                caseReference: String? = nil, description: String? = nil, cancellation: String? = nil,
                transactionReference: String? = nil) {
        self.notifiedAt = notifiedAt
        self.channel = channel
        self.message = message
        self.fraudKind = fraudKind
        self.caseReference = caseReference
        self.description = description
        self.cancellation = cancellation
        self.transactionReference = transactionReference
    }
}

/// A merchant's request to revoke points of one grant.
public struct RevokePointsCommand: Sendable, Equatable {
    public var merchantID: String
    public var orderID: String
    public var revocationID: String
    public var points: Int
    public var reason: String
    public var evidence: RevocationEvidenceInput

    public init(merchantID: String, orderID: String, revocationID: String, points: Int, reason: String, evidence: RevocationEvidenceInput) {
        self.merchantID = merchantID
        self.orderID = orderID
        self.revocationID = revocationID
        self.points = points
        self.reason = reason
        self.evidence = evidence
    }
}

extension PointsDomain {
    public static let maxEvidenceTextLength = 2_000

    /// Checks a revocation: only the three permitted reasons, each with its evidence; partial
    /// and repeated revocations while the total stays within the granted points; the
    /// revocationId is idempotent like an orderId (unique per merchant, across environments). Allowed while the merchant is suspended (the
    /// fraud case must stay possible); refused once it is terminated.
    public func decide(_ command: RevokePointsCommand, now: Int64) throws(DomainError) -> Decision {
        let merchant = try existingMerchant(command.merchantID)
        if let existing = revocation(merchantID: command.merchantID, revocationID: command.revocationID) {
            // The same content revoking another grant than the original did (the production
            // grant of an orderId whose sandbox grant the original revoked) is a new revocation,
            // never a replay of the test.
            if let slot = merchantIndex[command.merchantID], existing.orderID == command.orderID,
               let target = grantSlot(merchant: slot, orderID: command.orderID), target != Int(existing.grantSlot) {
                throw DomainError(.conflict, code: "revocation_id_conflict",
                                  message: "revocationId \(command.revocationID) was used for the sandbox grant of order \(command.orderID); revoking its production grant needs a new revocationId.",
                                  details: [DomainError.Detail(property: "revocationId", message: "was used for a sandbox grant")])
            }
            return try replayOrConflict(command, existing: existing)
        }
        guard merchant.status != .terminated, merchant.status != .applied else {
            throw DomainError(.forbidden, code: "merchant_\(merchant.status == .applied ? "not_onboarded" : "terminated")",
                              message: "Merchant \(merchant.id) is \(merchant.status.rawValue) and can't revoke points.")
        }
        var problems = FieldProblems()
        if !Identifiers.isValidExternalID(command.revocationID) { problems.add("revocationId", "must be \(Identifiers.externalIDRule)") }
        if command.points < 1 || command.points > limits.maxPointsPerGrant {
            problems.add("points", "must be a whole number of points from 1 to \(limits.maxPointsPerGrant)")
        }
        guard let reason = RevocationReason(rawValue: command.reason) else {
            throw DomainError(.rejected, code: "revocation_reason_not_permitted",
                              message: "Points may be revoked only for one of three reasons: \(RevocationReason.permittedList). \"\(Self.clip(command.reason))\" is not one of them.",
                              details: [DomainError.Detail(property: "reason", message: "must be mistaken_issuance, fraud or purchase_cancelled")]
                                  + problems.details)
        }
        let evidence = Self.evidence(for: reason, command.evidence, now: now, into: &problems)
        try problems.throwIfAny()
        guard let evidence else { throw DomainError.invalid(problems.details) }
        guard let grant = grant(merchantID: command.merchantID, orderID: command.orderID) else {
            throw DomainError(.notFound, code: "grant_not_found", message: "No grant with orderId \(command.orderID) for this merchant.")
        }
        // Told of the mistake before it was made? (Within the clock tolerance: the notice's time
        // comes from the merchant's clock, the grant's from the service's.)
        if case .mistakenIssuance(let notifiedAt, _, _) = evidence, notifiedAt < grant.grantedAt - Self.noticeClockToleranceMicros {
            throw DomainError.invalid([DomainError.Detail(
                property: "evidence.notifiedAt",
                message: "is before grant \(grant.orderID) was made (\(CivilTime.formatUTC(grant.grantedAt))); the user can be told of a mistake only after it")])
        }
        if reason == .purchaseCancelled, let scenario = scenario(grant.scenarioID), !scenario.purpose.isPurchaseReward {
            throw DomainError(.rejected, code: "purchase_cancelled_not_purchase_reward",
                              message: "purchase_cancelled applies only to grants under a purchase-threshold or cashback scenario; grant \(grant.orderID) is under \(scenario.id) (\(scenario.purpose.rawValue)).",
                              details: [DomainError.Detail(property: "reason", message: "not available for this grant's scenario")])
        }
        if command.points > grant.remainingPoints {
            throw DomainError(.rejected, code: "revocation_exceeds_grant",
                              message: "Grant \(grant.orderID) has \(grant.remainingPoints) points left to revoke (\(grant.points) granted, \(grant.revokedPoints) revoked); this revocation asks for \(command.points).",
                              details: [DomainError.Detail(property: "points", message: "at most \(grant.remainingPoints)")])
        }
        if revocations.count >= limits.maxRevocations {
            throw DomainError(.rejected, code: "limit_reached", message: "The service holds its maximum of \(limits.maxRevocations) revocations.")
        }
        // The last part may always take all that is left.
        if command.points < grant.remainingPoints, revocations(of: grant).count >= limits.maxRevocationsPerGrant {
            throw DomainError(.rejected, code: "limit_reached",
                              message: "Grant \(grant.orderID) has been revoked in \(limits.maxRevocationsPerGrant) parts already, the most one grant takes; revoke its remaining \(grant.remainingPoints) points in one revocation.",
                              details: [DomainError.Detail(property: "orderId", message: "has \(limits.maxRevocationsPerGrant) revocations")])
        }
        return .append(.pointsRevoked(PointsRevoked(merchantID: command.merchantID, revocationID: command.revocationID,
                                                    orderID: command.orderID, points: command.points, evidence: evidence)))
    }

    /// A reviewer's non-compliance finding on a revocation (recorded) or its withdrawal.
    public func decide(finding revocationID: String, merchantID: String, record: Bool, note: String) throws(DomainError) -> Decision {
        _ = try existingMerchant(merchantID)
        guard let existing = revocation(merchantID: merchantID, revocationID: revocationID) else {
            throw DomainError(.notFound, code: "revocation_not_found", message: "No revocation \(revocationID) for merchant \(merchantID).")
        }
        if let problem = Identifiers.textProblem(note, maxLength: Self.maxNoteLength) {
            throw DomainError.invalid([DomainError.Detail(property: "note", message: "must be 1–\(Self.maxNoteLength) characters explaining the finding: \(problem)")])
        }
        // The same finding (or withdrawal) sent again is answered by the record it made.
        if record, let finding = existing.finding, finding.note == note { return .replay(seq: finding.seq, time: finding.recordedAt) }
        if !record, existing.finding == nil, existing.withdrawalNote == note, let withdrawn = existing.withdrawal { return .replay(withdrawn) }
        if record {
            guard existing.finding == nil else {
                throw DomainError(.conflict, code: "finding_already_recorded",
                                  message: "Revocation \(revocationID) already has a standing finding; withdraw it before recording another.")
            }
            return .append(.findingRecorded(merchantID: merchantID, revocationID: revocationID, note: note))
        }
        guard existing.finding != nil else {
            throw DomainError(.conflict, code: "finding_not_recorded", message: "Revocation \(revocationID) has no standing finding to withdraw.")
        }
        return .append(.findingWithdrawn(merchantID: merchantID, revocationID: revocationID, note: note))
    }

    private func replayOrConflict(_ command: RevokePointsCommand, existing: Revocation) throws(DomainError) -> Decision {
        var problems = FieldProblems()
        let reason = RevocationReason(rawValue: command.reason)
        let evidence = reason.flatMap { Self.evidence(for: $0, command.evidence, now: existing.revokedAt, into: &problems) }
        guard existing.orderID == command.orderID, existing.points == command.points, evidence == existing.evidence else {
            var differing: [DomainError.Detail] = []
            if existing.orderID != command.orderID { differing.append(.init(property: "orderId", message: "was \(existing.orderID)")) }
            if existing.reason.rawValue != command.reason { differing.append(.init(property: "reason", message: "was \(existing.reason.rawValue)")) }
            if existing.points != command.points { differing.append(.init(property: "points", message: "was \(existing.points)")) }
            if evidence != existing.evidence && existing.reason.rawValue == command.reason {
                differing.append(.init(property: "evidence", message: "differs from the original"))
            }
            throw DomainError(.conflict, code: "revocation_id_conflict",
                              message: "revocationId \(command.revocationID) was already used for a different revocation; use a new revocationId, or resend the original content to get the original result.",
                              details: differing)
        }
        return .replay(seq: existing.seq, time: existing.revokedAt)
    }

    /// How far a mistaken-issuance notice may seem to precede its grant (clocks differ): five
    /// minutes, as for timestamped request nonces.
    static let noticeClockToleranceMicros: Int64 = 5 * 60 * 1_000_000

    static func evidence(for reason: RevocationReason, _ input: RevocationEvidenceInput, now: Int64,
                         into problems: inout FieldProblems) -> RevocationEvidence? {
        func text(_ value: String?, _ property: String, _ what: String) -> String? {
            guard let value else {
                problems.add("evidence.\(property)", "is required for \(reason.rawValue): \(what)")
                return nil
            }
            if let problem = Identifiers.textProblem(value, maxLength: maxEvidenceTextLength) {
                problems.add("evidence.\(property)", "must be 1–\(maxEvidenceTextLength) characters: \(problem)")
                return nil
            }
            return value
        }
        func reference(_ value: String?, _ property: String, _ what: String) -> String? {
            guard let value else {
                problems.add("evidence.\(property)", "is required for \(reason.rawValue): \(what)")
                return nil
            }
            guard Identifiers.isValidExternalID(value) else {
                problems.add("evidence.\(property)", "must be \(Identifiers.externalIDRule)")
                return nil
            }
            return value
        }
        func choice<Value: RawRepresentable & CaseIterable>(_ value: String?, _ property: String, _ type: Value.Type) -> Value?
        where Value.RawValue == String {
            let accepted = Value.allCases.map(\.rawValue).joined(separator: ", ")
            guard let value else {
                problems.add("evidence.\(property)", "is required for \(reason.rawValue): one of \(accepted)")
                return nil
            }
            guard let parsed = Value(rawValue: value) else {
                problems.add("evidence.\(property)", "must be one of \(accepted)")
                return nil
            }
            return parsed
        }
        switch reason {
        case .mistakenIssuance:
            var notifiedAt: Int64?
            if let raw = input.notifiedAt {
                notifiedAt = CivilTime.parseRFC3339(raw)
                if notifiedAt == nil { problems.add("evidence.notifiedAt", "must be an RFC 3339 time with offset") }
                if let at = notifiedAt, at > now { problems.add("evidence.notifiedAt", "is in the future; inform the user before revoking") }
            } else {
                problems.add("evidence.notifiedAt", "is required for mistaken_issuance: when the user was informed of the mistake")
            }
            let channel = choice(input.channel, "channel", NoticeChannel.self)
            let message = text(input.message, "message", "the text that explained the mistake to the user")
            guard let notifiedAt, let channel, let message, notifiedAt <= now else { return nil }
            return .mistakenIssuance(notifiedAt: notifiedAt, channel: channel, message: message)
        case .fraud:
            let kind = choice(input.fraudKind, "fraudKind", FraudKind.self)
            let caseReference = reference(input.caseReference, "caseReference", "your fraud case reference")
            var description: String?
            if let raw = input.description {
                description = text(raw, "description", "")
            } else if kind == .other {
                problems.add("evidence.description", "is required when fraudKind is other: describe the fraud")
            }
            guard let kind, let caseReference, kind != .other || description != nil else { return nil }
            return .fraud(kind: kind, caseReference: caseReference, description: description)
        case .purchaseCancelled:
            let cancellation = choice(input.cancellation, "cancellation", PurchaseCancellation.self)
            let transaction = reference(input.transactionReference, "transactionReference", "your transaction reference of the cancelled purchase")
            guard let cancellation, let transaction else { return nil }
            return .purchaseCancelled(cancellation: cancellation, transactionReference: transaction)
        }
    }

    static func clip(_ text: String) -> String {
        text.count <= 40 ? text : String(text.prefix(40)) + "…"
    }
}
