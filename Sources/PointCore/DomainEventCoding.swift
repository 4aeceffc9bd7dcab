import PointJSON

extension DomainEvent {
    /// ``ledgerData`` as the canonical JSON bytes the ledger stores. `grant.issued`, the hot
    /// path, is written straight to bytes in key order (no dictionary is built); every other
    /// event is encoded from ``ledgerData``. Both give the same bytes (tested).
    public var canonicalLedgerData: [UInt8] {
        guard case .pointsGranted(let event) = self else { return CanonicalJSON.encode(ledgerData) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(96 + event.lineUserID.utf8.count + event.memberID.utf8.count + event.merchantID.utf8.count
            + event.orderID.utf8.count + event.scenarioID.utf8.count)
        // Keys in UTF-8 order: lineUserId, memberId, merchantId, orderId, points, scenarioId.
        bytes.append(contentsOf: #"{"lineUserId":"#.utf8)
        CanonicalJSON.appendString(event.lineUserID, to: &bytes)
        bytes.append(contentsOf: #","memberId":"#.utf8)
        CanonicalJSON.appendString(event.memberID, to: &bytes)
        bytes.append(contentsOf: #","merchantId":"#.utf8)
        CanonicalJSON.appendString(event.merchantID, to: &bytes)
        bytes.append(contentsOf: #","orderId":"#.utf8)
        CanonicalJSON.appendString(event.orderID, to: &bytes)
        bytes.append(contentsOf: #","points":"#.utf8)
        CanonicalJSON.appendInteger(Int64(event.points), to: &bytes)
        bytes.append(contentsOf: #","scenarioId":"#.utf8)
        CanonicalJSON.appendString(event.scenarioID, to: &bytes)
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}

extension DomainEvent {
    /// The event's ledger data object. Secrets and ID tokens never appear here.
    public var ledgerData: JSONValue {
        switch self {
        case .merchantRegistered(let event):
            return [
                "merchantId": .string(event.merchantID), "name": .string(event.name), "taxId": .string(event.taxID),
                "appliedOn": .string(event.appliedOn),
                "contract": [
                    "startDate": .string(event.contract.startDate), "termMonths": .int(event.contract.termMonths),
                    "unitPriceTenths": .int(event.contract.unitPriceTenths),
                    "annualPlatformFee": .int(event.contract.annualPlatformFee),
                ],
            ]
        case .sandboxOpened(let merchantID, let access):
            return ["merchantId": .string(merchantID), "access": Self.encode(access)]
        case .productionOpened(let merchantID, let access, let eligibility):
            return ["merchantId": .string(merchantID), "access": Self.encode(access), "eligibility": Self.encode(eligibility)]
        case .merchantSuspended(let merchantID, let reason), .merchantTerminated(let merchantID, let reason):
            return ["merchantId": .string(merchantID), "reason": .string(reason)]
        case .merchantReinstated(let merchantID, let note):
            return ["merchantId": .string(merchantID), "note": .string(note)]
        case .credentialRotated(let merchantID, let validUntil):
            return ["merchantId": .string(merchantID), "previousSecretValidUntil": .time(validUntil)]
        case .allowlistUpdated(let merchantID, let environment, let sources):
            return ["merchantId": .string(merchantID), "environment": .string(environment.rawValue),
                    "allowedSources": .array(sources.map(JSONValue.string))]
        case .scenarioSubmitted(let event):
            var data: JSONValue = [
                "scenarioId": .string(event.scenarioID), "merchantId": .string(event.merchantID),
                "title": .string(event.title), "purpose": .string(event.purpose.rawValue),
                "description": .string(event.description), "grantConditions": .string(event.grantConditions),
                "purchaseChannels": .array(event.purchaseChannels.map { .string($0.rawValue) }),
                "campaignRules": .array(event.campaignRules.map { ["kind": .string($0.kind.rawValue), "text": .string($0.text)] }),
                "caps": [
                    "maxPointsPerGrant": .optional(event.caps.maxPointsPerGrant),
                    "maxPointsPerUserPerMonth": .optional(event.caps.maxPointsPerUserPerMonth),
                    "totalBudget": .optional(event.caps.totalBudget),
                ],
                "activeFrom": .time(event.activeFrom), "activeUntil": .time(event.activeUntil),
            ]
            // Only when given, so a submission without them has the bytes it always had.
            if case .object(var members) = data {
                if let submissionID = event.submissionID { members["submissionId"] = .string(submissionID) }
                if let statement = event.inAppPurchaseStatement { members["inAppPurchaseStatement"] = .string(statement) }
                data = .object(members)
            }
            return data
        case .scenarioApproved(let scenarioID, let note):
            return ["scenarioId": .string(scenarioID), "note": .string(note)]
        case .scenarioRejected(let scenarioID, let reason):
            return ["scenarioId": .string(scenarioID), "reason": .string(reason)]
        case .userBound(let merchantID, let memberID, let lineUserID), .userUnbound(let merchantID, let memberID, let lineUserID):
            return ["merchantId": .string(merchantID), "memberId": .string(memberID), "lineUserId": .string(lineUserID)]
        case .pointsGranted(let event):
            return [
                "merchantId": .string(event.merchantID), "orderId": .string(event.orderID),
                "memberId": .string(event.memberID), "lineUserId": .string(event.lineUserID),
                "scenarioId": .string(event.scenarioID), "points": .int(event.points),
            ]
        case .pointsRevoked(let event):
            return [
                "merchantId": .string(event.merchantID), "revocationId": .string(event.revocationID),
                "orderId": .string(event.orderID), "points": .int(event.points),
                "reason": .string(event.evidence.reason.rawValue), "evidence": Self.encode(event.evidence),
            ]
        case .findingRecorded(let merchantID, let revocationID, let note),
            .findingWithdrawn(let merchantID, let revocationID, let note):
            return ["merchantId": .string(merchantID), "revocationId": .string(revocationID), "note": .string(note)]
        case .invoiceIssued(let invoice):
            return invoice.json
        case .periodClosed(let closed):
            return [
                "period": .string(closed.period.description), "closedAt": .time(closed.closedAt),
                "invoices": .array(closed.documents.map { document in
                    ["merchantId": .string(document.merchantID),
                     "number": document.invoiceNumber.map { .string($0.description) } ?? .null]
                }),
            ]
        }
    }

    /// Decodes a ledger record's type and data; nil when the type is not a domain event
    /// (other layers write their own record types).
    public static func decode(type: String, data: JSONValue) throws(DomainError) -> DomainEvent? {
        let reader = try EventFieldReader(data, path: "data")
        switch type {
        case "merchant.registered":
            let contract = try reader.nested("contract")
            let startDate = try contract.string("startDate")
            guard let date = CivilTime.parseDate(startDate) else {
                throw EventFieldReader.failure("data.contract.startDate", "is not a YYYY-MM-DD date")
            }
            return .merchantRegistered(MerchantRegistered(
                merchantID: try reader.string("merchantId"), name: try reader.string("name"),
                taxID: try reader.string("taxId"), appliedOn: try reader.string("appliedOn"),
                contract: Contract(startDate: startDate, startMonth: CivilTime.monthNumber(year: date.year, month: date.month),
                                   termMonths: try contract.int("termMonths"),
                                   unitPriceTenths: try contract.int("unitPriceTenths"),
                                   annualPlatformFee: try contract.int("annualPlatformFee"))))
        case "merchant.sandbox_opened":
            return .sandboxOpened(merchantID: try reader.string("merchantId"), access: try decodeAccess(reader.nested("access")))
        case "merchant.production_opened":
            return .productionOpened(merchantID: try reader.string("merchantId"), access: try decodeAccess(reader.nested("access")),
                                     eligibility: try decodeEligibility(reader.nested("eligibility")))
        case "merchant.suspended":
            return .merchantSuspended(merchantID: try reader.string("merchantId"), reason: try reader.string("reason"))
        case "merchant.reinstated":
            return .merchantReinstated(merchantID: try reader.string("merchantId"), note: try reader.string("note"))
        case "merchant.terminated":
            return .merchantTerminated(merchantID: try reader.string("merchantId"), reason: try reader.string("reason"))
        case "merchant.credential_rotated":
            return .credentialRotated(merchantID: try reader.string("merchantId"), previousSecretValidUntil: try reader.time("previousSecretValidUntil"))
        case "merchant.allowlist_updated":
            return .allowlistUpdated(merchantID: try reader.string("merchantId"),
                                     environment: try reader.enumeration("environment", as: MerchantEnvironment.self),
                                     allowedSources: try reader.strings("allowedSources"))
        case "scenario.submitted":
            return .scenarioSubmitted(try decodeScenario(reader))
        case "scenario.approved":
            return .scenarioApproved(scenarioID: try reader.string("scenarioId"), note: try reader.string("note"))
        case "scenario.rejected":
            return .scenarioRejected(scenarioID: try reader.string("scenarioId"), reason: try reader.string("reason"))
        case "binding.created", "binding.removed":
            let merchantID = try reader.string("merchantId")
            let memberID = try reader.string("memberId")
            let lineUserID = try reader.string("lineUserId")
            return type == "binding.created"
                ? .userBound(merchantID: merchantID, memberID: memberID, lineUserID: lineUserID)
                : .userUnbound(merchantID: merchantID, memberID: memberID, lineUserID: lineUserID)
        case "grant.issued":
            return .pointsGranted(PointsGranted(
                merchantID: try reader.string("merchantId"), orderID: try reader.string("orderId"),
                memberID: try reader.string("memberId"), lineUserID: try reader.string("lineUserId"),
                scenarioID: try reader.string("scenarioId"), points: try reader.int("points")))
        case "revocation.recorded":
            let reason = try reader.enumeration("reason", as: RevocationReason.self)
            return .pointsRevoked(PointsRevoked(
                merchantID: try reader.string("merchantId"), revocationID: try reader.string("revocationId"),
                orderID: try reader.string("orderId"), points: try reader.int("points"),
                evidence: try decodeEvidence(reason, reader.nested("evidence"))))
        case "finding.recorded", "finding.withdrawn":
            let merchantID = try reader.string("merchantId")
            let revocationID = try reader.string("revocationId")
            let note = try reader.string("note")
            return type == "finding.recorded"
                ? .findingRecorded(merchantID: merchantID, revocationID: revocationID, note: note)
                : .findingWithdrawn(merchantID: merchantID, revocationID: revocationID, note: note)
        case "invoice.issued":
            return .invoiceIssued(try Invoice.decode(reader))
        case "period.closed":
            var documents: [PeriodClosed.Document] = []
            for (position, value) in try reader.array("invoices").enumerated() {
                let document = try EventFieldReader(value, path: "data.invoices[\(position)]")
                documents.append(PeriodClosed.Document(merchantID: try document.string("merchantId"),
                                                       invoiceNumber: try document.optionalInvoiceNumber("number")))
            }
            return .periodClosed(PeriodClosed(period: try reader.billingMonth("period"), closedAt: try reader.time("closedAt"),
                                              documents: documents))
        default:
            return nil
        }
    }

    static func encode(_ access: EnvironmentAccess) -> JSONValue {
        ["officialAccountId": .string(access.officialAccountID), "loginChannelId": .string(access.loginChannelID),
         "allowedSources": .array(access.allowedSources.map(JSONValue.string))]
    }

    static func encode(_ eligibility: ProductionEligibility) -> JSONValue {
        switch eligibility {
        case .messagingSpend(let months):
            return ["kind": "messaging_spend",
                    "months": .array(months.map { ["month": .string($0.month), "amount": .int($0.amount)] })]
        case .specialApproval(let reference, let approvedBy):
            return ["kind": "special_approval", "reference": .string(reference), "approvedBy": .string(approvedBy)]
        }
    }

    static func encode(_ evidence: RevocationEvidence) -> JSONValue {
        switch evidence {
        case .mistakenIssuance(let notifiedAt, let channel, let message):
            return ["notifiedAt": .time(notifiedAt), "channel": .string(channel.rawValue), "message": .string(message)]
        case .fraud(let kind, let caseReference, let description):
            return ["fraudKind": .string(kind.rawValue), "caseReference": .string(caseReference), "description": .optional(description)]
        case .purchaseCancelled(let cancellation, let transactionReference):
            return ["cancellation": .string(cancellation.rawValue), "transactionReference": .string(transactionReference)]
        }
    }

    private static func decodeAccess(_ reader: EventFieldReader) throws(DomainError) -> EnvironmentAccess {
        EnvironmentAccess(officialAccountID: try reader.string("officialAccountId"),
                          loginChannelID: try reader.string("loginChannelId"),
                          allowedSources: try reader.strings("allowedSources"))
    }

    private static func decodeEligibility(_ reader: EventFieldReader) throws(DomainError) -> ProductionEligibility {
        switch try reader.string("kind") {
        case "messaging_spend":
            var months: [MonthlySpend] = []
            for (position, value) in try reader.array("months").enumerated() {
                let month = try EventFieldReader(value, path: "\(reader.path).months[\(position)]")
                months.append(MonthlySpend(month: try month.string("month"), amount: try month.int("amount")))
            }
            return .messagingSpend(months)
        case "special_approval":
            return .specialApproval(reference: try reader.string("reference"), approvedBy: try reader.string("approvedBy"))
        default:
            throw EventFieldReader.failure(reader.path + ".kind", "is not messaging_spend or special_approval")
        }
    }

    private static func decodeScenario(_ reader: EventFieldReader) throws(DomainError) -> ScenarioSubmitted {
        var channels: [PurchaseChannel] = []
        for (position, value) in try reader.array("purchaseChannels").enumerated() {
            guard let text = value.stringValue, let channel = PurchaseChannel(rawValue: text) else {
                throw EventFieldReader.failure("data.purchaseChannels[\(position)]", "is not a purchase channel")
            }
            channels.append(channel)
        }
        var rules: [CampaignRule] = []
        for (position, value) in try reader.array("campaignRules").enumerated() {
            let rule = try EventFieldReader(value, path: "data.campaignRules[\(position)]")
            rules.append(CampaignRule(kind: try rule.enumeration("kind", as: CampaignRuleKind.self), text: try rule.string("text")))
        }
        let caps = try reader.nested("caps")
        return ScenarioSubmitted(
            scenarioID: try reader.string("scenarioId"), merchantID: try reader.string("merchantId"),
            title: try reader.string("title"), purpose: try reader.enumeration("purpose", as: ScenarioPurpose.self),
            description: try reader.string("description"), grantConditions: try reader.string("grantConditions"),
            purchaseChannels: channels, campaignRules: rules,
            caps: ScenarioCaps(maxPointsPerGrant: try caps.optionalInt("maxPointsPerGrant"),
                               maxPointsPerUserPerMonth: try caps.optionalInt("maxPointsPerUserPerMonth"),
                               totalBudget: try caps.optionalInt("totalBudget")),
            activeFrom: try reader.time("activeFrom"), activeUntil: try reader.time("activeUntil"),
            submissionID: try reader.optionalString("submissionId"),
            inAppPurchaseStatement: try reader.optionalString("inAppPurchaseStatement"))
    }

    private static func decodeEvidence(_ reason: RevocationReason, _ reader: EventFieldReader) throws(DomainError) -> RevocationEvidence {
        switch reason {
        case .mistakenIssuance:
            return .mistakenIssuance(notifiedAt: try reader.time("notifiedAt"),
                                     channel: try reader.enumeration("channel", as: NoticeChannel.self),
                                     message: try reader.string("message"))
        case .fraud:
            return .fraud(kind: try reader.enumeration("fraudKind", as: FraudKind.self),
                          caseReference: try reader.string("caseReference"), description: try reader.optionalString("description"))
        case .purchaseCancelled:
            return .purchaseCancelled(cancellation: try reader.enumeration("cancellation", as: PurchaseCancellation.self),
                                      transactionReference: try reader.string("transactionReference"))
        }
    }
}
