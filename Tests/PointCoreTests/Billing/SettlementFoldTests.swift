import PointCore
import PointJSON
import Testing

/// A ``DomainHarness`` that also folds settlement, the way the service does.
struct SettlementHarness {
    var harness: DomainHarness
    var fold = SettlementFold()

    static let november2 = CivilTime.parseRFC3339("2026-11-02T09:00:00+08:00")!
    static let december2 = CivilTime.parseRFC3339("2026-12-02T09:00:00+08:00")!

    init(_ harness: DomainHarness) { self.harness = harness }

    /// Folds every record written so far (the harness's fixtures) into a fresh fold.
    static func ready() throws -> (SettlementHarness, scenario: String) {
        let (domainHarness, scenario) = try DomainHarness.ready()
        var settlement = SettlementHarness(domainHarness)
        settlement.fold = try Self.replay(domainHarness.records).settlement
        return (settlement, scenario)
    }

    mutating func commit(_ decision: Decision) throws {
        guard let event = decision.event else { return }
        try write(event)
    }

    mutating func write(_ event: DomainEvent) throws {
        let seq = UInt64(harness.records.count + 1)
        let time = harness.now
        harness.records.append((seq, time, event.type, CanonicalJSON.encode(event.ledgerData)))
        try harness.domain.apply(event, seq: seq, time: time)
        try fold.apply(event, seq: seq, time: time, domain: harness.domain)
        harness.now += 1_000
    }

    /// Closes a period at the harness's clock, writing its records.
    @discardableResult
    mutating func close(_ month: String) throws -> [Invoice] {
        switch try fold.decideClose(try BillingMonth(parsing: month), now: harness.now) {
        case .close(let events, let invoices):
            for event in events { try write(event) }
            return invoices
        case .alreadyClosed(let done):
            return done.issued
        }
    }

    typealias Record = (seq: UInt64, time: Int64, type: String, data: [UInt8])

    static func replay(_ records: [Record], strict: Bool = true) throws -> (domain: PointsDomain, settlement: SettlementFold) {
        var domain = PointsDomain()
        var fold = SettlementFold(strict: strict)
        for record in records {
            guard let event = try DomainEvent.decode(type: record.type, data: try JSONParser.parse(record.data)) else { continue }
            try domain.apply(event, seq: record.seq, time: record.time)
            try fold.apply(event, seq: record.seq, time: record.time, domain: domain)
        }
        return (domain, fold)
    }

    static func production(_ merchant: String = DomainHarness.merchantA, login: String = "2000000500") -> OpenEnvironmentCommand {
        OpenEnvironmentCommand(merchantID: merchant, environment: .production, officialAccountID: "@prod", loginChannelID: login,
                               linkedLoginChannelID: login, allowedSources: ["198.51.100.4"],
                               eligibility: .messagingSpend([MonthlySpend(month: "2026-06", amount: 150_000),
                                                             MonthlySpend(month: "2026-07", amount: 150_000),
                                                             MonthlySpend(month: "2026-08", amount: 150_000)]))
    }
}

@Suite("Settlement folded from the ledger")
struct SettlementFoldTests {
    typealias S = SettlementHarness

    /// A production merchant: October grants and a revocation, October closed on 2 November.
    static func closedOctober() throws -> S {
        var (settlement, scenario) = try S.ready()
        try settlement.commit(settlement.harness.domain.decide(S.production()))
        try settlement.commit(settlement.harness.domain.decide(settlement.harness.grant("o-1", 1_000, scenario: scenario), now: settlement.harness.now))
        try settlement.commit(settlement.harness.domain.decide(settlement.harness.grant("o-2", 345, scenario: scenario, member: "m-2"),
                                                               now: settlement.harness.now))
        try settlement.commit(settlement.harness.domain.decide(RevocationRulesTests.revoke("r-1", points: 100, reason: "fraud", RevocationRulesTests.fraud),
                                                               now: settlement.harness.now))
        settlement.harness.now = S.november2
        try settlement.close("2026-10")
        return settlement
    }

