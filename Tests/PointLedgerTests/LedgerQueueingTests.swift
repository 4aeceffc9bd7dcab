import Foundation
import Synchronization
import Testing
import PointCrypto
import PointJSON
@testable import PointLedger

/// How records wait between ``Ledger/enqueue(_:wakingWriter:)`` and the writer: held records,
/// their release, and the line length checked before the writer encodes anything.
@Suite struct LedgerQueueingTests {
    /// The commits a ledger reported.
    final class CommitLog: Sendable {
        private let commits = Mutex<[CommitStatistics]>([])
        func record(_ statistics: CommitStatistics) { commits.withLock { $0.append(statistics) } }
        var records: [Int] { commits.withLock { $0.map(\.records) } }
        var isEmpty: Bool { commits.withLock { $0.isEmpty } }

        /// Waits (bounded) until a commit through `seq` was reported (the report follows the waiters).
        func waitForReport(through seq: UInt64) async throws {
            for _ in 0..<2_000 where commits.withLock({ $0.last?.durableSeq ?? 0 }) < seq { try await Task.sleep(for: .milliseconds(1)) }
        }
    }

    /// A ledger whose commits are recorded; the idle tick is long unless a test asks otherwise.
    private static func open(_ directory: TemporaryDirectory, idleTickMilliseconds: Int = 60_000,
                             maxPendingBytes: Int = 64 << 20) throws -> (Ledger, CommitLog) {
        let commits = CommitLog()
        let ledger = try Ledger.open(directory: directory.ledgerPath,
                                     options: LedgerOptions(maxPendingBytes: maxPendingBytes, idleTickMilliseconds: idleTickMilliseconds),
                                     commitObserver: { commits.record($0) })
        return (ledger, commits)
    }

    @Test("Records queued without waking the writer are not written until released, then in one commit")
    func heldRecordsWaitForTheirRelease() async throws {
        let directory = TemporaryDirectory()
        let (ledger, commits) = try Self.open(directory)
        defer { ledger.close() }
        var last: AppendedRecord?
        for index in 1...5 { last = try ledger.enqueue(sampleEntry(index), wakingWriter: false) }
        // An idle writer would have committed a released record within a millisecond or two.
        try await Task.sleep(for: .milliseconds(80))
        #expect(ledger.durableSeq == 0)
        #expect(commits.isEmpty)
        ledger.wakeWriter()
        try await ledger.waitUntilDurable(try #require(last).seq)
        try await commits.waitForReport(through: 5)
        #expect(commits.records == [5])
    }

    @Test("A writer busy with a commit leaves the records held meanwhile for their release, not for its next commit")
    func aBusyWriterLeavesHeldRecords() async throws {
        let directory = TemporaryDirectory()
        let disk = SyncHoldingFileSystem()
        let commits = CommitLog()
        let ledger = try Ledger.open(directory: directory.ledgerPath, options: LedgerOptions(idleTickMilliseconds: 60_000), fileSystem: disk,
                                     commitObserver: { commits.record($0) })
        defer { ledger.close() }
        disk.hold()
        let first = try ledger.enqueue(sampleEntry(1))
        for _ in 0..<2_000 where disk.heldSyncs == 0 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(disk.heldSyncs == 1)
        var last: AppendedRecord?
        for index in 2...4 { last = try ledger.enqueue(sampleEntry(index), wakingWriter: false) }
        disk.release()
        try await ledger.waitUntilDurable(first.seq)
        // Free again, the writer would take what is queued at once if it did not wait for the release.
        try await Task.sleep(for: .milliseconds(80))
        #expect(ledger.durableSeq == first.seq)
        ledger.wakeWriter()
        try await ledger.waitUntilDurable(try #require(last).seq)
        try await commits.waitForReport(through: 4)
        #expect(commits.records == [1, 3])
    }

    @Test("A waking enqueue releases the held records queued before it: all go in one commit")
    func aWakingEnqueueReleasesWhatIsHeldBeforeIt() async throws {
        let directory = TemporaryDirectory()
        let (ledger, commits) = try Self.open(directory)
        defer { ledger.close() }
        for index in 1...3 { _ = try ledger.enqueue(sampleEntry(index), wakingWriter: false) }
        let released = try ledger.enqueue(sampleEntry(4))
        try await ledger.waitUntilDurable(released.seq)
        try await commits.waitForReport(through: 4)
        #expect(commits.records == [4])
        #expect(try readAll(directory.ledgerPath).map(\.seq) == [1, 2, 3, 4])
    }

    @Test("Held records nobody releases are written after the idle tick")
    func theIdleTickWritesHeldRecords() async throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try Self.open(directory, idleTickMilliseconds: 30)
        defer { ledger.close() }
        let held = try ledger.enqueue(sampleEntry(1), wakingWriter: false)
        try await ledger.waitUntilDurable(held.seq)
        #expect(try readAll(directory.ledgerPath).map(\.seq) == [1])
    }

    @Test("Closing writes and syncs held records")
    func closingWritesHeldRecords() throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try Self.open(directory)
        for index in 1...3 { _ = try ledger.enqueue(sampleEntry(index), wakingWriter: false) }
        ledger.close()
        #expect(try readAll(directory.ledgerPath).map(\.seq) == [1, 2, 3])
    }

