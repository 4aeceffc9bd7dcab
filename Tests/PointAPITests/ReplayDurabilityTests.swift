import Foundation
import PointAPI
import PointCore
import PointLedger
import Synchronization
import Testing

/// A replayed command is acknowledged only once the original record is durable.
@Suite("Replays wait for the original record to be durable")
struct ReplayDurabilityTests {
    typealias S = PointServiceTests

    static func grant(_ orderID: String, _ scenario: String, points: Int = 5) -> GrantPointsCommand {
        GrantPointsCommand(merchantID: S.merchant, orderID: orderID, recipient: .member("m-1"), scenarioID: scenario, points: points)
    }

    static func ledgerFailure(_ body: () async throws -> Void) async -> LedgerError? {
        do {
            try await body()
            return nil
        } catch let error as ServiceError {
            if case .ledger(let failure) = error { return failure }
            return nil
        } catch {
            return nil
        }
    }

    /// The bug this guards against: a grant refused because its sync failed stayed in the
    /// in-memory state, so its resend was answered as a replay — acknowledged — and then lost
    /// at restart.
    @Test func aResendOfAGrantWhoseWriteFailedIsNotAcknowledged() async throws {
        let directory = S.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let faults = FaultInjectingFileSystem(faults: [])
        let service = try PointService.open(dataDirectory: directory, fileSystem: faults)
        let scenario = try await S.onboard(service)
        let durable = Self.grant("o-durable", scenario)
        _ = try await service.execute { domain, now throws(DomainError) in try domain.decide(durable, now: now) }

        faults.arm([.syncError(onCall: 1, errno: EIO)])
        let failed = Self.grant("o-failed", scenario)
        #expect(await Self.ledgerFailure { _ = try await service.execute { domain, now throws(DomainError) in try domain.decide(failed, now: now) } } != nil)
        // Resending it — alone or in a batch — is refused, never answered as a replay.
        #expect(await Self.ledgerFailure { _ = try await service.execute { domain, now throws(DomainError) in try domain.decide(failed, now: now) } } != nil)
        #expect(await Self.ledgerFailure { _ = try await service.grantBatch([failed]) } != nil)
        // A resend of a durable grant is still answered (reads and replays of durable records work).
        let replay = try await service.execute { domain, now throws(DomainError) in try domain.decide(durable, now: now) }
        #expect(replay.isReplay)
        let batchReplay = try await service.grantBatch([durable])
        guard case .replayed? = batchReplay.first else { Issue.record("expected a replay, got \(batchReplay)"); return }
        service.close()

        faults.heal()
        let reopened = try PointService.open(dataDirectory: directory, fileSystem: faults)
        defer { reopened.close() }
        #expect(reopened.read { $0.grant(merchantID: S.merchant, orderID: "o-durable") } != nil)
        // Whether the failed grant's bytes reached the disk or not, a resend now has one outcome.
        let existed = reopened.read { $0.grant(merchantID: S.merchant, orderID: "o-failed") } != nil
        let resent = try await reopened.execute { domain, now throws(DomainError) in try domain.decide(failed, now: now) }
        #expect(resent.isReplay == existed)
        #expect(reopened.read { $0.grant(merchantID: S.merchant, orderID: "o-failed")?.points } == 5)
    }

    /// While the original's group commit is in flight, its resend waits for it.
    @Test func aResendWhileTheOriginalIsInFlightWaitsForIt() async throws {
        let directory = S.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let syncs = SyncHoldingFileSystem()
        let service = try PointService.open(dataDirectory: directory, fileSystem: syncs)
        defer { service.close() }
        let scenario = try await S.onboard(service)
        let command = Self.grant("o-1", scenario)

        syncs.hold()
        let original = Task { try await service.execute { domain, now throws(DomainError) in try domain.decide(command, now: now) } }
        for _ in 0..<1_000 where syncs.heldSyncs == 0 { try await Task.sleep(for: .milliseconds(2)) }
        // The original's sync is held (a time-based checkpoint's sync may be held beside it).
        #expect(syncs.heldSyncs >= 1)
        let finished = Mutex(false)
        let resend = Task {
            let receipt = try await service.execute { domain, now throws(DomainError) in try domain.decide(command, now: now) }
            finished.withLock { $0 = true }
            return receipt
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(!finished.withLock { $0 }, "the resend was answered before the original was durable")
        #expect(service.ledger.durableSeq < service.ledger.enqueuedSeq)
        syncs.release()
        let first = try await original.value
        let second = try await resend.value
        #expect(!first.isReplay)
        #expect(second.isReplay)
        #expect(second.seq == first.seq)
        #expect(service.ledger.durableSeq >= first.seq)
    }
}
