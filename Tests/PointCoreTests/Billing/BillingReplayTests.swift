import PointCore
import PointJSON
import Testing

@Suite("Billing replay: the settlement from the records alone")
struct BillingReplayTests {
    typealias S = SettlementHarness
    typealias Records = [SettlementHarness.Record]

    /// Feeds records the way `settle` does: grants straight from their bytes, the rest decoded.
    static func lean(_ records: Records) throws -> BillingReplay {
        var replay = BillingReplay()
        for record in records {
            try record.data.withUnsafeBytes { data in
                try replay.apply(type: record.type, seq: record.seq, time: record.time, canonicalData: data)
            }
        }
        return replay
    }

    /// Random sandbox and production months with grants, revocations under every reason,
    /// findings recorded and withdrawn before and after closes, and three closes: the billing replay's
    /// settlement equals the full replay's (domain first) in every closed document, every fault,
    /// and the draft of the open month.
    @Test("Equals the full replay over random histories", arguments: [1, 2, 3, 4, 5] as [UInt64])
    func equalsFullReplay(seed: UInt64) throws {
        var random = SeededGenerator(state: seed)
        var (settlement, scenario) = try S.ready()
        for member in 3...8 { try settlement.harness.bind("m-\(member)", member) }
        var orders: [String] = []
        var revocationIDs: [String] = []
        var month = try BillingMonth(parsing: "2026-10")
        let goLiveMonth = Int.random(in: 0...2, using: &random)
        for monthIndex in 0..<4 {
            if monthIndex == goLiveMonth { try settlement.commit(settlement.harness.domain.decide(S.production())) }
            for _ in 0..<Int.random(in: 20...60, using: &random) {
                settlement.harness.now += Int64.random(in: 1_000...20_000_000_000, using: &random)
                guard settlement.harness.now < month.endInstant else { break }
                let decision: Decision
                do {
                    switch Int.random(in: 0..<10, using: &random) {
                    case 0..<6:
                        let order = "o-\(orders.count)-\(seed)"
                        decision = try settlement.harness.domain.decide(
                            settlement.harness.grant(order, Int.random(in: 1...400, using: &random), scenario: scenario,
                                                     member: "m-\(Int.random(in: 1...8, using: &random))"),
                            now: settlement.harness.now)
                        if decision.event != nil { orders.append(order) }
                    case 6..<8:
                        guard let order = orders.randomElement(using: &random) else { continue }
                        let id = "r-\(revocationIDs.count)"
                        let (reason, evidence) = [("fraud", RevocationRulesTests.fraud), ("purchase_cancelled", RevocationRulesTests.cancelled)]
                            .randomElement(using: &random) ?? ("fraud", RevocationRulesTests.fraud)
                        decision = try settlement.harness.domain.decide(
                            RevocationRulesTests.revoke(id, order: order, points: Int.random(in: 1...150, using: &random), reason: reason, evidence),
                            now: settlement.harness.now)
                        if decision.event != nil { revocationIDs.append(id) }
                    default:
                        guard let id = revocationIDs.randomElement(using: &random) else { continue }
                        decision = try settlement.harness.domain.decide(finding: id, merchantID: DomainHarness.merchantA,
                                                                        record: Bool.random(using: &random), note: "review")
                    }
                } catch {
                    continue
                }
                try settlement.commit(decision)
            }
            // The last month stays open: its draft is compared too.
            guard monthIndex < 3, let next = month.adding(months: 1) else { break }
            settlement.harness.now = max(settlement.harness.now, next.startInstant + Int64.random(in: 0...86_400_000_000, using: &random))
            try settlement.close(month.description)
            month = next
        }
        #expect(orders.count > 40)
        #expect(revocationIDs.count > 5)
        #expect(settlement.fold.closed.count == 3)

        let full = try S.replay(settlement.harness.records, strict: false).settlement
        let lean = try Self.lean(settlement.harness.records)
        #expect(lean.grantCount == orders.count)
        #expect(lean.settlement.closed == full.closed)
        #expect(lean.settlement.closed == settlement.fold.closed)
        #expect(lean.settlement.faults == full.faults)
        #expect(lean.settlement.interruptedIssues == full.interruptedIssues)
        #expect(try lean.settlement.preview(month) == full.preview(month))
        #expect(try !lean.settlement.preview(month).isEmpty)
    }