    @Test("invoice.issued and period.closed round-trip through canonical JSON, and replay reproduces the close")
    func coding() throws {
        let settlement = try Self.closedOctober()
        let types = settlement.harness.records.map(\.type)
        #expect(types.suffix(2) == ["invoice.issued", "period.closed"])
        for record in settlement.harness.records {
            let event = try #require(try DomainEvent.decode(type: record.type, data: try JSONParser.parse(record.data)))
            #expect(CanonicalJSON.encode(event.ledgerData) == record.data)
        }
        let invoice = try #require(settlement.fold.documents(try BillingMonth(parsing: "2026-10"))?.first)
        #expect(invoice.number?.description == "PC-2026-000001")
        // Contract started 2026-10: fee, 1,345 points, credit 100 points.
        #expect(BillingFixture.summary(invoice) == ["platform_fee 1×1000000 = 100000", "points_granted 1345×11 = 1480",
                                                     "revocation_credit 100×11 = -110"])
        #expect(invoice.total == 101_370 + 5_069)
        let (domain, replayed) = try S.replay(settlement.harness.records)
        #expect(domain == settlement.harness.domain)
        #expect(replayed.closed == settlement.fold.closed)
        #expect(replayed.closed.values.allSatisfy { $0.differences.isEmpty })
        #expect(errorCode { try DomainEvent.decode(type: "period.closed", data: ["period": "2026-13", "closedAt": "2026-11-02T01:00:00Z", "invoices": []]) }
                == "ledger_event_invalid")
    }

    @Test("A closed month never changes: a later revocation of an October grant credits November, citing the October invoice")
    func closedMonthNeverChanges() throws {
        var settlement = try Self.closedOctober()
        let october = try BillingMonth(parsing: "2026-10")
        let before = settlement.fold.documents(october)
        try settlement.commit(settlement.harness.domain.decide(RevocationRulesTests.revoke("r-2", points: 200, reason: "fraud", RevocationRulesTests.fraud),
                                                               now: settlement.harness.now))
        #expect(settlement.fold.documents(october) == before)
        let draft = try #require(try settlement.fold.preview(try BillingMonth(parsing: "2026-11")).first)
        #expect(draft.status == .draft)
        #expect(draft.lines.first?.type == .revocationCredit)
        #expect(draft.lines.first?.cites?.invoiceNumber?.description == "PC-2026-000001")
        // Closing again is a replay of the same documents.
        if case .alreadyClosed(let done) = try settlement.fold.decideClose(october, now: S.december2) {
            #expect(done.issued == before)
        } else {
            Issue.record("closing October again should replay")
        }
    }

    @Test("Refusals: a month not ended, out of order")
    func refusals() throws {
        var (settlement, _) = try S.ready()
        #expect(domainError { try settlement.fold.decideClose(try BillingMonth(parsing: "2026-10"), now: settlement.harness.now) }?.code == "period_not_ended")
        settlement.harness.now = S.december2
        try settlement.close("2026-10")
        #expect(domainError { try settlement.fold.decideClose(try BillingMonth(parsing: "2026-09"), now: S.december2) }?.code == "period_not_closable")
        #expect(domainError { try settlement.fold.decideClose(try BillingMonth(parsing: "2026-12"), now: S.december2) }?.code == "period_not_ended")
    }

    @Test("The first close may not be of a month that ended before the ledger's first record; the month of that record may")
    func firstCloseBeforeTheLedger() throws {
        let (settlement, _) = try S.ready()
        let start = try #require(CivilTime.parseRFC3339("2026-10-01T00:00:00+08:00"))   // the first Taipei instant of October
        let refusal = domainError { try settlement.fold.decideClose(try BillingMonth(parsing: "2026-09"), now: S.december2, ledgerStart: .at(start)) }
        #expect(refusal?.code == "period_before_ledger")
        #expect(refusal?.details.map(\.property) == ["month"] && refusal?.details.first?.message == "must be 2026-10 or later")
        #expect(refusal?.message.contains("ended before the ledger's first record (2026-09-30T16:00:00.000000Z)") == true, "\(String(describing: refusal))")
        guard case .close = try settlement.fold.decideClose(try BillingMonth(parsing: "2026-10"), now: S.december2, ledgerStart: .at(start)) else {
            Issue.record("the month of the first record closes")
            return
        }
        // An empty ledger has nothing to bill: no first close at all.
        let empty = domainError { try settlement.fold.decideClose(try BillingMonth(parsing: "2026-10"), now: S.december2, ledgerStart: .empty) }
        #expect(empty?.code == "period_before_ledger" && empty?.message.contains("the ledger holds no records yet") == true)
        // Without the ledger's start (a caller that does not know it) nothing changes.
        #expect(domainError { try settlement.fold.decideClose(try BillingMonth(parsing: "2026-09"), now: S.december2) }?.code != "period_before_ledger")
    }

    @Test("A tampered invoice record: a strict replay refuses it, the audit fold names the differing line")
    func tamperedInvoice() throws {
        let settlement = try Self.closedOctober()
        var records = settlement.harness.records
        let index = try #require(records.lastIndex { $0.type == "invoice.issued" })
        let text = String(decoding: records[index].data, as: UTF8.self).replacingOccurrences(of: "\"netAmount\":1480", with: "\"netAmount\":1408")
        records[index].data = Array(text.utf8)
        #expect(errorCode { try S.replay(records) } == "ledger_event_inconsistent")
        let audit = try S.replay(records, strict: false).settlement
        let closed = try #require(audit.closed[try BillingMonth(parsing: "2026-10")])
        #expect(closed.differences.contains("PC-2026-000001 line 2 (points_granted): recorded netAmount 1408, recomputed 1480"))
        let report = SettlementAudit.report(audit, month: try BillingMonth(parsing: "2026-10"))
        #expect(!report.reproduced)
        let clean = SettlementAudit.report(try S.replay(settlement.harness.records, strict: false).settlement, month: try BillingMonth(parsing: "2026-10"))
        #expect(clean.reproduced)
        #expect(clean.lines.first == "2026-10: reproduced 1 invoices exactly (closed 2026-11-02T01:00:00.000000Z, seq \(closed.seq))")
    }

    @Test("Going live mid-month: sandbox grants of that month and their revocations reach no invoice; their orderIds are free for real grants")
    func goLive() throws {
        var (settlement, scenario) = try S.ready()
        let harness = { settlement.harness }
        try settlement.commit(harness().domain.decide(harness().grant("o-sandbox", 500, scenario: scenario), now: harness().now))
        try settlement.commit(harness().domain.decide(harness().grant("o-test", 40, scenario: scenario), now: harness().now))
        try settlement.commit(harness().domain.decide(RevocationRulesTests.revoke("r-s", order: "o-sandbox", points: 100, reason: "fraud",
                                                                                  RevocationRulesTests.fraud), now: harness().now))
        try settlement.commit(harness().domain.decide(S.production()))
        // A test grant no production grant shares an orderId with is still read and revoked
        // after going live (as ledgers from before environments were told apart record it).
        #expect(harness().domain.grant(merchantID: DomainHarness.merchantA, orderID: "o-test")?.environment == .sandbox)
        try settlement.commit(harness().domain.decide(RevocationRulesTests.revoke("r-t", order: "o-test", points: 5, reason: "fraud",
                                                                                  RevocationRulesTests.fraud), now: harness().now))
        #expect(harness().domain.grant(merchantID: DomainHarness.merchantA, orderID: "o-test")?.revokedPoints == 5)
        try settlement.commit(harness().domain.decide(finding: "r-s", merchantID: DomainHarness.merchantA, record: true, note: "late"))
        try settlement.commit(harness().domain.decide(harness().grant("o-live", 10, scenario: scenario), now: harness().now))
        // The test order's id, sent again for a real order after going live: a new production
        // grant, not a replay of the sandbox test.
        let reused = try harness().domain.decide(harness().grant("o-sandbox", 7, scenario: scenario), now: harness().now)
        #expect(!reused.isReplay)
        try settlement.commit(reused)
        let live = try #require(harness().domain.grant(merchantID: DomainHarness.merchantA, orderID: "o-sandbox"))
        #expect(live.environment == .production && live.points == 7)
        let all = harness().domain.grants(merchantID: DomainHarness.merchantA, filter: .init(), after: nil, limit: 10).grants
        #expect(all.map { "\($0.orderID) \($0.environment.rawValue) \($0.points)-\($0.revokedPoints)" }
                == ["o-sandbox sandbox 500-100", "o-test sandbox 40-5", "o-live production 10-0", "o-sandbox production 7-0"])
        // The sandbox revocation's id, resent for the production grant of the same orderId, is
        // not answered as a replay of the test: a new revocation needs a new id.
        let reusedID = errorCode {
            try harness().domain.decide(RevocationRulesTests.revoke("r-s", order: "o-sandbox", points: 100, reason: "fraud",
                                                                    RevocationRulesTests.fraud), now: harness().now)
        }
        #expect(reusedID == "revocation_id_conflict")
        settlement.harness.now = S.november2
        let invoices = try settlement.close("2026-10")
        #expect(invoices.count == 1)
        #expect(BillingFixture.summary(invoices.first) == ["platform_fee 1×1000000 = 100000", "points_granted 17×11 = 19"])
        #expect(invoices.first?.status == .issued)
        // No line of the invoice counts the sandbox grant's revocation, so no document claims it;
        // a credited one names its invoice.
        #expect(settlement.fold.book.document(countingRevocation: "r-s", merchantID: DomainHarness.merchantA) == nil)
        try settlement.commit(harness().domain.decide(RevocationRulesTests.revoke("r-l", order: "o-live", points: 5, reason: "fraud",
                                                                                  RevocationRulesTests.fraud), now: harness().now))
        // A revocation of the reused orderId takes points from the production grant.
        try settlement.commit(harness().domain.decide(RevocationRulesTests.revoke("r-p", order: "o-sandbox", points: 2, reason: "fraud",
                                                                                  RevocationRulesTests.fraud), now: harness().now))
        #expect(harness().domain.grant(merchantID: DomainHarness.merchantA, orderID: "o-sandbox")?.revokedPoints == 2)
        settlement.harness.now = S.december2
        _ = try settlement.close("2026-11")
        #expect(settlement.fold.book.document(countingRevocation: "r-l", merchantID: DomainHarness.merchantA)?.invoiceNumber?.description == "PC-2026-000002")
        #expect(settlement.fold.book.document(countingRevocation: "r-p", merchantID: DomainHarness.merchantA)?.invoiceNumber?.description == "PC-2026-000002")
        #expect(settlement.fold.book.document(countingRevocation: "r-s", merchantID: DomainHarness.merchantA) == nil)
        #expect(settlement.fold.book.document(countingRevocation: "r-t", merchantID: DomainHarness.merchantA) == nil)
        // Replaying the records rebuilds the same state, and settling from the files alike.
        #expect(try settlement.harness.replayed() == harness().domain)
        #expect(try S.replay(settlement.harness.records).settlement.closed.keys.count == 2)
    }

    @Test("A close taken against a checkpoint prints it on every document; it round-trips and replays")
    func checkpoint() throws {
        var (settlement, scenario) = try S.ready()
        try settlement.commit(settlement.harness.domain.decide(settlement.harness.grant("o-1", 50, scenario: scenario), now: settlement.harness.now))
        settlement.harness.now = S.november2
        let mark = InvoiceCheckpoint(treeSize: 12, rootHash: String(repeating: "ab", count: 32))
        guard case .close(let events, let invoices) = try settlement.fold.decideClose(try BillingMonth(parsing: "2026-10"), now: S.november2,
                                                                                      checkpoint: mark)
        else { Issue.record("expected a close"); return }
        #expect(invoices.allSatisfy { $0.checkpoint == mark })
        for event in events { try settlement.write(event) }
        let record = try #require(settlement.harness.records.first { $0.type == "invoice.issued" })
        #expect(String(decoding: record.data, as: UTF8.self).contains("\"checkpoint\":{\"rootHash\":\"abab"))
        let decoded = try DomainEvent.decode(type: record.type, data: try JSONParser.parse(record.data))
        #expect(decoded == events.first)
        #expect(try S.replay(settlement.harness.records).settlement.closed == settlement.fold.closed)
    }

    @Test("A draft of November while October is still open follows October: no second platform fee")
    func draftAfterOpenMonth() throws {
        var (settlement, scenario) = try S.ready()
        try settlement.commit(settlement.harness.domain.decide(settlement.harness.grant("o-1", 50, scenario: scenario), now: settlement.harness.now))
        settlement.harness.now = S.november2
        try settlement.commit(settlement.harness.domain.decide(settlement.harness.grant("o-2", 20, scenario: scenario), now: settlement.harness.now))
        let november = try settlement.fold.preview(try BillingMonth(parsing: "2026-11"))
        #expect(BillingFixture.summary(november.first) == ["points_granted 20×11 = 22"])
        let october = try settlement.fold.preview(try BillingMonth(parsing: "2026-10"))
        #expect(BillingFixture.summary(october.first) == ["platform_fee 1×1000000 = 100000", "points_granted 50×11 = 55"])
    }

    @Test("A close interrupted before its period.closed is set aside: closing again issues the same numbers, once")
    func interruptedClose() throws {
        var (settlement, scenario) = try S.ready()
        try settlement.commit(settlement.harness.domain.decide(S.production()))
        try settlement.commit(settlement.harness.domain.decide(settlement.harness.grant("o-1", 50, scenario: scenario), now: settlement.harness.now))
        settlement.harness.now = S.november2
        let october = try BillingMonth(parsing: "2026-10")
        guard case .close(let events, let invoices) = try settlement.fold.decideClose(october, now: settlement.harness.now) else {
            Issue.record("expected a close"); return
        }
        // The write stopped after the documents: no period.closed.
        for event in events.dropLast() { try settlement.write(event) }
        let orphanSeqs = settlement.harness.records.filter { $0.type == "invoice.issued" }.map(\.seq)
        #expect(orphanSeqs.count == invoices.count && !invoices.isEmpty)
        let stopped = try S.replay(settlement.harness.records).settlement
        #expect(stopped.closed[october] == nil && stopped.unclosedIssues.map(\.seq) == orphanSeqs)
        let draft = SettlementAudit.report(stopped, month: october)
        #expect(draft.lines.contains { $0.contains("seq \(orphanSeqs[0])") && $0.contains("interrupted") })

        let reissued = try settlement.close("2026-10")
        #expect(reissued.map(\.number) == invoices.map(\.number))
        let replayed = try S.replay(settlement.harness.records).settlement
        #expect(replayed.closed[october]?.issued == reissued && replayed.closed[october]?.differences == [])
        #expect(replayed.interruptedIssues.map(\.seq) == orphanSeqs && replayed.unclosedIssues.isEmpty)
        let report = SettlementAudit.report(replayed, month: october)
        #expect(report.reproduced && report.invoices == reissued)
        #expect(report.lines.filter { $0.contains("interrupted") }.count == orphanSeqs.count)
    }

    @Test("A month that ended before go-live stays a sandbox statement when closed after it; the fee is charged once, on the first invoice")
    func goLiveBeforeTheEarlierMonthCloses() throws {
        var (settlement, scenario) = try S.ready()
        try settlement.commit(settlement.harness.domain.decide(settlement.harness.grant("o-1", 50, scenario: scenario), now: settlement.harness.now))
        settlement.harness.now = try #require(CivilTime.parseRFC3339("2026-11-01T00:00:05+08:00"))
        try settlement.commit(settlement.harness.domain.decide(S.production()))
        let october = try settlement.close("2026-10")
        #expect(october.count == 1 && october.first?.status == .notBillableStatement && october.first?.number == nil)
        #expect(BillingFixture.summary(october.first).contains("points_granted 50×11 = 55"), "the sandbox month keeps its activity")
        try settlement.commit(settlement.harness.domain.decide(settlement.harness.grant("o-2", 20, scenario: scenario), now: settlement.harness.now))
        settlement.harness.now = S.december2
        let november = try settlement.close("2026-11")
        #expect(november.count == 1 && november.first?.status == .issued && november.first?.number?.description == "PC-2026-000001")
        #expect(BillingFixture.summary(november.first) == ["platform_fee 1×1000000 = 100000", "points_granted 20×11 = 22"])
        #expect(try S.replay(settlement.harness.records).settlement.closed == settlement.fold.closed)
    }

    @Test("No contract year begins after termination: no platform fee and no invoice for the months after it")
    func terminationEndsTheFees() throws {
        var settlement = try Self.closedOctober()
        settlement.harness.now = try #require(CivilTime.parseRFC3339("2027-03-10T12:00:00+08:00"))
        try settlement.commit(settlement.harness.domain.decide(merchantID: DomainHarness.merchantA, statusChange: .terminate, note: "contract ended"))
        var documents: [Invoice] = []
        var month = try BillingMonth(parsing: "2026-11")
        let last = try BillingMonth(parsing: "2027-11")
        while !(last < month) {
            settlement.harness.now = month.endInstant + 60_000_000
            documents += try settlement.close(month.description)
            guard let next = month.next else { break }
            month = next
        }
        #expect(settlement.fold.closed[last] != nil)
        #expect(documents.filter { $0.merchantID == DomainHarness.merchantA }.isEmpty,
                "\(documents.filter { $0.merchantID == DomainHarness.merchantA }.map { BillingFixture.summary($0) })")
        #expect(try S.replay(settlement.harness.records).settlement.closed == settlement.fold.closed)
    }

    @Test("Sandbox merchants get statements, never numbers")
    func sandboxStatement() throws {
        var (settlement, scenario) = try S.ready()
        try settlement.commit(settlement.harness.domain.decide(settlement.harness.grant("o-1", 50, scenario: scenario), now: settlement.harness.now))
        settlement.harness.now = S.november2
        let documents = try settlement.close("2026-10")
        #expect(documents.count == 1)
        #expect(documents.first?.status == .notBillableStatement)
        #expect(documents.first?.number == nil)
        #expect(documents.first?.json["billable"] == .bool(false))
    }
}
