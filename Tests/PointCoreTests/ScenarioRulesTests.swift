import PointCore
import PointJSON
import Testing

@Suite("Issuance scenarios and the usage rules")
struct ScenarioRulesTests {
    static func submission(purpose: String, channels: [String] = [], rules: [SubmitScenarioCommand.Rule] = []) -> SubmitScenarioCommand {
        SubmitScenarioCommand(merchantID: DomainHarness.merchantA, title: "Campaign", purpose: purpose, description: "A campaign",
                              grantConditions: "members who qualify", purchaseChannels: channels, campaignRules: rules,
                              activeFrom: "2026-10-01T00:00:00+08:00", activeUntil: "2027-01-01T00:00:00+08:00")
    }

    static func registered() throws -> DomainHarness {
        var harness = DomainHarness()
        try harness.registerMerchant()
        return harness
    }

    @Test("Purposes that break a usage rule are refused at once, citing the rule", arguments: [
        ("resale", [String](), "usage_rule_resale", 1),
        ("remuneration", [], "usage_rule_remuneration", 2),
        ("app_download", [], "usage_rule_app_download", 3),
        ("purchase_cashback", ["in_app"], "usage_rule_in_app_purchase", 3),
        ("purchase_threshold", ["in_app"], "usage_rule_in_app_purchase", 3),
        ("points_exchange_medium", [], "usage_rule_exchange_medium", 4),
    ])
    func forbiddenPurposes(purpose: String, channels: [String], code: String, rule: Int) throws {
        let harness = try Self.registered()
        let error = domainError { try harness.domain.decide(Self.submission(purpose: purpose, channels: channels)) }
        #expect(error?.code == code)
        #expect(error?.kind == .rejected)
        #expect(error?.message.contains("usage rule \(rule)") == true)
    }

    @Test("In-app purchases are allowed when the reward also applies to mobile web or physical goods", arguments: [
        ["in_app", "mobile_web"], ["in_app", "physical_store"], ["online_store"],
    ])
    func mixedChannels(channels: [String]) throws {
        let harness = try Self.registered()
        #expect(try harness.domain.decide(Self.submission(purpose: "purchase_cashback", channels: channels)).event != nil)
    }

    @Test("An in-app-only purchase reward with a statement that it doesn't affect app downloads or ranking goes to review (rule 3's exception)")
    func inAppException() throws {
        var harness = try Self.registered()
        let statement = "Coins bought in the app pay for physical deliveries only; they do not unlock app content or count toward store ranking."
        var command = Self.submission(purpose: "purchase_cashback", channels: ["in_app"])
        command.inAppPurchaseStatement = statement
        command.submissionID = "SUB-IN-APP"
        let decision = try harness.domain.decide(command)
        guard case .append(.scenarioSubmitted(let submitted)) = decision else {
            Issue.record("expected a submission, got \(decision)")
            return
        }
        #expect(submitted.inAppPurchaseStatement == statement)
        // The statement is recorded: it round-trips through the ledger's canonical form and replays.
        let data = CanonicalJSON.encode(DomainEvent.scenarioSubmitted(submitted).ledgerData)
        #expect(try DomainEvent.decode(type: "scenario.submitted", data: try JSONParser.parse(data)) == .scenarioSubmitted(submitted))
        try harness.commit(decision)
        let scenario = try #require(harness.domain.scenario(submitted.scenarioID))
        #expect(scenario.inAppPurchaseStatement == statement && scenario.status == .submitted)
        #expect(try harness.replayed() == harness.domain)
        // A resend without the statement is other content under the same submissionId.
        var without = command
        without.inAppPurchaseStatement = nil
        #expect(domainError { try harness.domain.decide(without) }?.details.map(\.property) == ["inAppPurchaseStatement"])
        // A submission without a statement has the bytes it always had (no new member).
        let plain = try harness.domain.decide(Self.submission(purpose: "purchase_cashback", channels: ["online_store"]))
        let plainData = try #require(plain.event.map { String(decoding: CanonicalJSON.encode($0.ledgerData), as: UTF8.self) })
        #expect(!plainData.contains("inAppPurchaseStatement"))
    }

