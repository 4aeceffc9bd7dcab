import Foundation
import PointAPI
import PointCore
import PointHTTP
import PointJSON
import Testing

/// Closing a month through the API: October's grants and revocations, a close after the month
/// ended (the service reopened over the same data directory at a November clock), invoices,
/// exports, roles, statements, replay, and `pointconnect settle`'s comparison.
@Suite("Finance: closing periods and invoices")
struct FinanceFlowTests {
    static let november2 = CivilTime.parseRFC3339("2026-11-02T09:00:00+08:00") ?? 0

    /// Merchant A (1650000001, NT$1.1, contract from 2026-10) goes live and grants 1,200 points
    /// in October, 100 revoked; merchant B (1650000002, sandbox, NT$1.2) grants 10 points.
    static func october() async throws -> APIHarness {
        let api = try await APIHarness()
        let a = api.merchantA
        let b = api.merchantB
        #expect(await api.bind(a, member: "m-1", user: 1).status == 201)
        #expect(await api.bind(b, member: "m-1", user: 2).status == 201)
        let live = await api.openProduction(a)
        #expect(live.status == 200 || live.status == 201, "\(live.body)")
        let cashback = api.scenarioID(a, purpose: "purchase_cashback")
        for (order, points) in [("o-1", Int64(1_000)), ("o-2", 200)] {
            let granted = await api.asMerchant(a, .post, "/v1/grants", json: APIFlowTests.grantBody(order, scenario: cashback, points: points))
            #expect(granted.status == 201, "\(granted.body)")
        }
        let survey = api.scenarioID(b, purpose: "survey")
        #expect(await api.asMerchant(b, .post, "/v1/grants", json: APIFlowTests.grantBody("b-1", scenario: survey, points: 10)).status == 201)
        let revoked = await api.asMerchant(a, .post, "/v1/grants/o-1/revocations", json: [
            "revocationId": "r-1", "points": 100, "reason": "fraud", "evidence": ["fraudKind": "point_theft", "caseReference": "C-1"],
        ])
        #expect(revoked.status == 201, "\(revoked.body)")
        return api
    }

    static func finance(_ api: APIHarness, _ method: HTTPMethod, _ target: String, headers: [(String, String)] = []) async -> APIHarness.Reply {
        let (key, secret) = api.staff("finance")
        return await api.send(method, target, key: key, secret: secret) { request in
            for (name, value) in headers { request.headers.set(name: name, value: value) }
        }
    }