    /// Grants the settlement can't bill — past the points a period may hold, or in a period
    /// already closed — fault under their own seqs, exactly as in the full replay, while the
    /// grants around them are recorded as runs.
    @Test("Grants that can't be billed fault on their own records, as in the full replay")
    func faultsMatch() throws {
        var (settlement, scenario) = try S.ready()
        try settlement.commit(settlement.harness.domain.decide(settlement.harness.grant("o-early", 7, scenario: scenario), now: settlement.harness.now))
        settlement.harness.now = S.november2
        try settlement.close("2026-10")
        var records = settlement.harness.records
        var limits = PointsDomain.Limits()
        limits.maxPointsPerGrant = 4_000_000_000
        let november = S.november2 + 1_000
        let october = CivilTime.parseRFC3339("2026-10-20T10:00:00+08:00")!
        let december = S.december2
        // 250 grants fill November to the 10^12 points a period may hold; then an October grant
        // (a closed period), one more November point, another October grant, a December grant.
        let grants = Array(repeating: (4_000_000_000, november), count: 250) + [(5, october), (1, november), (7, october), (8, december)]
        for (index, (points, time)) in grants.enumerated() {
            let event = DomainEvent.pointsGranted(PointsGranted(merchantID: DomainHarness.merchantA, orderID: "big-\(index)", memberID: "m-1",
                                                                lineUserID: DomainHarness.lineUser(1), scenarioID: scenario, points: points))
            records.append((UInt64(records.count + 1), time, event.type, event.canonicalLedgerData))
        }
        var domain = PointsDomain(limits: limits)
        var full = SettlementFold(strict: false)
        var lean = BillingReplay(limits: limits)
        for record in records {
            guard let event = try DomainEvent.decode(type: record.type, data: try JSONParser.parse(record.data)) else { continue }
            try domain.apply(event, seq: record.seq, time: record.time)
            try full.apply(event, seq: record.seq, time: record.time, domain: domain)
            try record.data.withUnsafeBytes { data in try lean.apply(type: record.type, seq: record.seq, time: record.time, canonicalData: data) }
        }
        let first = UInt64(records.count - grants.count + 1)
        #expect(full.faults.map(\.seq) == [first + 250, first + 251, first + 252])
        #expect(lean.settlement.faults == full.faults)
        for month in ["2026-11", "2026-12"] {
            #expect(try lean.settlement.preview(try BillingMonth(parsing: month)) == full.preview(try BillingMonth(parsing: month)))
        }
        let draft = try #require(try lean.settlement.preview(try BillingMonth(parsing: "2026-11")).first)
        let granted = try #require(draft.lines.first { $0.type == .pointsGranted })
        #expect(granted.quantity == 1_000_000_000_000)
        #expect(granted.events == EventSpan(count: 250, firstSeq: first, firstID: "big-0", lastSeq: first + 249, lastID: "big-249"))
    }

    /// A grant the settlement can't bill (here: its merchant has no billing profile) faults
    /// naming the merchant as the record spells it — canonically equal spellings of a merchant
    /// ID are one merchant, but the message keeps the record's bytes, as the full replay does.
    @Test("A fault names the merchant in the record's own spelling")
    func faultSpelling() throws {
        var replay = BillingReplay()
        let registered = "caf\u{E9}"         // é precomposed
        let spelled = "cafe\u{301}"          // e + combining acute: the same String to Swift
        #expect(registered == spelled)
        let registration = DomainEvent.merchantRegistered(MerchantRegistered(
            merchantID: registered, name: "Cafe", taxID: "22099131", appliedOn: "2026-09-01",
            contract: Contract(startDate: "2026-10-01", startMonth: CivilTime.monthNumber(year: 2026, month: 10), unitPriceTenths: 0)))
        try replay.apply(registration, seq: 1, time: 0)
        let grant = DomainEvent.pointsGranted(PointsGranted(merchantID: spelled, orderID: "o-1", memberID: "m-1",
                                                            lineUserID: DomainHarness.lineUser(1), scenarioID: "SCN-000001", points: 5))
        try grant.canonicalLedgerData.withUnsafeBytes { data in
            try replay.apply(type: grant.type, seq: 2, time: DomainHarness.start, canonicalData: data)
        }
        let fault = try #require(replay.settlement.faults.last)
        #expect(fault.seq == 2)
        #expect(Array(fault.message.utf8).starts(with: Array("record 2 cannot be billed".utf8)))
        #expect(fault.message.unicodeScalars.contains("\u{301}"), "\(fault.message)")
    }