    @Test("The in-app statement is refused where it does not apply, or empty", arguments: [
        ("purchase_cashback", ["in_app", "mobile_web"], "only for a purchase reward"),
        ("member_registration", [], "only for a purchase reward"),
        ("purchase_threshold", ["in_app"], "must be 1–4000 characters"),
    ])
    func inAppStatementMisplaced(purpose: String, channels: [String], message: String) throws {
        let harness = try Self.registered()
        var command = Self.submission(purpose: purpose, channels: channels)
        command.inAppPurchaseStatement = message.hasPrefix("must") ? "" : "It does not affect the ranking."
        let error = domainError { try harness.domain.decide(command) }
        #expect(error?.code == "validation_failed")
        #expect(error?.details.map(\.property) == ["inAppPurchaseStatement"])
        #expect(error?.details.first?.message.contains(message) == true)
    }

    @Test("Point recovery as a campaign rule is refused (rule 6)")
    func recoveryAsRule() throws {
        let harness = try Self.registered()
        let rules = [SubmitScenarioCommand.Rule(kind: "eligibility", text: "members only"),
                     SubmitScenarioCommand.Rule(kind: "point_recovery", text: "points are taken back if the member leaves")]
        let error = domainError { try harness.domain.decide(Self.submission(purpose: "member_registration", rules: rules)) }
        #expect(error?.code == "usage_rule_recovery_as_campaign_rule")
        #expect(error?.message.contains("usage rule 6") == true)
    }

    @Test("Every allowed purpose is accepted", arguments: ScenarioPurpose.allowed)
    func allowedPurposes(purpose: ScenarioPurpose) throws {
        let harness = try Self.registered()
        let channels = purpose.isPurchaseReward ? ["online_store"] : []
        #expect(try harness.domain.decide(Self.submission(purpose: purpose.rawValue, channels: channels)).event != nil)
    }

    @Test("Field problems are listed together")
    func fieldProblems() throws {
        let harness = try Self.registered()
        var command = Self.submission(purpose: "lottery", channels: ["fax"])
        command.title = ""
        command.activeUntil = "2026-09-01T00:00:00+08:00"
        command.caps = ScenarioCaps(maxPointsPerGrant: 0)
        let error = domainError { try harness.domain.decide(command) }
        #expect(error?.code == "validation_failed")
        #expect(Set(error?.details.map(\.property) ?? []) == ["title", "purpose", "purchaseChannels[0]", "activeUntil", "caps.maxPointsPerGrant"])
    }

    /// A merchant's submission ID makes a resend safe: the same submission replays the record
    /// that created the scenario, other content conflicts naming the fields, and the ID is kept
    /// through replay. A submission without one has the bytes it always had.
    @Test("A submission ID makes a resend a replay; other content under it conflicts")
    func submissionID() throws {
        var (harness, _) = try DomainHarness.ready()
        var command = Self.submission(purpose: "survey")
        command.submissionID = "SUB-1"
        let decision = try harness.domain.decide(command)
        guard case .scenarioSubmitted(let submitted)? = decision.event else { Issue.record("no event"); return }
        #expect(submitted.submissionID == "SUB-1")
        try harness.commit(decision)
        let seq = UInt64(harness.records.count)
        #expect(String(decoding: harness.records[Int(seq) - 1].data, as: UTF8.self).contains(#""submissionId":"SUB-1""#))
        #expect(try harness.domain.decide(command) == ResendTests.replay(of: seq, harness))
        // Replayed even once the merchant is suspended: the original answer, nothing new.
        try harness.commit(harness.domain.decide(merchantID: DomainHarness.merchantA, statusChange: .suspend, note: "unpaid"))
        #expect(try harness.domain.decide(command) == ResendTests.replay(of: seq, harness))
        #expect(errorCode { try harness.domain.decide(Self.submission(purpose: "survey")) } == "merchant_suspended")
        try harness.commit(harness.domain.decide(merchantID: DomainHarness.merchantA, statusChange: .reinstate, note: "paid"))
        var changed = command
        changed.title = "Another"
        changed.activeUntil = "2027-02-01T00:00:00+08:00"
        let conflict = domainError { try harness.domain.decide(changed) }
        #expect(conflict?.code == "submission_id_conflict")
        #expect(conflict?.details.map(\.property) == ["title", "activeUntil"])
        var malformed = command
        malformed.submissionID = "two words"
        #expect(domainError { try harness.domain.decide(malformed) }?.details.map(\.property) == ["submissionId"])
        // The same ID at another merchant is that merchant's own.
        try harness.registerMerchant(DomainHarness.merchantB)
        try harness.openSandbox(DomainHarness.merchantB, login: DomainHarness.loginB)
        var elsewhere = command
        elsewhere.merchantID = DomainHarness.merchantB
        #expect(try harness.domain.decide(elsewhere).event != nil)
        #expect(harness.domain.scenario(merchantID: DomainHarness.merchantA, submissionID: "SUB-1")?.submitted.seq == seq)
        #expect(try harness.replayed() == harness.domain)
        // Without an ID the record's data has no such member.
        let plain = try harness.domain.decide(Self.submission(purpose: "survey"))
        #expect(!CanonicalJSON.string(try #require(plain.event).ledgerData).contains("submissionId"))
    }

