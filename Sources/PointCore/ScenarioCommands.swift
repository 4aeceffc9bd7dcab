/// A merchant's scenario submission. Enumerated fields arrive as the caller's strings so an
/// unknown value is answered with the list of accepted ones.
public struct SubmitScenarioCommand: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        public var kind: String
        public var text: String
        public init(kind: String, text: String) {
            self.kind = kind
            self.text = text
        }
    }

    public var merchantID: String
    public var title: String
    public var purpose: String
    public var description: String
    public var grantConditions: String
    public var purchaseChannels: [String]
    public var campaignRules: [Rule]
    public var caps: ScenarioCaps
    /// RFC 3339 with offset.
    public var activeFrom: String
    public var activeUntil: String
    /// The merchant's own ID for this submission (an external ID), so a resend after a lost
    /// answer is recognised: the same submission again answers the scenario it created.
    public var submissionID: String?
    /// Why a purchase reward sold in the merchant's app only does not affect app downloads or
    /// app-store ranking: usage rule 3 allows such a reward then, and the reviewer judges the
    /// statement. Only for a purchase reward whose only channel is `in_app`.
    public var inAppPurchaseStatement: String?

    public init(merchantID: String, title: String, purpose: String, description: String, grantConditions: String,
                purchaseChannels: [String] = [], campaignRules: [Rule] = [], caps: ScenarioCaps = ScenarioCaps(),
                activeFrom: String, activeUntil: String, submissionID: String? = nil, inAppPurchaseStatement: String? = nil) {
        self.submissionID = submissionID
        self.inAppPurchaseStatement = inAppPurchaseStatement
        self.merchantID = merchantID
        self.title = title
        self.purpose = purpose
        self.description = description
        self.grantConditions = grantConditions
        self.purchaseChannels = purchaseChannels
        self.campaignRules = campaignRules
        self.caps = caps
        self.activeFrom = activeFrom
        self.activeUntil = activeUntil
    }
}

/// A usage rule a scenario breaks, cited in the refusal.
public struct UsageRuleViolation: Sendable, Equatable {
    public let rule: Int
    public let code: String
    public let explanation: String
}

extension PointsDomain {
    public static let maxTitleLength = 100
    public static let maxDescriptionLength = 4_000
    public static let maxCampaignRules = 50

