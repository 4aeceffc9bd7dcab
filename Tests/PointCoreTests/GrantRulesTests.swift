import PointCore
import Testing

@Suite("Grants")
struct GrantRulesTests {
    @Test("A grant to a bound member under an approved scenario")
    func grant() throws {
        var (harness, scenario) = try DomainHarness.ready()
        try harness.commit(harness.domain.decide(harness.grant("o-1", 25, scenario: scenario), now: harness.now))
        let grant = try #require(harness.domain.grant(merchantID: DomainHarness.merchantA, orderID: "o-1"))
        #expect(grant.points == 25)
        #expect(grant.memberID == "m-1")
        #expect(grant.lineUserID == DomainHarness.lineUser(1))
        #expect(grant.remainingPoints == 25)
        #expect(grant.seq == UInt64(harness.records.count))
        // By LINE user ID as well.
        let byLineUser = GrantPointsCommand(merchantID: DomainHarness.merchantA, orderID: "o-2", recipient: .lineUser(DomainHarness.lineUser(2)),
                                            scenarioID: scenario, points: 5)
        try harness.commit(harness.domain.decide(byLineUser, now: harness.now))
        #expect(harness.domain.grant(merchantID: DomainHarness.merchantA, orderID: "o-2")?.memberID == "m-2")
    }

    @Test("The newest grant is found by the seq that wrote it, and only by that seq while it is the newest grant")
    func newestGrantBySeq() throws {
        var (harness, scenario) = try DomainHarness.ready()
        #expect(harness.domain.newestGrant(writtenAt: UInt64(harness.records.count)) == nil, "no grant yet")
        try harness.commit(harness.domain.decide(harness.grant("o-1", 25, scenario: scenario), now: harness.now))
        let firstSeq = UInt64(harness.records.count)
        #expect(harness.domain.newestGrant(writtenAt: firstSeq) == harness.domain.grant(merchantID: DomainHarness.merchantA, orderID: "o-1"))
        #expect(harness.domain.newestGrant(writtenAt: firstSeq - 1) == nil, "another record's seq")
        try harness.commit(harness.domain.decide(harness.grant("o-2", 5, scenario: scenario, member: "m-2"), now: harness.now))
        let secondSeq = UInt64(harness.records.count)
        let second = try #require(harness.domain.newestGrant(writtenAt: secondSeq))
        #expect(second == harness.domain.grant(merchantID: DomainHarness.merchantA, orderID: "o-2"))
        #expect(second.orderID == "o-2" && second.memberID == "m-2" && second.points == 5 && second.seq == secondSeq)
        #expect(harness.domain.newestGrant(writtenAt: firstSeq) == nil, "no longer the newest")
        #expect(harness.domain.newestGrant(writtenAt: secondSeq + 1) == nil)
    }

    @Test("orderId is idempotent: same content replays, different content conflicts, rejections leave no trace")
    func idempotency() throws {
        var (harness, scenario) = try DomainHarness.ready()
        try harness.commit(harness.domain.decide(harness.grant("o-1", 25, scenario: scenario), now: harness.now))
        let recordCount = harness.records.count
        #expect(try harness.domain.decide(harness.grant("o-1", 25, scenario: scenario), now: harness.now).isReplay)
        let conflict = domainError { try harness.domain.decide(harness.grant("o-1", 26, scenario: scenario, member: "m-2"), now: harness.now) }
        #expect(conflict?.code == "order_id_conflict")
        #expect(Set(conflict?.details.map(\.property) ?? []) == ["points", "memberId"])
        // A bad value is a bad value whether or not the orderId was used (as a batch item and a
        // single grant are refused alike).
        let invalid = domainError { try harness.domain.decide(harness.grant("o-1", 0, scenario: scenario), now: harness.now) }
        #expect(invalid?.code == "validation_failed" && invalid?.details.map(\.property) == ["points"])
        #expect(harness.records.count == recordCount)
        // A rejected request is not remembered: the orderId is free for a corrected request.
        #expect(errorCode { try harness.domain.decide(harness.grant("o-9", 0, scenario: scenario), now: harness.now) } == "validation_failed")
        #expect(try harness.domain.decide(harness.grant("o-9", 1, scenario: scenario), now: harness.now).event != nil)
        // The replay still works after the member is unbound.
        try harness.commit(harness.domain.decide(unbind: "m-1", merchantID: DomainHarness.merchantA))
        #expect(try harness.domain.decide(harness.grant("o-1", 25, scenario: scenario), now: harness.now).isReplay)
        #expect(errorCode { try harness.domain.decide(harness.grant("o-10", 25, scenario: scenario), now: harness.now) } == "user_not_bound")
        #expect(domainError { try harness.domain.decide(harness.grant("o-10", 25, scenario: scenario), now: harness.now) }?.details.map(\.property) == ["memberId"])
    }