    @Test("Review: approve or reject once, with a reason")
    func review() throws {
        var harness = try Self.registered()
        let decision = try harness.domain.decide(Self.submission(purpose: "survey"))
        guard case .scenarioSubmitted(let submitted)? = decision.event else { Issue.record("no event"); return }
        #expect(submitted.scenarioID == "SCN-000001")
        try harness.commit(decision)
        #expect(harness.domain.scenario(submitted.scenarioID)?.status == .submitted)
        #expect(errorCode { try harness.domain.decide(reviewOf: submitted.scenarioID, approve: false, note: "") } == "validation_failed")
        try harness.commit(harness.domain.decide(reviewOf: submitted.scenarioID, approve: false, note: "grant conditions unclear"))
        #expect(harness.domain.scenario(submitted.scenarioID)?.status == .rejected)
        #expect(harness.domain.scenario(submitted.scenarioID)?.reviewNote == "grant conditions unclear")
        #expect(errorCode { try harness.domain.decide(reviewOf: submitted.scenarioID, approve: true, note: "ok") } == "scenario_already_reviewed")
        #expect(errorCode { try harness.domain.decide(reviewOf: "SCN-999999", approve: true, note: "ok") } == "scenario_not_found")
        // A terminated merchant's scenario can be rejected, never approved.
        let pending = try harness.domain.decide(Self.submission(purpose: "survey"))
        guard case .scenarioSubmitted(let second)? = pending.event else { Issue.record("no event"); return }
        try harness.commit(pending)
        try harness.commit(harness.domain.decide(merchantID: DomainHarness.merchantA, statusChange: .terminate, note: "contract ended"))
        #expect(errorCode { try harness.domain.decide(reviewOf: second.scenarioID, approve: true, note: "ok") } == "merchant_terminated")
        try harness.commit(harness.domain.decide(reviewOf: second.scenarioID, approve: false, note: "merchant left"))
    }

    @Test("A merchant holds at most 500 scenarios; a resend of one of them is still its replay, and another merchant is not held back")
    func scenariosPerMerchantAreBounded() throws {
        var harness = DomainHarness()
        try harness.registerMerchant()
        try harness.openSandbox()
        func submission(_ number: Int, merchant: String = DomainHarness.merchantA) -> SubmitScenarioCommand {
            SubmitScenarioCommand(merchantID: merchant, title: "Survey \(number)", purpose: "survey", description: "a survey",
                                  grantConditions: "answered", purchaseChannels: [], caps: ScenarioCaps(),
                                  activeFrom: "2026-10-01T00:00:00+08:00", activeUntil: "2027-10-01T00:00:00+08:00", submissionID: "s-\(number)")
        }
        for number in 1...harness.domain.limits.maxScenariosPerMerchant { try harness.commit(harness.domain.decide(submission(number))) }
        let refused = domainError { try harness.domain.decide(submission(501)) }
        #expect(refused?.code == "limit_reached" && refused?.message.contains("500 scenarios") == true, "\(String(describing: refused))")
        #expect(try harness.domain.decide(submission(7)).isReplay)
        #expect(harness.domain.scenarios(merchantID: DomainHarness.merchantA).count == 500)
        try harness.registerMerchant(DomainHarness.merchantB)
        try harness.openSandbox(DomainHarness.merchantB, login: DomainHarness.loginB)
        #expect(try !harness.domain.decide(submission(1, merchant: DomainHarness.merchantB)).isReplay)
        #expect(try harness.replayed() == harness.domain)
    }
}
