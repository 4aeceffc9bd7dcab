import Foundation
import PointLedger
import Synchronization
import Testing

/// The order in which waiters were told.
private final class TellingOrder: Sendable {
    let names = Mutex<[String]>([])
    func append(_ name: String) { names.withLock { $0.append(name) } }
    var all: [String] { names.withLock { $0 } }
}

/// A waiter object that records what it is told.
private final class RecordingWaiter: LedgerDurabilityWaiter {
    let told = Mutex<[String]>([])
    let name: String
    let order: TellingOrder?

    init(_ name: String, order: TellingOrder? = nil) {
        self.name = name
        self.order = order
    }

    func durabilityDecided(_ result: Result<Void, LedgerError>) {
        let outcome: String
        switch result {
        case .success: outcome = "durable"
        case .failure(let error): outcome = "failed: \(error)"
        }
        told.withLock { $0.append(outcome) }
        order?.append(name)
    }

    var outcomes: [String] { told.withLock { $0 } }

    func waitForOutcome(seconds: Double = 10) async -> [String] {
        for _ in 0..<Int(seconds * 500) where outcomes.isEmpty { try? await Task.sleep(for: .milliseconds(2)) }
        return outcomes
    }
}

@Suite("Waiting for durability with an object")
struct LedgerDurabilityWaiterTests {
    @Test("An object waiter is told once its records are durable, not before; with closures, in the order they waited")
    func toldAfterTheCommit() async throws {
        let directory = TemporaryDirectory()
        let disk = SyncHoldingFileSystem()
        let ledger = try Ledger.open(directory: directory.ledgerPath, fileSystem: disk)
        defer { ledger.close() }
        disk.hold()
        let order = TellingOrder()
        let first = try ledger.enqueue(sampleEntry(1))
        let second = try ledger.enqueue(sampleEntry(2))
        let early = RecordingWaiter("object 1", order: order)
        ledger.whenDurable(first.seq, waiter: early)
        ledger.whenDurable(first.seq) { _ in order.append("closure 1") }
        let late = RecordingWaiter("object 2", order: order)
        ledger.whenDurable(second.seq, waiter: late)
        for _ in 0..<5_000 where disk.heldSyncs == 0 { try await Task.sleep(for: .milliseconds(2)) }
        try await Task.sleep(for: .milliseconds(30))
        #expect(early.outcomes.isEmpty && late.outcomes.isEmpty, "told before the sync finished")
        disk.release()
        #expect(await early.waitForOutcome() == ["durable"])
        #expect(await late.waitForOutcome() == ["durable"])
        #expect(ledger.durableSeq >= second.seq)
        try await Task.sleep(for: .milliseconds(20))
        #expect(order.all == ["object 1", "closure 1", "object 2"])
        #expect(early.outcomes.count == 1 && late.outcomes.count == 1, "told once")
    }

    @Test("Already durable: told at once, on the calling thread; closed: told the ledger is closed")
    func toldAtOnce() async throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.open(directory: directory.ledgerPath)
        let appended = try await ledger.append([sampleEntry(1)])
        let waiter = RecordingWaiter("now")
        ledger.whenDurable(appended[0].seq, waiter: waiter)
        #expect(waiter.outcomes == ["durable"])
        ledger.close()
        let afterClose = RecordingWaiter("closed")
        ledger.whenDurable(appended[0].seq + 1, waiter: afterClose)
        #expect(afterClose.outcomes.count == 1 && afterClose.outcomes.first?.hasPrefix("failed") == true)
    }

    @Test("A failed sync tells every object waiting on it, and later ones at once, that the ledger failed")
    func toldOfAFailure() async throws {
        let directory = TemporaryDirectory()
        let faults = FaultInjectingFileSystem(faults: [.syncError(onCall: 2, errno: EIO)])
        let ledger = try Ledger.open(directory: directory.ledgerPath, fileSystem: faults)
        defer { ledger.close() }
        _ = try await ledger.append([sampleEntry(1)])
        let queued = try ledger.enqueue(sampleEntry(2))
        let waiter = RecordingWaiter("failing")
        ledger.whenDurable(queued.seq, waiter: waiter)
        let outcome = await waiter.waitForOutcome()
        #expect(outcome.count == 1 && outcome.first?.contains("EIO") == true, "\(outcome)")
        let later = RecordingWaiter("later")
        ledger.whenDurable(queued.seq, waiter: later)
        #expect(later.outcomes.first?.contains("EIO") == true)
    }
}
