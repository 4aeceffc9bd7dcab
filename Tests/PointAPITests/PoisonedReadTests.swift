import Foundation
import PointAPI
import PointCore
import PointHTTP
import PointJSON
import PointLedger
import Testing

/// While the ledger refuses writes, the state in memory can hold a write whose sync failed.
/// Single records are served only when durable; summaries computed from the whole state
/// (draft invoices, statements of open months, compliance reports) are refused instead of
/// being served with the refused write counted in.
@Suite("Summaries are refused while the ledger refuses writes")
struct PoisonedReadTests {
    @Test func draftsStatementsAndComplianceAnswer503AfterAFailedSync() async throws {
        let faults = FaultInjectingFileSystem(faults: [])
        let api = try await APIHarness(fileSystem: faults)
        defer { api.close() }
        let merchant = api.merchantA
        let scenario = api.scenarioID(merchant, purpose: "purchase_cashback")
        #expect(await api.bind(merchant, member: "m-1", user: 1).status == 201)
        #expect(await api.asMerchant(merchant, .post, "/v1/grants", json: APIFlowTests.grantBody("o-1", scenario: scenario, points: 100)).status == 201)

        let (auditorKey, auditorSecret) = api.staff("auditor")
        let draftsBefore = await FinanceFlowTests.finance(api, .get, "/v1/finance/invoices?month=2026-10")
        let statementBefore = await api.asMerchant(merchant, .get, "/v1/statements/2026-10")
        let complianceBefore = await api.send(.get, "/v1/audit/compliance?month=2026-10", key: auditorKey, secret: auditorSecret)
        #expect(draftsBefore.status == 200, "\(draftsBefore.body)")
        #expect(statementBefore.status == 200, "\(statementBefore.body)")
        #expect(complianceBefore.status == 200, "\(complianceBefore.body)")

        faults.arm([.syncError(onCall: 1, errno: EIO)])
        let refused = await api.asMerchant(merchant, .post, "/v1/grants", json: APIFlowTests.grantBody("o-2", scenario: scenario, points: 900))
        #expect(refused.status == 503, "\(refused.body)")

        let drafts = await FinanceFlowTests.finance(api, .get, "/v1/finance/invoices?month=2026-10")
        let statement = await api.asMerchant(merchant, .get, "/v1/statements/2026-10")
        let compliance = await api.send(.get, "/v1/audit/compliance?month=2026-10", key: auditorKey, secret: auditorSecret)
        for reply in [drafts, statement, compliance] {
            #expect(reply.status == 503, "\(reply.body)")
            #expect(reply.code == "unavailable")
            #expect(reply.body["message"]?.stringValue?.contains("refuses writes") == true, "\(reply.body)")
            #expect(reply.body["message"]?.stringValue?.contains("Restart the service") == true)
        }
        // What is durable stays readable: the acknowledged grant, not the refused one.
        #expect(await api.asMerchant(merchant, .get, "/v1/grants/o-1").status == 200)
        #expect(await api.asMerchant(merchant, .get, "/v1/grants/o-2").status == 404)
    }
}