    public func decide(_ command: SubmitScenarioCommand) throws(DomainError) -> Decision {
        let merchant = try existingMerchant(command.merchantID)
        var problems = FieldProblems()
        if let submissionID = command.submissionID, !Identifiers.isValidExternalID(submissionID) {
            problems.add("submissionId", "must be \(Identifiers.externalIDRule)")
        }
        if let problem = Identifiers.textProblem(command.title, maxLength: Self.maxTitleLength) {
            problems.add("title", "must be 1–\(Self.maxTitleLength) characters: \(problem)")
        }
        if let problem = Identifiers.textProblem(command.description, maxLength: Self.maxDescriptionLength) {
            problems.add("description", "must be 1–\(Self.maxDescriptionLength) characters describing how and why points are granted: \(problem)")
        }
        if let problem = Identifiers.textProblem(command.grantConditions, maxLength: Self.maxDescriptionLength) {
            problems.add("grantConditions", "must be 1–\(Self.maxDescriptionLength) characters stating when a member qualifies: \(problem)")
        }
        let purpose = ScenarioPurpose(rawValue: command.purpose)
        if purpose == nil {
            problems.add("purpose", "must be one of \(ScenarioPurpose.allowed.map(\.rawValue).joined(separator: ", "))")
        }
        var channels: [PurchaseChannel] = []
        for (position, text) in command.purchaseChannels.enumerated() {
            if let channel = PurchaseChannel(rawValue: text) {
                if !channels.contains(channel) { channels.append(channel) }
            } else {
                problems.add("purchaseChannels[\(position)]", "must be one of \(PurchaseChannel.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let purpose, purpose.isPurchaseReward, command.purchaseChannels.isEmpty {
            problems.add("purchaseChannels", "must list where qualifying purchases are made for a purchase-reward scenario")
        }
        if let statement = command.inAppPurchaseStatement {
            if let problem = Identifiers.textProblem(statement, maxLength: Self.maxDescriptionLength) {
                problems.add("inAppPurchaseStatement", "must be 1–\(Self.maxDescriptionLength) characters: \(problem)")
            } else if purpose.map({ !$0.isPurchaseReward }) ?? false || (!channels.isEmpty && channels != [.inApp]) {
                problems.add("inAppPurchaseStatement",
                             "is only for a purchase reward whose only purchase channel is in_app (usage rule 3's exception); leave it out")
            }
        }
        var rules: [CampaignRule] = []
        if command.campaignRules.count > Self.maxCampaignRules { problems.add("campaignRules", "may list at most \(Self.maxCampaignRules) rules") }
        for (position, rule) in command.campaignRules.prefix(Self.maxCampaignRules).enumerated() {
            guard let kind = CampaignRuleKind(rawValue: rule.kind) else {
                problems.add("campaignRules[\(position)].kind", "must be one of \(CampaignRuleKind.allCases.map(\.rawValue).joined(separator: ", "))")
                continue
            }
            if let problem = Identifiers.textProblem(rule.text, maxLength: Self.maxDescriptionLength) {
                problems.add("campaignRules[\(position)].text", "must be 1–\(Self.maxDescriptionLength) characters: \(problem)")
            }
            rules.append(CampaignRule(kind: kind, text: rule.text))
        }
        checkCap(command.caps.maxPointsPerGrant, "caps.maxPointsPerGrant", into: &problems)
        checkCap(command.caps.maxPointsPerUserPerMonth, "caps.maxPointsPerUserPerMonth", into: &problems)
        checkCap(command.caps.totalBudget, "caps.totalBudget", limit: Int(Int32.max) * 1_000, into: &problems)
        let from = CivilTime.parseRFC3339(command.activeFrom)
        let until = CivilTime.parseRFC3339(command.activeUntil)
        if from == nil { problems.add("activeFrom", "must be an RFC 3339 time with offset, like 2026-12-01T00:00:00+08:00") }
        if until == nil { problems.add("activeUntil", "must be an RFC 3339 time with offset, like 2027-12-01T00:00:00+08:00") }
        if let from, let until, until <= from { problems.add("activeUntil", "must be after activeFrom") }
        try problems.throwIfAny()
        guard let purpose, let from, let until else { throw DomainError.invalid(problems.details) }
        let submitted = ScenarioSubmitted(
            scenarioID: Self.scenarioID(number: scenarios.count + 1), merchantID: merchant.id, title: command.title, purpose: purpose,
            description: command.description, grantConditions: command.grantConditions, purchaseChannels: channels,
            campaignRules: rules, caps: command.caps, activeFrom: from, activeUntil: until, submissionID: command.submissionID,
            inAppPurchaseStatement: command.inAppPurchaseStatement)
        if let submissionID = command.submissionID, let earlier = scenario(merchantID: merchant.id, submissionID: submissionID) {
            return try Self.resubmission(submitted, of: earlier)
        }
        guard merchant.status != .terminated, merchant.status != .suspended else {
            throw DomainError(.forbidden, code: "merchant_\(merchant.status.rawValue)",
                              message: "Merchant \(merchant.id) is \(merchant.status.rawValue) and can't submit scenarios; contact the platform.")
        }
        if let violation = Self.usageRuleViolation(purpose: purpose, channels: channels, rules: rules,
                                                   inAppPurchaseStatement: command.inAppPurchaseStatement) {
            throw DomainError(.rejected, code: violation.code,
                              message: "This scenario breaks LINE POINTS usage rule \(violation.rule): \(violation.explanation) Change the scenario; it can't be approved as submitted.",
                              details: [DomainError.Detail(property: violation.rule == 6 ? "campaignRules" : "purpose",
                                                           message: "usage rule \(violation.rule)")])
        }
        if scenarios.count >= limits.maxScenarios {
            throw DomainError(.rejected, code: "limit_reached", message: "The service holds its maximum of \(limits.maxScenarios) scenarios.")
        }
        if let slot = merchantIndex[command.merchantID], scenariosByMerchant[Int(slot)].count >= limits.maxScenariosPerMerchant {
            throw DomainError(.rejected, code: "limit_reached",
                              message: "Merchant \(command.merchantID) has \(limits.maxScenariosPerMerchant) scenarios, the most one merchant holds; ask the platform operator.")
        }
        return .append(.scenarioSubmitted(submitted))
    }

    /// A submission sent again under the same submission ID: the same content is a replay of
    /// the earlier one (nothing new is written); different content is a conflict naming what
    /// differs.
    private static func resubmission(_ submitted: ScenarioSubmitted, of earlier: Scenario) throws(DomainError) -> Decision {
        var differences: [DomainError.Detail] = []
        func compare<Value: Equatable>(_ property: String, _ sent: Value, _ recorded: Value) {
            if sent != recorded { differences.append(DomainError.Detail(property: property, message: "differs from the submission \(earlier.id)")) }
        }
        compare("title", submitted.title, earlier.title)
        compare("purpose", submitted.purpose, earlier.purpose)
        compare("description", submitted.description, earlier.description)
        compare("grantConditions", submitted.grantConditions, earlier.grantConditions)
        compare("purchaseChannels", submitted.purchaseChannels, earlier.purchaseChannels)
        compare("campaignRules", submitted.campaignRules, earlier.campaignRules)
        compare("caps", submitted.caps, earlier.caps)
        compare("activeFrom", submitted.activeFrom, earlier.activeFrom)
        compare("activeUntil", submitted.activeUntil, earlier.activeUntil)
        compare("inAppPurchaseStatement", submitted.inAppPurchaseStatement, earlier.inAppPurchaseStatement)
        guard differences.isEmpty else {
            throw DomainError(.conflict, code: "submission_id_conflict",
                              message: "Submission \(submitted.submissionID ?? "") was already used for scenario \(earlier.id) with different content; send a new submissionId for a new scenario.",
                              details: differences)
        }
        return .replay(earlier.submitted)
    }

    /// A reviewer's decision on a submitted scenario.
    public func decide(reviewOf scenarioID: String, approve: Bool, note: String) throws(DomainError) -> Decision {
        guard let scenario = scenario(scenarioID) else {
            throw DomainError(.notFound, code: "scenario_not_found", message: "No scenario \(scenarioID); check the scenario ID.")
        }
        if let problem = Identifiers.textProblem(note, maxLength: Self.maxNoteLength) {
            throw DomainError.invalid([DomainError.Detail(property: approve ? "note" : "reason",
                                                          message: "must be 1–\(Self.maxNoteLength) characters explaining the decision: \(problem)")])
        }
        // The same review sent again (after a lost answer) is answered by the record it made.
        if scenario.status == (approve ? .approved : .rejected), scenario.reviewNote == note, let reviewed = scenario.reviewed {
            return .replay(reviewed)
        }
        if approve, let merchant = merchant(scenario.merchantID), merchant.status == .terminated {
            throw DomainError(.forbidden, code: "merchant_terminated",
                              message: "Merchant \(merchant.id) is terminated; its scenario \(scenarioID) can't be approved (reject it instead).")
        }
        guard scenario.status == .submitted else {
            throw DomainError(.conflict, code: "scenario_already_reviewed",
                              message: "Scenario \(scenarioID) was already \(scenario.status.rawValue); a reviewed scenario is not reviewed again — the merchant submits a new one.")
        }
        return .append(approve ? .scenarioApproved(scenarioID: scenarioID, note: note) : .scenarioRejected(scenarioID: scenarioID, reason: note))
    }

    /// The usage rule a scenario breaks, if any. A purchase reward sold in-app only keeps to
    /// rule 3 when it comes with a statement that the purchase does not affect app downloads or
    /// ranking (the rule's exception; the reviewer judges the statement).
    public static func usageRuleViolation(purpose: ScenarioPurpose, channels: [PurchaseChannel], rules: [CampaignRule],
                                          inAppPurchaseStatement: String? = nil) -> UsageRuleViolation? {
        switch purpose {
        case .resale:
            return UsageRuleViolation(rule: 1, code: "usage_rule_resale", explanation: "LINE POINTS may not be sold or resold.")
        case .remuneration:
            return UsageRuleViolation(rule: 2, code: "usage_rule_remuneration",
                                      explanation: "LINE POINTS may not be used as salary, commission or any other remuneration.")
        case .appDownload:
            return UsageRuleViolation(rule: 3, code: "usage_rule_app_download",
                                      explanation: "LINE POINTS may not reward downloading an app (app store rules).")
        case .pointsExchangeMedium:
            return UsageRuleViolation(rule: 4, code: "usage_rule_exchange_medium",
                                      explanation: "LINE POINTS may not be the exchange medium between two kinds of the merchant's own points.")
        case .purchaseThreshold, .purchaseCashback:
            if channels == [.inApp], inAppPurchaseStatement == nil {
                return UsageRuleViolation(rule: 3, code: "usage_rule_in_app_purchase",
                                          explanation: "LINE POINTS may not reward a pure in-app purchase: apply the same reward to mobile web or physical goods too, or, if the purchase does not affect app downloads or app-store ranking, say why in inAppPurchaseStatement for the reviewer to judge.")
            }
        case .memberRegistration, .survey, .pointsConversion, .eventParticipation:
            break
        }
        if rules.contains(where: { $0.kind == .pointRecovery }) {
            return UsageRuleViolation(rule: 6, code: "usage_rule_recovery_as_campaign_rule",
                                      explanation: "a campaign may not make point recovery one of its rules; revocation is only for mistaken issuance, fraud or a cancelled purchase.")
        }
        return nil
    }

    static func scenarioID(number: Int) -> String {
        let digits = String(number)
        return "SCN-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    private func checkCap(_ value: Int?, _ property: String, limit: Int? = nil, into problems: inout FieldProblems) {
        guard let value else { return }
        let maximum = limit ?? limits.maxPointsPerGrant * 1_000
        if value < 1 || value > maximum { problems.add(property, "must be a whole number of points from 1 to \(maximum), or absent") }
    }
}
