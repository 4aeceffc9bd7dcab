import Foundation
import PointCore
import PointJSON
import Testing

/// What `pointconnect settle` tells an auditor: every recorded field compared, the close as a
/// whole checked also for one merchant, faults shown for open months, and the credit rule for
/// revocations of test grants taken from ledger order.
@Suite("Settlement audit")
struct SettlementAuditTests {
    typealias S = SettlementHarness
    static let october = try! BillingMonth(parsing: "2026-10")

    /// The records of ``SettlementFoldTests/closedOctober()`` with `edit` applied to the text of the last record of `type`.
    static func tampered(_ type: String, _ edit: (String) -> String) throws -> [S.Record] {
        var records = try SettlementFoldTests.closedOctober().harness.records
        let index = try #require(records.lastIndex { $0.type == type })
        let before = String(decoding: records[index].data, as: UTF8.self)
        let after = edit(before)
        #expect(after != before, "the edit changed the record")
        records[index].data = Array(after.utf8)
        return records
    }

    @Test("A one-event span is compared in full: a recorded lastSeq that differs is a difference")
    func oneEventSpanLastSeq() throws {
        let clean = try SettlementFoldTests.closedOctober()
        let credit = try #require(clean.fold.documents(Self.october)?.first?.lines.first { $0.type == .revocationCredit }?.events)
        #expect(credit.count == 1)
        let records = try Self.tampered("invoice.issued") {
            $0.replacingOccurrences(of: "\"lastId\":\"r-1\",\"lastSeq\":\(credit.lastSeq)", with: "\"lastId\":\"r-1\",\"lastSeq\":\(credit.lastSeq + 1)")
        }
        let audit = try S.replay(records, strict: false).settlement
        let report = SettlementAudit.report(audit, month: Self.october)
        #expect(!report.reproduced)
        #expect(report.differences == [
            "PC-2026-000001 line 3 (revocation_credit): recorded events 1 event, first seq \(credit.firstSeq) (r-1), last seq \(credit.lastSeq + 1) (r-1), "
                + "recomputed 1 event, first seq \(credit.firstSeq) (r-1), last seq \(credit.lastSeq) (r-1)",
        ])
        #expect(errorCode { try S.replay(records) } == "ledger_event_inconsistent")
    }

    @Test("For one merchant, settle still checks the close as a whole: a period.closed listing another number is a difference")
    func merchantScopeKeepsCloseDifferences() throws {
        let records = try Self.tampered("period.closed") { $0.replacingOccurrences(of: "PC-2026-000001", with: "PC-2026-000009") }
        let audit = try S.replay(records, strict: false).settlement
        let whole = SettlementAudit.report(audit, month: Self.october)
        let mine = SettlementAudit.report(audit, month: Self.october, merchantID: DomainHarness.merchantA)
        #expect(!whole.reproduced && !mine.reproduced)
        #expect(mine.differences.count == 1)
        #expect(mine.differences.first?.hasPrefix("period.closed lists [\(DomainHarness.merchantA): PC-2026-000009]") == true)
        #expect(mine.differences == whole.differences)
        // The merchant's own document is as issued.
        #expect(mine.invoices.map(\.number?.description) == ["PC-2026-000001"])
    }

    @Test("An open month shows the records it can't bill, and is not reported as reproduced")
    func openMonthShowsFaults() throws {
        var (settlement, scenario) = try S.ready()
        try settlement.commit(settlement.harness.domain.decide(settlement.harness.grant("o-1", 30, scenario: scenario), now: settlement.harness.now))
        let fine = SettlementAudit.report(settlement.fold, month: Self.october)
        #expect(fine.reproduced && fine.differences.isEmpty)
        // A revocation whose grant the fold is not told of (as a damaged ledger gives it).
        let revocation = PointsRevoked(merchantID: DomainHarness.merchantA, revocationID: "r-9", orderID: "o-unknown", points: 5,
                                       evidence: .fraud(kind: .pointLaundering, caseReference: "FR-1", description: nil))
        try settlement.fold.apply(.pointsRevoked(revocation), seq: 999, time: settlement.harness.now, revokedGrant: nil)
        let report = SettlementAudit.report(settlement.fold, month: Self.october)
        #expect(!report.reproduced)
        #expect(report.differences == ["record 999: revocation r-9 of merchant \(DomainHarness.merchantA) has no grant or billing profile"])
        #expect(report.lines.contains("  1 record of the month can't be billed, so the drafts leave it out:"))
        #expect(report.lines.contains("  - record 999: revocation r-9 of merchant \(DomainHarness.merchantA) has no grant or billing profile"))
    }

    @Test("A test grant stamped at the go-live's own time is not credited when revoked: ledger order decides, in settle and in the trace")
    func goLiveCreditByLedgerOrder() throws {
        var (settlement, scenario) = try S.ready()
        // The ledger never goes back in time, but a clock stepped back gives records one time:
        // the test grant and the go-live share a timestamp.
        let instant = settlement.harness.now
        try settlement.commit(settlement.harness.domain.decide(settlement.harness.grant("o-s", 300, scenario: scenario), now: instant))
        settlement.harness.now = instant
        try settlement.commit(settlement.harness.domain.decide(S.production()))
        #expect(settlement.harness.records.suffix(2).map(\.time) == [instant, instant])
        try settlement.commit(settlement.harness.domain.decide(settlement.harness.grant("o-p", 200, scenario: scenario), now: settlement.harness.now))
        #expect(settlement.harness.domain.grant(merchantID: DomainHarness.merchantA, environment: .sandbox, orderID: "o-s")?.grantedAt == instant)
        // The test grant's revocation falls between two of the production grant's, inside the credit line's span.
        for (revocation, order, points) in [("r-p", "o-p", 20), ("r-s", "o-s", 50), ("r-q", "o-p", 10)] {
            try settlement.commit(settlement.harness.domain.decide(RevocationRulesTests.revoke(revocation, order: order, points: points, reason: "fraud",
                                                                                               RevocationRulesTests.fraud), now: settlement.harness.now))
        }
        settlement.harness.now = S.november2
        let invoices = try settlement.close("2026-10")
        // The test grant was never billed, so its revocation credits nothing; the production one's does.
        #expect(BillingFixture.summary(invoices.first) == ["platform_fee 1×1000000 = 100000", "points_granted 200×11 = 220",
                                                            "revocation_credit 30×11 = -33"])
        // Settling from the records (without a points domain) agrees.
        let lean = try BillingReplayTests.lean(settlement.harness.records)
        #expect(lean.settlement.closed == settlement.fold.closed)
        // The trace of the credit line finds the production grant's revocations only.
        let invoice = try #require(invoices.first)
        var tracer = try InvoiceLineTracer(invoice: invoice, lineNumber: 3, closes: InvoiceLineTracer.closes(of: settlement.fold))
        for record in settlement.harness.records {
            guard let event = try DomainEvent.decode(type: record.type, data: try JSONParser.parse(record.data)) else { continue }
            tracer.feed(event, seq: record.seq, time: record.time, domain: settlement.harness.domain)
        }
        let traced = tracer.finish()
        #expect(traced.events.map(\.id) == ["r-p", "r-q"])
        #expect(traced.points == 30)
    }
}
