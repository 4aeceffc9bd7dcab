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
        let (reviewerKey, reviewerSecret) = api.staff("reviewer")
        let live = await api.send(.post, "/v1/admin/merchants/\(merchant.register.merchantID)/environments/production", json: [
            "officialAccountId": "@formosabooks", "loginChannelId": "2006100001", "linkedLoginChannelId": "2006100001",
            "allowedSources": ["127.0.0.1"],
            "eligibility": ["kind": "special_approval", "reference": "SA-2026-7", "approvedBy": "head office"],
        ], key: reviewerKey, secret: reviewerSecret)
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
}