    @Test("Close October after it ended: invoices and statements, replay, exports, a closed month never changes, reopen gives the same")
    func closeOctober() async throws {
        let october = try await Self.october()
        let directory = october.directory
        let early = await Self.finance(october, .post, "/v1/finance/periods/2026-10/close")
        #expect(early.status == 422)
        #expect(early.code == "period_not_ended")
        #expect(early.body["message"]?.stringValue?.contains("has not ended") == true)
        let draft = await Self.finance(october, .get, "/v1/finance/invoices?month=2026-10")
        #expect(draft.status == 200)
        #expect(draft.body["draft"] == .bool(true))
        #expect(draft.body["invoices"]?.arrayValue?.allSatisfy { $0["number"]?.isNull == true } == true)
        october.stop()

        let api = try await APIHarness(start: Self.november2, directory: directory)
        defer { api.close() }
        // A first close of a month that ended before the ledger began (a mistyped year) is
        // refused: nothing could be billed there, and every month after it would have to be closed.
        let beforeLedger = api.application.service.ledger.durableSeq
        let tooEarly = await Self.finance(api, .post, "/v1/finance/periods/2025-10/close")
        #expect(tooEarly.status == 422 && tooEarly.code == "period_before_ledger", "\(tooEarly.body)")
        #expect(tooEarly.body["details"]?.arrayValue?.first?["property"]?.stringValue == "month")
        #expect(tooEarly.body["message"]?.stringValue?.contains("Close 2026-10 (Asia/Taipei)") == true, "\(tooEarly.body)")
        #expect(api.application.service.ledger.durableSeq == beforeLedger)
        let closed = await Self.finance(api, .post, "/v1/finance/periods/2026-10/close")
        #expect(closed.status == 201, "\(closed.body)")
        let invoices = closed.body["invoices"]?.arrayValue ?? []
        #expect(invoices.count == 2)
        let invoiceA = try #require(invoices.first { $0["merchantId"]?.stringValue == "1650000001" })
        #expect(invoiceA["number"]?.stringValue == "PC-2026-000001")
        #expect(invoiceA["status"]?.stringValue == "issued")
        #expect(invoiceA["lines"]?.arrayValue?.map { $0["type"]?.stringValue ?? "" } == ["platform_fee", "points_granted", "revocation_credit"])
        #expect(invoiceA["subtotal"]?.intValue == Int64(100_000 + 1_320 - 110))
        #expect(invoiceA["total"]?.intValue == Int64(101_210 + 5_061))
        let statementB = try #require(invoices.first { $0["merchantId"]?.stringValue == "1650000002" })
        #expect(statementB["status"]?.stringValue == "not_billable_statement")
        #expect(statementB["billable"] == .bool(false))
        #expect(statementB["number"]?.isNull == true)

        // Closing again replays the same documents and writes nothing.
        let durable = api.application.service.ledger.durableSeq
        let again = await Self.finance(api, .post, "/v1/finance/periods/2026-10/close")
        #expect(again.status == 200)
        #expect(again.headers["Idempotent-Replay"] == "true")
        #expect(again.body["invoices"] == closed.body["invoices"])
        #expect(api.application.service.ledger.durableSeq == durable)
        let outOfOrder = await Self.finance(api, .post, "/v1/finance/periods/2026-09/close")
        #expect(outOfOrder.status == 409)
        #expect(outOfOrder.code == "period_not_closable")
        let badMonth = await Self.finance(api, .post, "/v1/finance/periods/2026-13/close")
        #expect(badMonth.status == 400)
        #expect(badMonth.code == "invalid_month")

        // Listing and exports.
        let listed = await Self.finance(api, .get, "/v1/finance/invoices?month=2026-10")
        #expect(listed.body["closed"] == .bool(true))
        #expect(listed.body["draft"] == .bool(false))
        #expect(listed.body["invoices"] == closed.body["invoices"])
        let onlyB = await Self.finance(api, .get, "/v1/finance/invoices?month=2026-10&merchantId=1650000002")
        #expect(onlyB.body["invoices"]?.arrayValue?.count == 1)
        let json = await Self.finance(api, .get, "/v1/finance/invoices/PC-2026-000001")
        #expect(json.status == 200)
        #expect(json.body == invoiceA)
        let csv = await Self.finance(api, .get, "/v1/finance/invoices/PC-2026-000001?format=csv")
        #expect(csv.headers["Content-Type"] == "text/csv; charset=utf-8")
        #expect(String(decoding: csv.raw, as: UTF8.self).contains("PC-2026-000001,2026-10,22099131,points_granted,1200,1.1,1320"))
        let html = await Self.finance(api, .get, "/v1/finance/invoices/PC-2026-000001", headers: [("Accept", "text/html")])
        #expect(html.headers["Content-Type"] == "text/html; charset=utf-8")
        #expect(String(decoding: html.raw, as: UTF8.self).contains("PC-2026-000001"))
        #expect(await Self.finance(api, .get, "/v1/finance/invoices/PC-2026-000001?format=pdf").code == "unsupported_format")
        // Accept is weighed: a refused or unknown type is 406, not JSON; format= still wins.
        for refused in ["application/pdf", "text/csv;q=0"] {
            let answer = await Self.finance(api, .get, "/v1/finance/invoices/PC-2026-000001", headers: [("Accept", refused)])
            #expect(answer.status == 406 && answer.code == "unsupported_format"
                    && answer.body["details"]?.arrayValue?.first?["property"]?.stringValue == "Accept", "\(refused): \(answer.body)")
        }
        let weighed = await Self.finance(api, .get, "/v1/finance/invoices/PC-2026-000001", headers: [("Accept", "text/html;q=0.5, text/csv")])
        #expect(weighed.headers["Content-Type"] == "text/csv; charset=utf-8")
        #expect(weighed.headers["Vary"] == "Accept" && json.headers["Vary"] == "Accept")
        #expect(listed.headers["Vary"] == nil)   // the month's list reads no Accept
        let overridden = await Self.finance(api, .get, "/v1/finance/invoices/PC-2026-000001?format=json", headers: [("Accept", "application/pdf")])
        #expect(overridden.status == 200 && overridden.body == invoiceA)
        #expect(await Self.finance(api, .get, "/v1/finance/invoices/PC-2026-000009").code == "invoice_not_found")

        // A closed month never changes: a November revocation of an October grant credits November.
        let late = await api.asMerchant(api.merchantA, .post, "/v1/grants/o-1/revocations", json: [
            "revocationId": "r-2", "points": 50, "reason": "fraud", "evidence": ["fraudKind": "point_theft", "caseReference": "C-2"],
        ])
        #expect(late.status == 201, "\(late.body)")
        let after = await Self.finance(api, .get, "/v1/finance/invoices?month=2026-10")
        #expect(after.body["invoices"] == closed.body["invoices"])
        let november = await api.asMerchant(api.merchantA, .get, "/v1/statements/2026-11")
        #expect(november.status == 200)
        #expect(november.headers["Vary"] == "Accept")   // its JSON answer varies with Accept too
        #expect(november.body["draft"] == .bool(true))
        let credit = november.body["statement"]?["lines"]?.arrayValue?.first
        #expect(credit?["type"]?.stringValue == "revocation_credit")
        #expect(credit?["quantity"]?.intValue == 50)
        #expect(credit?["cites"]?["invoiceNumber"]?.stringValue == "PC-2026-000001")

