import PointCore
import Testing

/// Every write can be sent again after a lost answer: the same command is answered by the
/// record it made (a replay, nothing new written); a different one meets the usual refusal.
@Suite("Reviewer writes sent again")
struct ResendTests {
    /// The replay of record `seq` of the harness's ledger, with that record's time.
    static func replay(of seq: UInt64, _ harness: DomainHarness) -> Decision {
        .replay(seq: seq, time: harness.records[Int(seq) - 1].time)
    }

    @Test("The same registration and the same environment opening are replays; other details are refused")
    func registrationAndOpening() throws {
        var harness = DomainHarness()
        try harness.registerMerchant()
        let registration = RegisterMerchantCommand(merchantID: DomainHarness.merchantA, name: "Merchant \(DomainHarness.merchantA)", taxID: "22099131",
                                                   appliedOn: "2026-09-01", contractStartDate: "2026-10-01")
        #expect(try harness.domain.decide(registration) == Self.replay(of: 1, harness))
        var renamed = registration
        renamed.name = "Other name"
        renamed.unitPriceTenths = 12
        let exists = domainError { try harness.domain.decide(renamed) }
        #expect(exists?.code == "merchant_exists")
        #expect(exists?.details.map(\.property) == ["name", "unitPriceTenths"])
        try harness.openSandbox()
        let opening = OpenEnvironmentCommand(merchantID: DomainHarness.merchantA, environment: .sandbox, officialAccountID: "@test001",
                                             loginChannelID: DomainHarness.loginA, linkedLoginChannelID: DomainHarness.loginA,
                                             allowedSources: ["127.0.0.1"])
        #expect(try harness.domain.decide(opening) == Self.replay(of: 2, harness))
        var otherSources = opening
        otherSources.allowedSources = ["10.0.0.1"]
        let refused = domainError { try harness.domain.decide(otherSources) }
        #expect(refused?.code == "environment_already_open")
        #expect(refused?.details.map(\.property) == ["allowedSources"])
        // Once the allowlist changed, the original opening is no longer the environment's state.
        try harness.commit(harness.domain.decide(merchantID: DomainHarness.merchantA, environment: .sandbox, allowedSources: ["10.0.0.1"]))
        #expect(errorCode { try harness.domain.decide(opening) } == "environment_already_open")
        #expect(try harness.replayed() == harness.domain)
    }

    @Test("A production opening resent with its eligibility months in another order is the same opening")
    func eligibilityOrder() throws {
        var (settlement, _) = try SettlementHarness.ready()
        let production = SettlementHarness.production()
        try settlement.commit(settlement.harness.domain.decide(production))
        var reordered = production
        if case .messagingSpend(let months)? = production.eligibility { reordered.eligibility = .messagingSpend(months.reversed()) }
        #expect(try settlement.harness.domain.decide(reordered).isReplay)
        var other = production
        other.eligibility = .specialApproval(reference: "SP-9", approvedBy: "R")
        #expect(domainError { try settlement.harness.domain.decide(other) }?.details.map(\.property) == ["eligibility"])
    }

    @Test("A suspended merchant's resend of a binding that exists is answered; a new binding is refused")
    func bindingWhileSuspended() throws {
        var (harness, _) = try DomainHarness.ready()
        try harness.commit(harness.domain.decide(merchantID: DomainHarness.merchantA, statusChange: .suspend, note: "unpaid"))
        let login = VerifiedLineLogin(lineUserID: DomainHarness.lineUser(1), audience: DomainHarness.loginA)
        #expect(try harness.domain.decide(bind: "m-1", merchantID: DomainHarness.merchantA, login: login).isReplay)
        let newcomer = VerifiedLineLogin(lineUserID: DomainHarness.lineUser(9), audience: DomainHarness.loginA)
        #expect(errorCode { try harness.domain.decide(bind: "m-9", merchantID: DomainHarness.merchantA, login: newcomer) } == "merchant_suspended")
        // The same member with another LINE user is a new binding: refused as suspended too.
        #expect(errorCode { try harness.domain.decide(bind: "m-1", merchantID: DomainHarness.merchantA, login: newcomer) } == "merchant_suspended")
    }

