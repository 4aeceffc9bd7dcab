import Foundation
import Testing
import PointCrypto
import PointJSON
import Synchronization
@testable import PointLedger

@Suite struct LedgerFaultTests {
    private func expectPoisoned(_ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("an append succeeded on failing storage")
        } catch let error as LedgerError {
            guard case .poisoned = error else {
                Issue.record("expected poisoned, got \(error)")
                return
            }
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// Refuses to open any file for appending.
    final class NoAppendFileSystem: ForwardingFileSystem {
        let base: any LedgerFileSystem = PosixFileSystem()
        func open(_ path: String, flags: Int32, mode: UInt32) throws(SystemError) -> Int32 {
            if flags & O_APPEND != 0 { throw SystemError(EACCES) }
            return try base.open(path, flags: flags, mode: mode)
        }
    }

    /// The directory lock is released exactly once (debug builds stop at a second close).
    @Test func aSegmentThatCannotBeOpenedForAppendRefusesToOpenAndFreesTheDirectory() async throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.open(directory: directory.ledgerPath)
        _ = try await ledger.append([sampleEntry(1)])
        ledger.close()
        #expect {
            _ = try Ledger.open(directory: directory.ledgerPath, fileSystem: NoAppendFileSystem())
        } throws: { error in
            guard case LedgerError.io(let operation, let path, let code) = error else { return false }
            return operation == "opening for append" && path.hasSuffix(SegmentDirectory.fileName(firstSeq: 1)) && code == EACCES
        }
        let reopened = try Ledger.open(directory: directory.ledgerPath)
        #expect(reopened.durableSeq == 1)
        reopened.close()
    }

    @Test func aFailedWritePoisonsTheLedger() async throws {
        let directory = TemporaryDirectory()
        let faults = FaultInjectingFileSystem(faults: [.writeError(onCall: 3, errno: EIO)])
        let ledger = try Ledger.open(directory: directory.ledgerPath, fileSystem: faults)
        _ = try await ledger.append([sampleEntry(1)])
        _ = try await ledger.append([sampleEntry(2)])
        await expectPoisoned { _ = try await ledger.append([sampleEntry(3)]) }
        faults.heal()
        // Still poisoned after the disk recovers: no retry until restart.
        await expectPoisoned { _ = try await ledger.append([sampleEntry(4)]) }
        #expect(ledger.durableSeq == 2)
        ledger.close()
        let reopened = try Ledger.open(directory: directory.ledgerPath)
        #expect(reopened.durableSeq == 2)
        reopened.close()
    }

    @Test func aFailedSyncPoisonsAndIsNeverRetried() async throws {
        let directory = TemporaryDirectory()
        let faults = FaultInjectingFileSystem(faults: [.syncError(onCall: 2, errno: EIO)])
        let ledger = try Ledger.open(directory: directory.ledgerPath, fileSystem: faults)
        _ = try await ledger.append([sampleEntry(1)])
        await expectPoisoned { _ = try await ledger.append([sampleEntry(2)]) }
        #expect(ledger.durableSeq == 1)
        #expect(throws: LedgerError.self) { _ = try ledger.enqueue([sampleEntry(3)]) }
        ledger.close()
    }

    @Test func aPoisonedLedgerIsReportedOnce() async throws {
        let directory = TemporaryDirectory()
        let faults = FaultInjectingFileSystem(faults: [.syncError(onCall: 2, errno: EIO)])
        let reports = Mutex<[String]>([])
        let ledger = try Ledger.open(directory: directory.ledgerPath, fileSystem: faults,
                                     poisonObserver: { error in reports.withLock { $0.append("\(error)") } })
        _ = try await ledger.append([sampleEntry(1)])
        #expect(reports.withLock { $0.isEmpty })
        await expectPoisoned { _ = try await ledger.append([sampleEntry(2)]) }
        await expectPoisoned { _ = try await ledger.append([sampleEntry(3)]) }
        ledger.close()
        let seen = reports.withLock { $0 }
        #expect(seen.count == 1)
        #expect(seen.first?.contains("fdatasync") == true && seen.first?.contains("EIO") == true)
    }

    @Test func shortWritesAreCompleted() async throws {
        let directory = TemporaryDirectory()
        let faults = FaultInjectingFileSystem(faults: [.shortWrite(onCall: 1, maxBytes: 7), .shortWrite(onCall: 3, maxBytes: 1)])
        let ledger = try Ledger.open(directory: directory.ledgerPath, fileSystem: faults)
        _ = try await ledger.append((1...5).map { sampleEntry($0) })
        _ = try await ledger.append((6...9).map { sampleEntry($0) })
        ledger.close()
        #expect(try readAll(directory.ledgerPath).map(\.seq) == Array(1...9))
    }

    @Test func aFullDiskRefusesWritesAndLosesNothingAcknowledged() async throws {
        let directory = TemporaryDirectory()
        let faults = FaultInjectingFileSystem(faults: [.diskFull(capacityBytes: 3_000)])
        let ledger = try Ledger.open(directory: directory.ledgerPath, fileSystem: faults)
        var acknowledged: [UInt64] = []
        var refusals = 0
        for index in 1...30 {
            do {
                acknowledged.append(contentsOf: try await ledger.append([sampleEntry(index)]).map(\.seq))
            } catch {
                refusals += 1
            }
        }
        #expect(refusals > 0)
        #expect(!acknowledged.isEmpty)
        ledger.close()
        faults.heal()
        // After space returns and a restart, every acknowledged record is there; the partial line is gone.
        var logged: [String] = []
        let reopened = try Ledger.open(directory: directory.ledgerPath, log: { logged.append($0) })
        #expect(reopened.durableSeq == acknowledged.last)
        #expect(logged.count == 1)
        _ = try await reopened.append([sampleEntry(31)])
        reopened.close()
        #expect(try readAll(directory.ledgerPath).count == acknowledged.count + 1)
    }

    @Test func waitersOfAPoisonedBatchAllFail() async throws {
        let directory = TemporaryDirectory()
        let faults = FaultInjectingFileSystem(faults: [.syncError(onCall: 1, errno: EIO)])
        let ledger = try Ledger.open(directory: directory.ledgerPath, fileSystem: faults)
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<16 {
                group.addTask { (try? await ledger.append([sampleEntry(index)])) != nil }
            }
            var successes = 0
            for await succeeded in group where succeeded { successes += 1 }
            return successes
        }
        #expect(outcomes == 0)
        #expect(ledger.durableSeq == 0)
        ledger.close()
    }
}