        // Replay equivalence: reopening rebuilds the same invoices (the strict fold re-checks them).
        let before = api.application.service.readSettlement { _, settlement in settlement.closed }
        api.stop()
        let reopened = try await APIHarness(start: Self.november2 + 3_600_000_000, directory: directory)
        defer { reopened.stop() }
        #expect(reopened.application.service.readSettlement { _, settlement in settlement.closed } == before)
        let relisted = await Self.finance(reopened, .get, "/v1/finance/invoices?month=2026-10")
        #expect(relisted.raw == listed.raw)

        // settle: the ledger files alone reproduce October.
        let folded = try SettlementLedgerReader.fold(dataDirectory: directory)
        let report = SettlementAudit.report(folded.settlement, month: try BillingMonth(parsing: "2026-10"))
        #expect(report.reproduced)
        #expect(report.lines.first?.hasPrefix("2026-10: reproduced 2 invoices exactly") == true)
        let open = SettlementAudit.report(folded.settlement, month: try BillingMonth(parsing: "2026-11"), merchantID: "1650000001")
        #expect(!open.closed)
        #expect(open.invoices.count == 1)
        #expect(open.invoices.first?.status == .draft)
    }

    @Test("Only finance closes; merchants and reviewers can't read invoices; auditors read but never close")
    func roles() async throws {
        let october = try await Self.october()
        let directory = october.directory
        october.stop()
        let api = try await APIHarness(start: Self.november2, directory: directory)
        defer { api.close() }
        let merchantClose = await api.asMerchant(api.merchantA, .post, "/v1/finance/periods/2026-10/close")
        #expect(merchantClose.status == 403)
        #expect(merchantClose.code == "forbidden_role")
        let (auditorKey, auditorSecret) = api.staff("auditor")
        let auditorClose = await api.send(.post, "/v1/finance/periods/2026-10/close", key: auditorKey, secret: auditorSecret)
        #expect(auditorClose.status == 403)
        let (reviewerKey, reviewerSecret) = api.staff("reviewer")
        let reviewerClose = await api.send(.post, "/v1/finance/periods/2026-10/close", key: reviewerKey, secret: reviewerSecret)
        #expect(reviewerClose.status == 403)
        #expect(api.application.service.readSettlement { _, settlement in settlement.lastClosed } == nil)
        #expect(await api.asMerchant(api.merchantA, .get, "/v1/finance/invoices?month=2026-10").status == 403)
        #expect(await api.send(.get, "/v1/finance/invoices?month=2026-10", key: reviewerKey, secret: reviewerSecret).status == 403)
        #expect(await api.send(.get, "/v1/finance/invoices?month=2026-10", key: auditorKey, secret: auditorSecret).status == 200)
        // Statements are the merchant's own view; staff use the finance endpoints.
        let (financeKey, financeSecret) = api.staff("finance")
        #expect(await api.send(.get, "/v1/statements/2026-10", key: financeKey, secret: financeSecret).status == 403)
        #expect(await Self.finance(api, .post, "/v1/finance/periods/2026-10/close").status == 201)
    }

    @Test("A merchant sees only its own statement; a sandbox merchant's is marked not billable")
    func statements() async throws {
        let october = try await Self.october()
        let directory = october.directory
        october.stop()
        let api = try await APIHarness(start: Self.november2, directory: directory)
        defer { api.close() }
        let draftB = await api.asMerchant(api.merchantB, .get, "/v1/statements/2026-10")
        #expect(draftB.body["draft"] == .bool(true))
        #expect(draftB.body["statement"]?["status"]?.stringValue == "not_billable_statement")
        #expect(await Self.finance(api, .post, "/v1/finance/periods/2026-10/close").status == 201)
        let ownA = await api.asMerchant(api.merchantA, .get, "/v1/statements/2026-10")
        #expect(ownA.status == 200)
        #expect(ownA.body["closed"] == .bool(true))
        #expect(ownA.body["statement"]?["merchantId"]?.stringValue == "1650000001")
        #expect(ownA.body["statement"]?["number"]?.stringValue == "PC-2026-000001")
        let ownB = await api.asMerchant(api.merchantB, .get, "/v1/statements/2026-10")
        #expect(ownB.body["statement"]?["merchantId"]?.stringValue == "1650000002")
        #expect(ownB.body["statement"]?["billable"] == .bool(false))
        #expect(ownB.body["statement"]?["status"]?.stringValue == "not_billable_statement")
        #expect(ownB.body["statement"]?["number"]?.isNull == true)
        #expect(!String(decoding: ownB.raw, as: UTF8.self).contains("1650000001"))
        let html = await api.send(.get, "/v1/statements/2026-10?format=html", key: api.merchantB.channelID, secret: api.merchantB.channelSecret)
        #expect(html.headers["Content-Type"] == "text/html; charset=utf-8")
        let empty = await api.asMerchant(api.merchantA, .get, "/v1/statements/2026-12")
        #expect(empty.body["statement"]?.isNull == true)
        #expect(await api.asMerchant(api.merchantA, .get, "/v1/statements/October").code == "invalid_month")
    }
}