    @Test("Another merchant's orderIds are not visible")
    func merchantScope() throws {
        var (harness, scenario) = try DomainHarness.ready()
        try harness.registerMerchant(DomainHarness.merchantB)
        try harness.commit(harness.domain.decide(harness.grant("o-1", 25, scenario: scenario), now: harness.now))
        #expect(harness.domain.grant(merchantID: DomainHarness.merchantB, orderID: "o-1") == nil)
        // Merchant B can't grant under A's scenario.
        try harness.openSandbox(DomainHarness.merchantB, login: DomainHarness.loginB)
        try harness.bind("b-1", 1, merchant: DomainHarness.merchantB, login: DomainHarness.loginB)
        let foreign = GrantPointsCommand(merchantID: DomainHarness.merchantB, orderID: "o-1", recipient: .member("b-1"), scenarioID: scenario, points: 1)
        #expect(errorCode { try harness.domain.decide(foreign, now: harness.now) } == "scenario_not_found")
    }

    @Test("Only approved scenarios, inside their window")
    func scenarioState() throws {
        var (harness, _) = try DomainHarness.ready()
        let pending = try harness.domain.decide(ScenarioRulesTests.submission(purpose: "survey"))
        guard case .scenarioSubmitted(let submitted)? = pending.event else { Issue.record("no event"); return }
        try harness.commit(pending)
        let unapproved = domainError { try harness.domain.decide(harness.grant("o-1", 1, scenario: submitted.scenarioID), now: harness.now) }
        #expect(unapproved?.code == "scenario_not_approved")
        #expect(unapproved?.details == [DomainError.Detail(property: "scenarioId", message: "is submitted, not approved")])
        try harness.commit(harness.domain.decide(reviewOf: submitted.scenarioID, approve: true, note: "ok"))
        let beforeWindow = try #require(CivilTime.parseRFC3339("2026-09-30T23:59:59+08:00"))
        let endOfWindow = try #require(CivilTime.parseRFC3339("2027-01-01T00:00:00+08:00"))
        let early = domainError { try harness.domain.decide(harness.grant("o-1", 1, scenario: submitted.scenarioID), now: beforeWindow) }
        #expect(early?.code == "scenario_not_active")
        // The window and the time in Asia/Taipei, as the rest of the product speaks of it; the detail names the field.
        #expect(early?.message.contains("is active from 2026-10-01T00:00:00+08:00 until 2027-01-01T00:00:00+08:00 (Asia/Taipei); it is 2026-09-30T23:59:59+08:00 now.") == true,
                "\(String(describing: early))")
        #expect(early?.details.map(\.property) == ["scenarioId"])
        #expect(errorCode { try harness.domain.decide(harness.grant("o-1", 1, scenario: submitted.scenarioID), now: endOfWindow) } == "scenario_not_active")
        #expect(try harness.domain.decide(harness.grant("o-1", 1, scenario: submitted.scenarioID), now: endOfWindow - 1).event != nil)
        #expect(errorCode { try harness.domain.decide(harness.grant("o-1", 1, scenario: "SCN-999999"), now: harness.now) } == "scenario_not_found")
        #expect(domainError { try harness.domain.decide(harness.grant("o-1", 1, scenario: "SCN-999999"), now: harness.now) }?.details.map(\.property) == ["scenarioId"])
    }

    @Test("Caps: per grant, per user per Taipei month, total budget")
    func caps() throws {
        var harness = DomainHarness()
        try harness.registerMerchant()
        try harness.openSandbox()
        let scenario = try harness.approvedScenario(caps: ScenarioCaps(maxPointsPerGrant: 100, maxPointsPerUserPerMonth: 150, totalBudget: 400))
        try harness.bind("m-1", 1)
        try harness.bind("m-2", 2)
        #expect(errorCode { try harness.domain.decide(harness.grant("o-1", 101, scenario: scenario), now: harness.now) } == "cap_points_per_grant")
        try harness.commit(harness.domain.decide(harness.grant("o-1", 100, scenario: scenario), now: harness.now))
        #expect(errorCode { try harness.domain.decide(harness.grant("o-2", 51, scenario: scenario), now: harness.now) } == "cap_points_per_user_per_month")
        try harness.commit(harness.domain.decide(harness.grant("o-2", 50, scenario: scenario), now: harness.now))
        // The next Asia/Taipei month starts at 2026-11-01T00:00+08:00 = 2026-10-31T16:00Z.
        harness.now = try #require(CivilTime.parseRFC3339("2026-10-31T15:59:59.999999Z"))
        #expect(errorCode { try harness.domain.decide(harness.grant("o-3", 1, scenario: scenario), now: harness.now) } == "cap_points_per_user_per_month")
        harness.now = try #require(CivilTime.parseRFC3339("2026-10-31T16:00:00Z"))
        try harness.commit(harness.domain.decide(harness.grant("o-3", 100, scenario: scenario), now: harness.now))
        try harness.commit(harness.domain.decide(harness.grant("o-4", 100, scenario: scenario, member: "m-2"), now: harness.now))
        // 350 of 400 granted: 51 more exceeds the budget even for a user with nothing this month.
        try harness.bind("m-3", 3)
        #expect(errorCode { try harness.domain.decide(harness.grant("o-5", 51, scenario: scenario, member: "m-3"), now: harness.now) } == "cap_total_budget")
        try harness.commit(harness.domain.decide(harness.grant("o-5", 50, scenario: scenario, member: "m-3"), now: harness.now))
        #expect(harness.domain.scenario(scenario)?.grantedPoints == 400)
    }

    @Test("Test grants don't use up production: once live, the budget and the monthly cap count production grants only")
    func testGrantsLeaveProductionWhole() throws {
        var harness = DomainHarness()
        try harness.registerMerchant()
        try harness.openSandbox()
        let scenario = try harness.approvedScenario(caps: ScenarioCaps(maxPointsPerGrant: 100, maxPointsPerUserPerMonth: 150, totalBudget: 200))
        try harness.bind("m-1", 1)
        try harness.bind("m-2", 2)
        // In the sandbox the caps hold for test grants, so a merchant can try them.
        try harness.commit(harness.domain.decide(harness.grant("t-1", 100, scenario: scenario), now: harness.now))
        try harness.commit(harness.domain.decide(harness.grant("t-2", 50, scenario: scenario), now: harness.now))
        #expect(errorCode { try harness.domain.decide(harness.grant("t-3", 1, scenario: scenario), now: harness.now) } == "cap_points_per_user_per_month")
        try harness.commit(harness.domain.decide(harness.grant("t-3", 50, scenario: scenario, member: "m-2"), now: harness.now))
        #expect(errorCode { try harness.domain.decide(harness.grant("t-4", 1, scenario: scenario, member: "m-2"), now: harness.now) } == "cap_total_budget")
        #expect(harness.domain.scenario(scenario)?.grantedPoints == 200)
        #expect(harness.domain.scenario(scenario)?.sandboxGrantedPoints == 200)
        // Live in the same month: the whole budget and each user's whole monthly allowance are there.
        let live = OpenEnvironmentCommand(merchantID: DomainHarness.merchantA, environment: .production, officialAccountID: "@shop",
                                          loginChannelID: "2000000100", linkedLoginChannelID: "2000000100", allowedSources: ["203.0.113.0/24"],
                                          eligibility: .specialApproval(reference: "SP-1", approvedBy: "Reviewer"))
        try harness.commit(harness.domain.decide(live))
        #expect(harness.domain.scenario(scenario)?.grantedPoints == 0)
        #expect(harness.domain.scenario(scenario)?.sandboxGrantedPoints == 200, "what the tests granted stays on record")
        try harness.commit(harness.domain.decide(harness.grant("p-1", 100, scenario: scenario), now: harness.now))
        #expect(errorCode { try harness.domain.decide(harness.grant("p-2", 51, scenario: scenario), now: harness.now) } == "cap_points_per_user_per_month")
        try harness.commit(harness.domain.decide(harness.grant("p-2", 50, scenario: scenario), now: harness.now))
        try harness.commit(harness.domain.decide(harness.grant("p-3", 50, scenario: scenario, member: "m-2"), now: harness.now))
        #expect(errorCode { try harness.domain.decide(harness.grant("p-4", 1, scenario: scenario, member: "m-2"), now: harness.now) } == "cap_total_budget")
        #expect(harness.domain.scenario(scenario)?.grantedPoints == 200)
        #expect(harness.domain.scenario(scenario)?.sandboxGrantedPoints == 200)
        #expect(harness.domain.grant(merchantID: DomainHarness.merchantA, orderID: "p-3")?.environment == .production)
        #expect(try harness.replayed() == harness.domain)
    }

    @Test("The monthly cap is per LINE user: unbinding and binding again, as another member or the same, doesn't reset it")
    func capSurvivesRebinding() throws {
        var harness = DomainHarness()
        try harness.registerMerchant()
        try harness.openSandbox()
        let scenario = try harness.approvedScenario(caps: ScenarioCaps(maxPointsPerGrant: 100, maxPointsPerUserPerMonth: 150, totalBudget: 1_000))
        try harness.bind("m-1", 1)
        try harness.commit(harness.domain.decide(harness.grant("o-1", 100, scenario: scenario), now: harness.now))
        try harness.commit(harness.domain.decide(harness.grant("o-2", 50, scenario: scenario), now: harness.now))
        try harness.commit(harness.domain.decide(unbind: "m-1", merchantID: DomainHarness.merchantA))
        try harness.bind("m-2", 1)
        #expect(errorCode { try harness.domain.decide(harness.grant("o-3", 1, scenario: scenario, member: "m-2"), now: harness.now) } == "cap_points_per_user_per_month")
        try harness.commit(harness.domain.decide(unbind: "m-2", merchantID: DomainHarness.merchantA))
        try harness.bind("m-1", 1)
        #expect(errorCode { try harness.domain.decide(harness.grant("o-3", 1, scenario: scenario), now: harness.now) } == "cap_points_per_user_per_month")
        // Another LINE user bound to the member gets the member's own allowance.
        try harness.commit(harness.domain.decide(unbind: "m-1", merchantID: DomainHarness.merchantA))
        try harness.bind("m-1", 2)
        try harness.commit(harness.domain.decide(harness.grant("o-3", 100, scenario: scenario), now: harness.now))
        #expect(try harness.replayed() == harness.domain)
    }

    @Test("Points must be a positive whole number within the limit; IDs are checked", arguments: [0, -5, 10_000_001])
    func pointRange(points: Int) throws {
        let (harness, scenario) = try DomainHarness.ready()
        let error = domainError { try harness.domain.decide(harness.grant("o-1", points, scenario: scenario), now: harness.now) }
        #expect(error?.details.map(\.property) == ["points"])
    }

    @Test("Listing: filters and cursor pagination in ledger order")
    func listing() throws {
        var (harness, scenario) = try DomainHarness.ready()
        for number in 1...7 {
            try harness.commit(harness.domain.decide(harness.grant("o-\(number)", number, scenario: scenario, member: number % 2 == 0 ? "m-2" : "m-1"), now: harness.now))
        }
        var seen: [String] = []
        var cursor: UInt64?
        repeat {
            let page = harness.domain.grants(merchantID: DomainHarness.merchantA, filter: .init(memberID: "m-1"), after: cursor, limit: 2)
            seen += page.grants.map(\.orderID)
            cursor = page.next
        } while cursor != nil
        #expect(seen == ["o-1", "o-3", "o-5", "o-7"])
        #expect(harness.domain.grants(merchantID: DomainHarness.merchantB, filter: .init(), after: nil, limit: 10).grants.isEmpty)
    }

    @Test("Listing through a seq leaves out later grants (those not yet durable) and ends the pages")
    func listingThroughASeq() throws {
        var (harness, scenario) = try DomainHarness.ready()
        for number in 1...5 {
            try harness.commit(harness.domain.decide(harness.grant("o-\(number)", number, scenario: scenario), now: harness.now))
        }
        let third = try #require(harness.domain.grant(merchantID: DomainHarness.merchantA, orderID: "o-3"))
        let page = harness.domain.grants(merchantID: DomainHarness.merchantA, filter: .init(throughSeq: third.seq), after: nil, limit: 2)
        #expect(page.grants.map(\.orderID) == ["o-1", "o-2"])
        let last = harness.domain.grants(merchantID: DomainHarness.merchantA, filter: .init(throughSeq: third.seq), after: page.next, limit: 2)
        #expect(last.grants.map(\.orderID) == ["o-3"])
        #expect(last.next == nil)
    }
}

