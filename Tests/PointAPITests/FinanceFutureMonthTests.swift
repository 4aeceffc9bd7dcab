import Foundation
import PointAPI
import PointCore
import Testing

/// Drafts are computed month by month from the last close; a month that has not begun has none.
@Suite("Finance: months that have not begun")
struct FinanceFutureMonthTests {
    @Test("A statement or invoice list of a month that has not begun is empty at once, with a note; the current month still has drafts")
    func futureMonthsHaveNoDrafts() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let merchant = api.merchantA
        #expect(await api.bind(merchant, member: "m-1", user: 1).status == 201)
        let cashback = api.scenarioID(merchant, purpose: "purchase_cashback")
        #expect(await api.asMerchant(merchant, .post, "/v1/grants", json: APIFlowTests.grantBody("o-1", scenario: cashback, points: 10)).status == 201)

        let farOff = await api.asMerchant(merchant, .get, "/v1/statements/9999-12")
        #expect(farOff.status == 200, "\(farOff.body)")
        #expect(farOff.body["statement"] == .null && farOff.body["draft"] == .bool(false))
        #expect(farOff.body["note"]?.stringValue?.contains("9999-12 has not begun (it is 2026-10") == true, "\(farOff.body)")
        let invoices = await FinanceFlowTests.finance(api, .get, "/v1/finance/invoices?month=2026-11")
        #expect(invoices.body["invoices"]?.arrayValue?.isEmpty == true && invoices.body["draft"] == .bool(false), "\(invoices.body)")

        let current = await api.asMerchant(merchant, .get, "/v1/statements/2026-10")
        #expect(current.body["draft"] == .bool(true) && current.body["statement"]?["status"] != nil, "\(current.body)")
    }

    @Test("With the clock behind the ledger, a closed month still shows its invoices and the ledger's month its drafts")
    func clockBehindTheLedger() async throws {
        let october = try await FinanceFlowTests.october()
        october.stop()
        let november = try await APIHarness(start: FinanceFlowTests.november2, directory: october.directory)
        #expect(await FinanceFlowTests.finance(november, .post, "/v1/finance/periods/2026-10/close").status == 201)
        november.stop()
        // Reopened with the clock back in September (an earlier --now, or a clock stepped back):
        // by the clock alone, October would not have begun.
        let september = CivilTime.parseRFC3339("2026-09-20T10:00:00+08:00") ?? 0
        let behind = try await APIHarness(start: september, directory: october.directory)
        defer { behind.close() }
        let closed = await FinanceFlowTests.finance(behind, .get, "/v1/finance/invoices?month=2026-10")
        #expect(closed.body["closed"] == .bool(true) && closed.body["invoices"]?.arrayValue?.isEmpty == false, "\(closed.body)")
        let open = await FinanceFlowTests.finance(behind, .get, "/v1/finance/invoices?month=2026-11")
        #expect(open.body["draft"] == .bool(true), "the ledger already runs in November: \(open.body)")
    }
}
