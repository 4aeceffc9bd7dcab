import Foundation
import PointAPI
import PointCore
import PointLedger
import Testing

/// The checkpoint every document of a close states must cover every record the close bills,
/// or an auditor's inclusion check of a billed grant against it fails.
@Suite("A close's checkpoint covers everything it bills")
struct CloseCheckpointCoverageTests {
    static let novemberStart = CivilTime.parseRFC3339("2026-11-01T00:00:00+08:00") ?? 0

    @Test("A grant stamped just before the month ended, still on its way to the disk when the close comes, is inside the checkpoint the documents state")
    func closeWaitsForTheMonthsLastRecord() async throws {
        // Only the segments' syncs are held: the checkpoint log is written as usual.
        let syncs = SyncHoldingFileSystem(holdingOnly: { $0.contains("/ledger/") })
        let api = try await Self.openJustBeforeNovember(syncs: syncs)
        defer { api.close() }
        let merchant = api.merchantB
        let clock = api.application.service.clock

        syncs.hold()
        let survey = api.scenarioID(merchant, purpose: "survey")
        let grant = Task {
            await api.asMerchant(merchant, .post, "/v1/grants", json: APIFlowTests.grantBody("o-last", scenario: survey, points: 10))
        }
        for _ in 0..<1_000 where syncs.heldSyncs == 0 { try await Task.sleep(for: .milliseconds(2)) }
        let grantSeq = api.application.service.ledger.enqueuedSeq
        #expect(api.application.service.ledger.durableSeq < grantSeq, "the grant is not durable yet")
        while clock.now() <= Self.novemberStart { try await Task.sleep(for: .milliseconds(10)) }

        let signedBefore = api.application.service.store.latestCheckpoint?.size
        let close = Task { await FinanceFlowTests.finance(api, .post, "/v1/finance/periods/2026-10/close") }
        // A close that did not wait for the month's records would sign its checkpoint now; one
        // that waits signs nothing while the disk is held. Give it two seconds either way.
        for _ in 0..<200 where api.application.service.store.latestCheckpoint?.size == signedBefore {
            try await Task.sleep(for: .milliseconds(10))
        }
        syncs.release()
        let granted = await grant.value
        #expect(granted.status == 201, "\(granted.body)")
        #expect(granted.body["receipt"]?["seq"]?.intValue == Int64(grantSeq))
        let closed = await close.value
        #expect(closed.status == 201, "\(closed.body)")
        let statement = try #require(closed.body["invoices"]?.arrayValue?.first { $0["merchantId"]?.stringValue == merchant.register.merchantID })
        let points = statement["lines"]?.arrayValue?.first { $0["type"]?.stringValue == "points_granted" }
        #expect(points?["quantity"]?.intValue == 10, "the grant is billed in October: \(statement)")
        let treeSize = try #require(statement["checkpoint"]?["treeSize"]?.intValue)
        #expect(treeSize >= Int64(grantSeq), "the stated checkpoint (tree size \(treeSize)) covers the billed grant (seq \(grantSeq))")
    }

    /// A sandbox with merchant B's member m-1 bound, reopened shortly before November begins
    /// (Asia/Taipei) over `syncs`; the margin grows when opening took longer than it.
    static func openJustBeforeNovember(syncs: SyncHoldingFileSystem) async throws -> APIHarness {
        for marginMicros: Int64 in [2_000_000, 4_000_000, 8_000_000, 16_000_000, 32_000_000] {
            let setUp = try await APIHarness()
            let bound = await setUp.bind(setUp.merchantB, member: "m-1", user: 2)
            #expect(bound.status == 201, "\(bound.body)")
            setUp.stop()
            let api = try await APIHarness(start: novemberStart - marginMicros, directory: setUp.directory, fileSystem: syncs)
            // Time left to queue the grant inside October, however busy the machine.
            if api.application.service.clock.now() < novemberStart - 1_500_000 { return api }
            api.close()
        }
        throw CancellationError()
    }
}