    @Test("An unchanged allowlist is a replay of the record that set it; a changed one is written")
    func allowlist() throws {
        var (harness, _) = try DomainHarness.ready()
        let opened = try #require(harness.records.firstIndex { $0.type == "merchant.sandbox_opened" }).advanced(by: 1)
        #expect(try harness.domain.decide(merchantID: DomainHarness.merchantA, environment: .sandbox, allowedSources: ["127.0.0.1"])
                == Self.replay(of: UInt64(opened), harness))
        try harness.commit(harness.domain.decide(merchantID: DomainHarness.merchantA, environment: .sandbox, allowedSources: ["10.0.0.0/8"]))
        let updated = UInt64(harness.records.count)
        #expect(try harness.domain.decide(merchantID: DomainHarness.merchantA, environment: .sandbox, allowedSources: ["10.0.0.0/8"])
                == Self.replay(of: updated, harness))
        // An allowlist is a set: the same entries in another order (or repeated) are the same allowlist.
        try harness.commit(harness.domain.decide(merchantID: DomainHarness.merchantA, environment: .sandbox, allowedSources: ["10.0.0.0/8", "192.0.2.7"]))
        let pair = UInt64(harness.records.count)
        #expect(try harness.domain.decide(merchantID: DomainHarness.merchantA, environment: .sandbox, allowedSources: ["192.0.2.7", "10.0.0.0/8"])
                == Self.replay(of: pair, harness))
        #expect(try harness.domain.decide(merchantID: DomainHarness.merchantA, environment: .sandbox, allowedSources: ["192.0.2.7", "10.0.0.0/8", "192.0.2.7"])
                == Self.replay(of: pair, harness))
        #expect(try harness.domain.decide(merchantID: DomainHarness.merchantA, environment: .sandbox, allowedSources: ["192.0.2.7"]).event != nil)
        #expect(try harness.domain.decide(merchantID: DomainHarness.merchantA, environment: .sandbox, allowedSources: ["127.0.0.1"]).event != nil)
        #expect(try harness.replayed() == harness.domain)
    }

    @Test("The same status change with the same note, while it is the last one, is a replay")
    func statusChange() throws {
        var (harness, _) = try DomainHarness.ready()
        try harness.commit(harness.domain.decide(merchantID: DomainHarness.merchantA, statusChange: .suspend, note: "unpaid"))
        let suspended = UInt64(harness.records.count)
        #expect(try harness.domain.decide(merchantID: DomainHarness.merchantA, statusChange: .suspend, note: "unpaid") == Self.replay(of: suspended, harness))
        #expect(errorCode { try harness.domain.decide(merchantID: DomainHarness.merchantA, statusChange: .suspend, note: "other") }
                == "merchant_status_conflict")
        // The differing field is named.
        #expect(domainError { try harness.domain.decide(merchantID: DomainHarness.merchantA, statusChange: .suspend, note: "other") }?
            .details.map(\.property) == ["reason"])
        try harness.commit(harness.domain.decide(merchantID: DomainHarness.merchantA, statusChange: .reinstate, note: "paid"))
        // After the reinstatement, a suspension is a new one.
        #expect(try harness.domain.decide(merchantID: DomainHarness.merchantA, statusChange: .suspend, note: "unpaid").event != nil)
        #expect(try harness.domain.decide(merchantID: DomainHarness.merchantA, statusChange: .reinstate, note: "paid")
                == Self.replay(of: UInt64(harness.records.count), harness))
        #expect(try harness.replayed() == harness.domain)
    }

    @Test("The same review of a scenario is a replay; the other decision, or another note, is refused")
    func review() throws {
        var (harness, _) = try DomainHarness.ready()
        let decision = try harness.domain.decide(ScenarioRulesTests.submission(purpose: "survey"))
        guard case .scenarioSubmitted(let submitted)? = decision.event else { Issue.record("no event"); return }
        try harness.commit(decision)
        try harness.commit(harness.domain.decide(reviewOf: submitted.scenarioID, approve: true, note: "fine"))
        let reviewed = UInt64(harness.records.count)
        #expect(try harness.domain.decide(reviewOf: submitted.scenarioID, approve: true, note: "fine") == Self.replay(of: reviewed, harness))
        #expect(errorCode { try harness.domain.decide(reviewOf: submitted.scenarioID, approve: false, note: "fine") } == "scenario_already_reviewed")
        #expect(errorCode { try harness.domain.decide(reviewOf: submitted.scenarioID, approve: true, note: "other") } == "scenario_already_reviewed")
        #expect(try harness.replayed() == harness.domain)
    }

    @Test("The same finding, and the same withdrawal, sent again are replays")
    func findings() throws {
        var (harness, scenario) = try DomainHarness.ready()
        try harness.commit(harness.domain.decide(harness.grant("o-1", 100, scenario: scenario), now: harness.now))
        try harness.commit(harness.domain.decide(RevocationRulesTests.revoke("r-1", points: 10, reason: "fraud", RevocationRulesTests.fraud),
                                                 now: harness.now))
        let merchant = DomainHarness.merchantA
        #expect(errorCode { try harness.domain.decide(finding: "r-1", merchantID: merchant, record: false, note: "gone") } == "finding_not_recorded")
        try harness.commit(harness.domain.decide(finding: "r-1", merchantID: merchant, record: true, note: "no evidence"))
        let recorded = UInt64(harness.records.count)
        #expect(try harness.domain.decide(finding: "r-1", merchantID: merchant, record: true, note: "no evidence") == Self.replay(of: recorded, harness))
        #expect(errorCode { try harness.domain.decide(finding: "r-1", merchantID: merchant, record: true, note: "another") } == "finding_already_recorded")
        try harness.commit(harness.domain.decide(finding: "r-1", merchantID: merchant, record: false, note: "evidence arrived"))
        let withdrawn = UInt64(harness.records.count)
        #expect(try harness.domain.decide(finding: "r-1", merchantID: merchant, record: false, note: "evidence arrived") == Self.replay(of: withdrawn, harness))
        #expect(errorCode { try harness.domain.decide(finding: "r-1", merchantID: merchant, record: false, note: "other") } == "finding_not_recorded")
        // Recording again after the withdrawal is a new finding, even with the first note.
        #expect(try harness.domain.decide(finding: "r-1", merchantID: merchant, record: true, note: "no evidence").event != nil)
        #expect(try harness.replayed() == harness.domain)
    }
}