    /// Records that would make an amount wrong stop the billing replay, naming the record.
    @Test("Refuses repeated grants, unknown merchants, excess or repeated revocations and findings out of turn")
    func refusals() throws {
        let (settlement, _) = try S.ready()
        let base = settlement.harness.records
        var replay = try Self.lean(base)
        var seq = UInt64(base.count)
        func next() -> UInt64 { seq += 1; return seq }
        let time = settlement.harness.now
        let merchant = DomainHarness.merchantA
        func granted(_ order: String, _ points: Int, merchant: String = merchant) -> DomainEvent {
            .pointsGranted(PointsGranted(merchantID: merchant, orderID: order, memberID: "m-1", lineUserID: DomainHarness.lineUser(1),
                                         scenarioID: "SCN-000001", points: points))
        }
        func bytes(_ event: DomainEvent) -> [UInt8] { event.canonicalLedgerData }
        func applyBytes(_ event: DomainEvent, _ replay: inout BillingReplay) throws {
            let data = bytes(event)
            let seq = next()
            try data.withUnsafeBytes { raw in try replay.apply(type: event.type, seq: seq, time: time, canonicalData: raw) }
        }
        func revoked(_ id: String, order: String, _ points: Int) -> DomainEvent {
            .pointsRevoked(PointsRevoked(merchantID: merchant, revocationID: id, orderID: order, points: points,
                                         evidence: .fraud(kind: .pointTheft, caseReference: "C-1", description: nil)))
        }

        try applyBytes(granted("o-1", 100), &replay)
        #expect(replay.grantCount == 1)
        // The same orderId again, read from bytes or given as an event.
        #expect(errorCode { try applyBytes(granted("o-1", 5), &replay) } == "ledger_event_inconsistent")
        #expect(errorCode { try replay.apply(granted("o-1", 5), seq: next(), time: time) } == "ledger_event_inconsistent")
        #expect(domainError { try applyBytes(granted("o-2", 5, merchant: "1659999999"), &replay) }?.message.contains("unknown merchant 1659999999") == true)
        #expect(errorCode { try applyBytes(granted("o-3", 0), &replay) } == "ledger_event_inconsistent")
        #expect(errorCode { try applyBytes(granted("o-4", 10_000_001), &replay) } == "ledger_event_inconsistent")
        #expect(errorCode { try applyBytes(granted(String(repeating: "x", count: 256), 1), &replay) } == "ledger_event_inconsistent")
        #expect(replay.grantCount == 1)

        #expect(errorCode { try replay.apply(revoked("r-0", order: "o-9", 1), seq: next(), time: time) } == "ledger_event_inconsistent")
        #expect(errorCode { try replay.apply(revoked("r-0", order: "o-1", 101), seq: next(), time: time) } == "ledger_event_inconsistent")
        try replay.apply(revoked("r-1", order: "o-1", 60), seq: next(), time: time)
        #expect(errorCode { try replay.apply(revoked("r-1", order: "o-1", 10), seq: next(), time: time) } == "ledger_event_inconsistent")
        #expect(errorCode { try replay.apply(revoked("r-2", order: "o-1", 41), seq: next(), time: time) } == "ledger_event_inconsistent")
        // Points at the 64-bit limit are refused, not added up (that overflowed and trapped).
        #expect(errorCode { try replay.apply(revoked("r-2", order: "o-1", Int.max), seq: next(), time: time) } == "ledger_event_inconsistent")
        try replay.apply(revoked("r-2", order: "o-1", 40), seq: next(), time: time)

        #expect(errorCode { try replay.apply(.findingWithdrawn(merchantID: merchant, revocationID: "r-1", note: "n"), seq: next(), time: time) }
                == "ledger_event_inconsistent")
        #expect(errorCode { try replay.apply(.findingRecorded(merchantID: merchant, revocationID: "r-9", note: "n"), seq: next(), time: time) }
                == "ledger_event_inconsistent")
        try replay.apply(.findingRecorded(merchantID: merchant, revocationID: "r-1", note: "n"), seq: next(), time: time)
        #expect(errorCode { try replay.apply(.findingRecorded(merchantID: merchant, revocationID: "r-1", note: "n"), seq: next(), time: time) }
                == "ledger_event_inconsistent")
        try replay.apply(.findingWithdrawn(merchantID: merchant, revocationID: "r-1", note: "n"), seq: next(), time: time)

        // What was accepted is what the statement shows: 100 granted, 100 revoked with credit.
        let draft = try #require(try replay.settlement.preview(try BillingMonth(parsing: "2026-10")).first)
        #expect(BillingFixture.summary(draft) == ["platform_fee 1×1000000 = 100000", "points_granted 100×11 = 110", "revocation_credit 100×11 = -110"])
        #expect(replay.isRegistered(merchant))
        #expect(!replay.isRegistered("1659999999"))
    }
}
