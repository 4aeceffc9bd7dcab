import Foundation
import PointAPI
import PointCore
import Testing

/// An orderId used for a sandbox test grant, sent again for a real order after going live.
@Suite("Grants across going live")
struct GrantEnvironmentTests {
    @Test("The reused orderId makes a production grant; reads, the answer and the offline trace show that one, with its own record")
    func orderIDReusedAfterGoingLive() async throws {
        let api = try await APIHarness()
        defer { try? FileManager.default.removeItem(atPath: api.directory) }
        let merchant = api.merchantA
        #expect(await api.bind(merchant, member: "m-1", user: 1).status == 201)
        let cashback = api.scenarioID(merchant, purpose: "purchase_cashback")
        let test = await api.asMerchant(merchant, .post, "/v1/grants", json: APIFlowTests.grantBody("o-reused", scenario: cashback, points: 30))
        #expect(test.status == 201 && test.body["grant"]?["environment"] == "sandbox", "\(test.body)")
        let live = await api.openProduction(merchant)
        #expect(live.status == 201, "\(live.body)")

        let real = await api.asMerchant(merchant, .post, "/v1/grants", json: APIFlowTests.grantBody("o-reused", scenario: cashback, points: 40))
        #expect(real.status == 201 && real.headers["Idempotent-Replay"] == nil, "a new grant, not a replay of the test: \(real.body)")
        #expect(real.body["grant"]?["environment"] == "production" && real.body["grant"]?["points"]?.intValue == 40)
        let read = await api.asMerchant(merchant, .get, "/v1/grants/o-reused")
        #expect(read.body["grant"]?["points"]?.intValue == 40 && read.body["grant"]?["environment"] == "production", "\(read.body)")
        let listed = await api.asMerchant(merchant, .get, "/v1/grants")
        #expect(listed.body["grants"]?.arrayValue?.map { $0["environment"]?.stringValue ?? "" } == ["sandbox", "production"], "\(listed.body)")
        api.stop()

        let trace = try AuditLedgerReader.traceGrant(dataDirectory: api.directory, merchantID: merchant.register.merchantID, orderID: "o-reused")
        #expect(trace.grant.points == 40 && trace.grant.environment == .production)
        #expect(trace.record.seq == trace.grant.seq && trace.record.data["points"]?.intValue == 40, "the production grant's own record")
    }

    @Test("A test grant revoked after going live, and later a production grant of its orderId: the invoice's revocation line traces to exactly its own revocations")
    func invoiceTraceAcrossAReusedOrderID() async throws {
        let api = try await APIHarness()
        let merchant = api.merchantA
        #expect(await api.bind(merchant, member: "m-1", user: 1).status == 201)
        let cashback = api.scenarioID(merchant, purpose: "purchase_cashback")
        func grant(_ order: String, _ points: Int64) async {
            let answer = await api.asMerchant(merchant, .post, "/v1/grants", json: APIFlowTests.grantBody(order, scenario: cashback, points: points))
            #expect(answer.status == 201, "\(answer.body)")
        }
        func revoke(_ id: String, _ order: String, _ points: Int64) async {
            let answer = await api.asMerchant(merchant, .post, "/v1/grants/\(order)/revocations", json: [
                "revocationId": .string(id), "points": .int(points), "reason": "fraud",
                "evidence": ["fraudKind": "point_theft", "caseReference": "C-1"],
            ])
            #expect(answer.status == 201, "\(answer.body)")
        }
        await grant("ORD-1", 100)
        let live = await api.openProduction(merchant)
        #expect(live.status == 201, "\(live.body)")
        await grant("ORD-A", 50)
        await revoke("RA1", "ORD-A", 10)
        await revoke("RS", "ORD-1", 30)  // the test grant: no production ORD-1 yet
        await grant("ORD-1", 40)
        await revoke("RA2", "ORD-A", 5)
        api.stop()

        let november = try await APIHarness(start: FinanceFlowTests.november2, directory: api.directory)
        defer { november.close() }
        let closed = await FinanceFlowTests.finance(november, .post, "/v1/finance/periods/2026-10/close")
        #expect(closed.status == 201, "\(closed.body)")
        let invoice = try #require(closed.body["invoices"]?.arrayValue?.first { $0["merchantId"]?.stringValue == merchant.register.merchantID })
        let credit = invoice["lines"]?.arrayValue?.first { $0["type"]?.stringValue == "revocation_credit" }
        #expect(credit?["quantity"]?.intValue == 15, "RA1 and RA2; the test grant's revocation is not credited: \(invoice)")
        let number = try InvoiceNumber(parsing: try #require(invoice["number"]?.stringValue))
        november.stop()
        let traced = try AuditLedgerReader.traceInvoice(dataDirectory: november.directory, number: number, lineNumber: nil)
        let creditTrace = try #require(traced.first { $0.line.type == .revocationCredit })
        #expect(creditTrace.events.map(\.id) == ["RA1", "RA2"] && creditTrace.complete, "\(creditTrace.events.map(\.id))")
        #expect(traced.allSatisfy { $0.complete })
    }
}