@Suite("Grant batches")
struct GrantBatchTests {
    @Test("A result per item; later items see earlier ones")
    func batch() throws {
        var (harness, scenario) = try DomainHarness.ready()
        let commands = [harness.grant("b-1", 10, scenario: scenario), harness.grant("b-2", 0, scenario: scenario),
                        harness.grant("b-1", 10, scenario: scenario), harness.grant("b-1", 11, scenario: scenario),
                        harness.grant("b-3", 5, scenario: scenario, member: "m-2")]
        let start = UInt64(harness.records.count)
        var seq = start
        let outcomes = try harness.domain.grantBatch(commands, now: harness.now) { _ throws(DomainError) in
            seq += 1
            return (seq, harness.now)
        }
        #expect(outcomes.count == 5)
        guard case .granted(let first) = outcomes[0], case .refused(let invalid) = outcomes[1], case .replayed(let replay) = outcomes[2],
            case .refused(let conflict) = outcomes[3], case .granted(let last) = outcomes[4]
        else { Issue.record("unexpected outcomes \(outcomes)"); return }
        // The first and last items wrote the batch's two records; the repeat replays the first's.
        #expect(first == start + 1 && replay == first && last == start + 2)
        #expect(harness.domain.grant(merchantID: commands[0].merchantID, orderID: "b-1")?.points == 10)
        #expect(harness.domain.grant(merchantID: commands[4].merchantID, orderID: "b-3")?.memberID == "m-2")
        #expect(invalid.code == "validation_failed")
        #expect(conflict.code == "order_id_conflict")
        #expect(harness.domain.lastSeq == seq)
    }

