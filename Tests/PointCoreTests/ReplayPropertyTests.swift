import PointCore
import PointJSON
import Testing

/// A small deterministic generator (SplitMix64) so a failing seed reproduces.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var value = state
        value = (value ^ (value >> 30)) &* 0xbf58_476d_1ce4_e5b9
        value = (value ^ (value >> 27)) &* 0x94d0_49bb_1331_11eb
        return value ^ (value >> 31)
    }
}

@Suite("Replay equals live state")
struct ReplayPropertyTests {
    /// Random valid and invalid commands; after each, the invariants hold; at the end the
    /// replayed state equals the live one.
    @Test("Random command sequences", arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomSequences(seed: UInt64) throws {
        var random = SeededGenerator(state: seed)
        var harness = DomainHarness()
        try harness.registerMerchant()
        try harness.openSandbox()
        try harness.registerMerchant(DomainHarness.merchantB)
        try harness.openSandbox(DomainHarness.merchantB, login: DomainHarness.loginB)
        var scenarios = [try harness.approvedScenario(caps: ScenarioCaps(maxPointsPerGrant: 500, maxPointsPerUserPerMonth: 2_000, totalBudget: 60_000)),
                         try harness.approvedScenario(purpose: "survey"),
                         try harness.approvedScenario(DomainHarness.merchantB, purpose: "member_registration")]
        let merchants = [DomainHarness.merchantA, DomainHarness.merchantB]
        let logins = [DomainHarness.loginA, DomainHarness.loginB]
        var accepted = 0
        var replays = 0
        var sentGrants: [String: GrantPointsCommand] = [:]
        for _ in 0..<1_500 {
            harness.now += Int64.random(in: 0...3_600_000_000, using: &random)
            let merchant = Int.random(in: 0..<2, using: &random)
            let merchantID = merchants[merchant]
            let decision: Decision
            do {
                switch Int.random(in: 0..<100, using: &random) {
                case 0..<10:
                    decision = try harness.domain.decide(bind: "m-\(Int.random(in: 0..<12, using: &random))", merchantID: merchantID,
                                                         login: VerifiedLineLogin(lineUserID: DomainHarness.lineUser(Int.random(in: 0..<12, using: &random)),
                                                                                  audience: logins[merchant]))
                case 10..<13:
                    decision = try harness.domain.decide(unbind: "m-\(Int.random(in: 0..<12, using: &random))", merchantID: merchantID)
                case 13..<65:
                    let order = "o-\(Int.random(in: 0..<300, using: &random))"
                    let command = GrantPointsCommand(merchantID: merchantID, orderID: order,
                                                     recipient: Bool.random(using: &random) ? .member("m-\(Int.random(in: 0..<12, using: &random))")
                                                         : .lineUser(DomainHarness.lineUser(Int.random(in: 0..<12, using: &random))),
                                                     scenarioID: scenarios[Int.random(in: 0..<scenarios.count, using: &random)],
                                                     points: Int.random(in: -1...600, using: &random))
                    decision = try harness.domain.decide(command, now: harness.now)
                    if decision.event != nil { sentGrants[merchantID + "/" + order] = command }
                case 65..<90:
                    let reasons = ["fraud", "mistaken_issuance", "purchase_cancelled", "goodwill"]
                    let command = RevokePointsCommand(merchantID: merchantID, orderID: "o-\(Int.random(in: 0..<300, using: &random))",
                                                      revocationID: "r-\(Int.random(in: 0..<200, using: &random))", points: Int.random(in: 0...300, using: &random),
                                                      reason: reasons[Int.random(in: 0..<4, using: &random)],
                                                      evidence: RevocationEvidenceInput(notifiedAt: "2026-10-01T00:00:00Z", channel: "email", message: "sorry",
                                                                                        fraudKind: "point_theft", caseReference: "C-1",
                                                                                        cancellation: "return", transactionReference: "T-1"))
                    decision = try harness.domain.decide(command, now: harness.now)
                case 90..<95:
                    decision = try harness.domain.decide(finding: "r-\(Int.random(in: 0..<200, using: &random))", merchantID: merchantID,
                                                         record: Bool.random(using: &random), note: "review")
                case 95..<96:
                    guard let resend = sentGrants.values.randomElement(using: &random) else { continue }
                    decision = try harness.domain.decide(resend, now: harness.now)
                case 96..<97:
                    let submitted = try harness.domain.decide(ScenarioRulesTests.submission(purpose: "survey"))
                    if case .scenarioSubmitted(let event)? = submitted.event, Bool.random(using: &random) { scenarios.append(event.scenarioID) }
                    decision = submitted
                default:
                    decision = try harness.domain.decide(merchantID: merchantID,
                                                         statusChange: [.suspend, .reinstate][Int.random(in: 0..<2, using: &random)], note: "ops")
                }
            } catch {
                // A refused command changes nothing; the sequence goes on.
                continue
            }
            if try harness.commit(decision) { accepted += 1 } else { replays += 1 }
        }
        #expect(accepted > 80)
        #expect(replays > 0)
        // Invariants: no grant below zero; revocations sum to the revoked points.
        for merchantID in merchants {
            var cursor: UInt64?
            repeat {
                let page = harness.domain.grants(merchantID: merchantID, filter: .init(), after: cursor, limit: 1_000)
                for grant in page.grants {
                    #expect(grant.remainingPoints >= 0)
                    let revoked = harness.domain.revocations(merchantID: merchantID, orderID: grant.orderID).reduce(0) { $0 + $1.points }
                    #expect(revoked == grant.revokedPoints)
                }
                cursor = page.next
            } while cursor != nil
        }
        // Idempotency: every accepted grant, sent again, replays.
        for command in sentGrants.values {
            #expect(try harness.domain.decide(command, now: harness.now).isReplay)
        }
        #expect(try harness.replayed() == harness.domain)
    }

    @Test("A replayed state differs if one record is dropped")
    func replayDetectsDifference() throws {
        var (harness, scenario) = try DomainHarness.ready()
        try harness.commit(harness.domain.decide(harness.grant("o-1", 5, scenario: scenario), now: harness.now))
        try harness.commit(harness.domain.decide(harness.grant("o-2", 6, scenario: scenario), now: harness.now))
        #expect(try harness.replayed() == harness.domain)
        harness.records.removeLast()
        #expect(try harness.replayed() != harness.domain)
    }

    @Test("Replay refuses events that contradict the state")
    func inconsistentReplay() throws {
        var domain = PointsDomain()
        let grant = DomainEvent.pointsGranted(PointsGranted(merchantID: "1650000001", orderID: "o", memberID: "m", lineUserID: DomainHarness.lineUser(1),
                                                            scenarioID: "SCN-000001", points: 1))
        #expect(errorCode { try domain.apply(grant, seq: 1, time: 0) } == "ledger_event_inconsistent")
        #expect(domain.lastSeq == 0)
    }

    /// A revocation record whose points would overflow the check against the grant (a crafted
    /// ledger with a valid chain) is refused as inconsistent; it used to trap the process.
    @Test("Replay refuses a revocation of 2^63 − 1 points instead of overflowing")
    func hugeRevocation() throws {
        var (harness, scenario) = try DomainHarness.ready()
        try harness.commit(harness.domain.decide(harness.grant("o-1", 100, scenario: scenario), now: harness.now))
        try harness.commit(harness.domain.decide(RevocationRulesTests.revoke("r-1", points: 1, reason: "fraud", RevocationRulesTests.fraud), now: harness.now))
        let huge = DomainEvent.pointsRevoked(PointsRevoked(merchantID: DomainHarness.merchantA, revocationID: "r-2", orderID: "o-1", points: Int.max,
                                                           evidence: .fraud(kind: .pointTheft, caseReference: "C-1", description: nil)))
        var domain = harness.domain
        #expect(errorCode { try domain.apply(huge, seq: UInt64(harness.records.count + 1), time: harness.now) } == "ledger_event_inconsistent")
    }

    @Test("Every event type round-trips through canonical JSON")
    func eventCoding() throws {
        var (harness, scenario) = try DomainHarness.ready()
        try harness.commit(harness.domain.decide(harness.grant("o-1", 100, scenario: scenario), now: harness.now))
        harness.now += 2 * 3_600_000_000   // past the mistake notice's time
        for (id, reason, evidence) in [("r-1", "fraud", RevocationRulesTests.fraud), ("r-2", "mistaken_issuance", RevocationRulesTests.mistake),
                                       ("r-3", "purchase_cancelled", RevocationRulesTests.cancelled)] {
            try harness.commit(harness.domain.decide(RevocationRulesTests.revoke(id, points: 1, reason: reason, evidence), now: harness.now))
        }
        try harness.commit(harness.domain.decide(finding: "r-1", merchantID: DomainHarness.merchantA, record: true, note: "n"))
        try harness.commit(harness.domain.decide(finding: "r-1", merchantID: DomainHarness.merchantA, record: false, note: "w"))
        try harness.commit(harness.domain.decide(unbind: "m-2", merchantID: DomainHarness.merchantA))
        let rejected = try harness.domain.decide(ScenarioRulesTests.submission(purpose: "survey"))
        guard case .scenarioSubmitted(let submitted)? = rejected.event else { Issue.record("no event"); return }
        try harness.commit(rejected)
        try harness.commit(harness.domain.decide(reviewOf: submitted.scenarioID, approve: false, note: "unclear"))
        try harness.commit(harness.domain.decide(merchantID: DomainHarness.merchantA, environment: .sandbox, allowedSources: ["::1"]))
        try harness.commit(harness.domain.decide(OpenEnvironmentCommand(merchantID: DomainHarness.merchantA, environment: .production, officialAccountID: "@prod",
                                                                        loginChannelID: "2000000500", linkedLoginChannelID: "2000000500", allowedSources: ["198.51.100.4"],
                                                                        eligibility: .messagingSpend([MonthlySpend(month: "2026-06", amount: 150_000),
                                                                                                      MonthlySpend(month: "2026-07", amount: 150_000),
                                                                                                      MonthlySpend(month: "2026-08", amount: 150_000)]))))
        try harness.commit(harness.domain.decide(credentialRotationOf: DomainHarness.merchantA, previousSecretValidUntil: harness.now + 86_400_000_000))
        for change in [MerchantStatusChange.suspend, .reinstate, .terminate] {
            try harness.commit(harness.domain.decide(merchantID: DomainHarness.merchantA, statusChange: change, note: "n"))
        }
        let types = Set(harness.records.map(\.type))
        #expect(types.count == 17)
        for record in harness.records {
            let event = try #require(try DomainEvent.decode(type: record.type, data: try JSONParser.parse(record.data)))
            #expect(CanonicalJSON.encode(event.ledgerData) == record.data)
            let fromBytes = try record.data.withUnsafeBytes { data in try DomainEvent.decode(type: record.type, canonicalData: data) }
            #expect(fromBytes == event)
        }
        #expect(try harness.replayed() == harness.domain)
        #expect(try DomainEvent.decode(type: "checkpoint.note", data: [:]) == nil)
        #expect(errorCode { try DomainEvent.decode(type: "grant.issued", data: ["merchantId": "1"]) } == "ledger_event_invalid")
    }
}