    @Test("The line length checked at enqueue is the length the writer encodes, across seq digit counts, types and data sizes")
    func lineLengthMatchesTheEncodedLine() {
        var generator = SeededGenerator(seed: 7)
        let seqs: [UInt64] = [1, 9, 10, 99, 100, 999_999_999, 1_000_000_000, UInt64(Int64.max)]
        for seq in seqs {
            for _ in 0..<20 {
                let type = "t" + String(repeating: "a", count: Int.random(in: 0...63, using: &generator))
                let text = String(repeating: "x", count: Int.random(in: 0...500, using: &generator))
                let entry = LedgerEntry(type: type, data: ["text": .string(text)], time: 1_795_000_000_000_000)
                var line: [UInt8] = []
                LedgerRecordFormat.encodeLine(seq: seq, entry: entry, prev: .zero, into: &line)
                #expect(LedgerRecordFormat.lineLength(seq: seq, typeLength: type.utf8.count, dataLength: entry.canonicalData.count) == line.count,
                        "seq \(seq), type of \(type.utf8.count), data of \(entry.canonicalData.count)")
            }
        }
    }

    @Test("An entry whose line would pass the limit is refused at enqueue: nothing queued, the next entry takes its seq")
    func anOversizedLineIsRefusedBeforeItIsQueued() async throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try Self.open(directory)
        defer { ledger.close() }
        let first = try ledger.enqueue(sampleEntry(1))
        // The data alone fits the line limit; the envelope around it does not.
        let text = String(repeating: "x", count: LedgerRecordFormat.maxLineBytes - 20)
        let oversized = LedgerEntry(type: "grant.created", data: ["t": .string(text)], time: 1_795_000_000_000_000)
        #expect(throws: LedgerError.self) { _ = try ledger.enqueue(oversized) }
        let next = try ledger.enqueue(sampleEntry(2))
        #expect(next.seq == first.seq + 1)
        try await ledger.waitUntilDurable(next.seq)
        #expect(try readAll(directory.ledgerPath).map(\.seq) == [1, 2])
    }

    @Test("Data that is not canonical JSON passes enqueue but poisons the ledger before anything of its commit is written")
    func nonCanonicalDataPoisonsTheLedgerUnwritten() async throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try Self.open(directory)
        let first = try ledger.enqueue(sampleEntry(1))
        try await ledger.waitUntilDurable(first.seq)
        // Keys out of order: delimited as an object (enqueue accepts it) but not canonical.
        let held = try ledger.enqueue(sampleEntry(2), wakingWriter: false)
        let bad = try ledger.enqueue(LedgerEntry(type: "grant.created", canonicalData: Array(#"{"b":1,"a":2}"#.utf8), time: 1_795_000_000_000_000))
        await #expect {
            try await ledger.waitUntilDurable(bad.seq)
        } throws: { error in
            guard case LedgerError.poisoned(let message) = error else { return false }
            return message.contains("record 3") && message.contains("not canonical JSON")
        }
        // The good record of the same commit is not acknowledged either.
        await #expect(throws: LedgerError.self) { try await ledger.waitUntilDurable(held.seq) }
        #expect(throws: LedgerError.self) { _ = try ledger.enqueue(sampleEntry(4)) }
        #expect(ledger.durableSeq == 1)
        ledger.close()
        #expect(try readAll(directory.ledgerPath).map(\.seq) == [1])
    }

    @Test("enqueue refuses a bad envelope at once: type, time, data that is not delimited as an object")
    func enqueueRefusesABadEnvelope() throws {
        let directory = TemporaryDirectory()
        let (ledger, _) = try Self.open(directory)
        defer { ledger.close() }
        let time: Int64 = 1_795_000_000_000_000
        for entry in [LedgerEntry(type: "Grant", canonicalData: Array("{}".utf8), time: time),
                      LedgerEntry(type: "grant", canonicalData: Array("[1]".utf8), time: time),
                      LedgerEntry(type: "grant", canonicalData: Array(#"{"a":1"#.utf8), time: time),
                      LedgerEntry(type: "grant", canonicalData: Array("{}".utf8), time: -1)] {
            #expect(throws: LedgerError.self) { _ = try ledger.enqueue(entry) }
        }
        #expect(ledger.enqueuedSeq == 0)
    }

    @Test("The queue's limit counts the encoded lines waiting: past it an append is refused as overloaded")
    func thePendingLimitCountsEncodedLines() throws {
        let directory = TemporaryDirectory()
        var line: [UInt8] = []
        LedgerRecordFormat.encodeLine(seq: 1, entry: sampleEntry(1), prev: .zero, into: &line)
        // Room for two records' lines (and newlines): the third is refused while they are held.
        let (ledger, _) = try Self.open(directory, maxPendingBytes: 2 * (line.count + 1))
        defer { ledger.close() }
        _ = try ledger.enqueue(sampleEntry(1), wakingWriter: false)
        _ = try ledger.enqueue(sampleEntry(2), wakingWriter: false)
        #expect {
            _ = try ledger.enqueue(sampleEntry(3), wakingWriter: false)
        } throws: { error in
            guard case LedgerError.overloaded = error else { return false }
            return true
        }
        ledger.wakeWriter()
    }

    @Test("An append of many entries counts them all against the limit: past it, none is queued")
    func aManyEntryAppendCountsAllItsLines() throws {
        let directory = TemporaryDirectory()
        var line: [UInt8] = []
        LedgerRecordFormat.encodeLine(seq: 1, entry: sampleEntry(1), prev: .zero, into: &line)
        let (ledger, _) = try Self.open(directory, maxPendingBytes: 3 * (line.count + 1))
        defer { ledger.close() }
        _ = try ledger.enqueue(sampleEntry(1), wakingWriter: false)
        // One line waits; three more would pass the room for three.
        #expect {
            _ = try ledger.enqueue([sampleEntry(2), sampleEntry(3), sampleEntry(4)])
        } throws: { error in
            guard case LedgerError.overloaded(let reason) = error else { return false }
            return reason.contains("this append adds")
        }
        #expect(ledger.enqueuedSeq == 1, "nothing of the refused append was queued")
        #expect(try ledger.enqueue([sampleEntry(2), sampleEntry(3)]).map(\.seq) == [2, 3])
        ledger.wakeWriter()
    }
}