    @Test("Batches hold 1 to 1,000 grants; a failing write stops the batch")
    func limits() throws {
        var (harness, scenario) = try DomainHarness.ready()
        let tooMany = (0...1_000).map { harness.grant("x-\($0)", 1, scenario: scenario) }
        #expect(errorCode { try harness.domain.grantBatch(tooMany, now: harness.now) { _ throws(DomainError) in (1, 1) } } == "validation_failed")
        #expect(errorCode { try harness.domain.grantBatch([], now: harness.now) { _ throws(DomainError) in (1, 1) } } == "validation_failed")
        let unavailable = DomainError(.forbidden, code: "ledger_unavailable", message: "down")
        let two = [harness.grant("y-1", 1, scenario: scenario), harness.grant("y-2", 1, scenario: scenario)]
        #expect(errorCode { try harness.domain.grantBatch(two, now: harness.now) { _ throws(DomainError) in throw unavailable } } == "ledger_unavailable")
        #expect(harness.domain.grant(merchantID: DomainHarness.merchantA, orderID: "y-1") == nil)
    }

    @Test("Listing looks at a bounded number of grants per page (short pages carry a cursor) and skips by time before from and after until")
    func listingIsBounded() throws {
        var (harness, scenario) = try DomainHarness.ready()
        let start = harness.now
        for number in 1...9 {
            harness.now = start + Int64(number) * 60_000_000
            try harness.commit(harness.domain.decide(harness.grant("o-\(number)", number, scenario: scenario, member: number == 8 ? "m-2" : "m-1"),
                                                     now: harness.now))
        }
        var pages: [[String]] = []
        var cursor: UInt64?
        repeat {
            let page = harness.domain.grants(merchantID: DomainHarness.merchantA, filter: .init(memberID: "m-2"), after: cursor, limit: 10, maxScanned: 3)
            pages.append(page.grants.map(\.orderID))
            cursor = page.next
        } while cursor != nil && pages.count < 10
        #expect(pages == [[], [], ["o-8"]], "three grants looked at per page")
        let window = harness.domain.grants(merchantID: DomainHarness.merchantA,
                                           filter: .init(from: start + 3 * 60_000_000, until: start + 6 * 60_000_000), after: nil, limit: 10, maxScanned: 3)
        #expect(window.grants.map(\.orderID) == ["o-3", "o-4", "o-5"] && window.next == nil)
    }
}
