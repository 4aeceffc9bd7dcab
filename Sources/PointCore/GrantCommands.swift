/// Who receives a grant: a bound member, by the merchant's member ID or by LINE user ID.
public enum GrantRecipient: Sendable, Equatable {
    case member(String)
    case lineUser(String)
}

/// A merchant's request to grant points.
public struct GrantPointsCommand: Sendable, Equatable {
    public var merchantID: String
    public var orderID: String
    public var recipient: GrantRecipient
    public var scenarioID: String
    public var points: Int

    public init(merchantID: String, orderID: String, recipient: GrantRecipient, scenarioID: String, points: Int) {
        self.merchantID = merchantID
        self.orderID = orderID
        self.recipient = recipient
        self.scenarioID = scenarioID
        self.points = points
    }
}

extension PointsDomain {
    /// Most grants in one batch request.
    public static let maxBatchGrants = 1_000

    /// Checks a grant. The same orderId with the same content is a replay of the original; with
    /// different content it is a conflict. Rejected requests leave no trace, so a corrected
    /// request may reuse the orderId.
    public func decide(_ command: GrantPointsCommand, now: Int64) throws(DomainError) -> Decision {
        let cachedMerchant = lastGrantMerchant.flatMap { $0.id == command.merchantID ? $0.slot : nil }
        guard let merchantSlot = cachedMerchant ?? merchantIndex[command.merchantID] else {
            throw DomainError(.notFound, code: "merchant_not_found", message: "No merchant \(command.merchantID); check the merchant ID.")
        }
        // Values first, so a bad value is refused alike whether or not its orderId was used.
        var problems = FieldProblems()
        if !Identifiers.isValidExternalID(command.orderID) { problems.add("orderId", "must be \(Identifiers.externalIDRule)") }
        if command.points < 1 || command.points > limits.maxPointsPerGrant {
            problems.add("points", "must be a whole number of points from 1 to \(limits.maxPointsPerGrant)")
        }
        switch command.recipient {
        case .member(let memberID):
            if !Identifiers.isValidExternalID(memberID) { problems.add("memberId", "must be \(Identifiers.externalIDRule)") }
        case .lineUser(let lineUserID):
            if !Identifiers.isValidLineUserID(lineUserID) { problems.add("lineUserId", "must be U followed by 32 lowercase hex digits") }
        }
        try problems.throwIfAny()
        let environment = grantEnvironment(ofMerchant: merchantSlot)
        if let slot = grants.find(merchant: merchantSlot, environment: environment, orderID: command.orderID) {
            return try replayOrConflict(command, slot: slot)
        }
        let status = merchants[Int(merchantSlot)].status
        if status != .sandbox && status != .production {
            _ = try operatingMerchant(command.merchantID, action: "grant points")
        }
        let cachedScenario = lastGrantScenario.flatMap { $0.id == command.scenarioID ? $0.slot : nil }
        guard let scenarioSlot = cachedScenario ?? scenarioIndex[command.scenarioID], scenarios[Int(scenarioSlot)].merchantID == command.merchantID else {
            throw DomainError(.notFound, code: "scenario_not_found",
                              message: "No scenario \(command.scenarioID) for this merchant; grant under one of your approved scenarios.",
                              details: [DomainError.Detail(property: "scenarioId", message: "no such scenario for this merchant")])
        }
        // Fields are read in place: copying the whole scenario would retain every string in it.
        guard scenarios[Int(scenarioSlot)].status == .approved else {
            let scenario = scenarios[Int(scenarioSlot)]
            throw DomainError(.rejected, code: "scenario_not_approved",
                              message: "Scenario \(scenario.id) is \(scenario.status.rawValue), not approved; points can be granted only under an approved scenario.",
                              details: [DomainError.Detail(property: "scenarioId", message: "is \(scenario.status.rawValue), not approved")])
        }
        guard now >= scenarios[Int(scenarioSlot)].activeFrom, now < scenarios[Int(scenarioSlot)].activeUntil else {
            let scenario = scenarios[Int(scenarioSlot)]
            let window = "from \(CivilTime.formatTaipei(scenario.activeFrom)) until \(CivilTime.formatTaipei(scenario.activeUntil))"
            throw DomainError(.rejected, code: "scenario_not_active",
                              message: "Scenario \(scenario.id) is active \(window) (Asia/Taipei); it is \(CivilTime.formatTaipei(now)) now.",
                              details: [DomainError.Detail(property: "scenarioId", message: "active \(window)")])
        }
        let bindingSlot: UInt32?
        switch command.recipient {
        case .member(let memberID): bindingSlot = activeBindings.binding(merchant: merchantSlot, memberID: memberID, in: bindings)
        case .lineUser(let lineUserID): bindingSlot = activeBindings.binding(merchant: merchantSlot, lineUserID: lineUserID, in: bindings)
        }
        guard let bindingSlot else {
            let property = if case .lineUser = command.recipient { "lineUserId" } else { "memberId" }
            throw DomainError(.rejected, code: "user_not_bound",
                              message: "The recipient is not bound to a LINE user; bind the member with a LINE Login ID token first.",
                              details: [DomainError.Detail(property: property, message: "not bound at this merchant")])
        }
        let caps = scenarios[Int(scenarioSlot)].caps
        let scenarioID = scenarios[Int(scenarioSlot)].id
        if let cap = caps.maxPointsPerGrant, command.points > cap {
            throw DomainError(.rejected, code: "cap_points_per_grant",
                              message: "Scenario \(scenarioID) allows at most \(cap) points per grant; this grant asks for \(command.points).",
                              details: [DomainError.Detail(property: "points", message: "at most \(cap)")])
        }
        if let cap = caps.maxPointsPerUserPerMonth {
            let already = pointsThisMonth(binding: bindingSlot, scenario: scenarioSlot, time: now, environment: environment)
            if already + Int64(command.points) > Int64(cap) {
                throw DomainError(.rejected, code: "cap_points_per_user_per_month",
                                  message: "Scenario \(scenarioID) allows at most \(cap) points per user per month; this user already has \(already) this month (Asia/Taipei).",
                                  details: [DomainError.Detail(property: "points", message: "at most \(max(0, Int64(cap) - already)) more this month")])
            }
        }
        let alreadyGranted = scenarios[Int(scenarioSlot)].grantedPoints
        if let budget = caps.totalBudget, alreadyGranted + Int64(command.points) > Int64(budget) {
            throw DomainError(.rejected, code: "cap_total_budget",
                              message: "Scenario \(scenarioID) has a budget of \(budget) points and \(alreadyGranted) are granted; this grant would exceed it.",
                              details: [DomainError.Detail(property: "points", message: "at most \(max(0, Int64(budget) - alreadyGranted)) left")])
        }
        guard grants.hasRoom(forOrderIDBytes: command.orderID.utf8.count) else {
            throw DomainError(.rejected, code: "limit_reached", message: "The service holds its maximum number of grants.")
        }
        return .append(.pointsGranted(PointsGranted(merchantID: command.merchantID, orderID: command.orderID,
                                                    memberID: bindings[Int(bindingSlot)].memberID,
                                                    lineUserID: bindings[Int(bindingSlot)].lineUserID, scenarioID: scenarioID,
                                                    points: command.points)))
    }

    private func replayOrConflict(_ command: GrantPointsCommand, slot: Int) throws(DomainError) -> Decision {
        let stored = grants.slots[slot]
        let binding = bindings[Int(stored.binding)]
        var differences: [DomainError.Detail] = []
        if Int(stored.points) != command.points { differences.append(.init(property: "points", message: "was \(stored.points)")) }
        if scenarios[Int(stored.scenario)].id != command.scenarioID {
            differences.append(.init(property: "scenarioId", message: "was \(scenarios[Int(stored.scenario)].id)"))
        }
        switch command.recipient {
        case .member(let memberID) where memberID != binding.memberID:
            differences.append(.init(property: "memberId", message: "differs from the original grant"))
        case .lineUser(let lineUserID) where lineUserID != binding.lineUserID:
            differences.append(.init(property: "lineUserId", message: "differs from the original grant"))
        default:
            break
        }
        guard differences.isEmpty else {
            throw DomainError(.conflict, code: "order_id_conflict",
                              message: "orderId \(command.orderID) was already used for a different grant; use a new orderId for a new grant, or resend the original content to get the original result.",
                              details: differences)
        }
        return .replay(seq: stored.seq, time: stored.time)
    }
}
