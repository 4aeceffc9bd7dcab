import Foundation
import Testing
import PointCrypto
import PointJSON
@testable import PointLedger

@Suite struct LedgerDurabilityTests {
    @Test func appendsReopensAndReplaysTheSameRecords() async throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.open(directory: directory.ledgerPath)
        let appended = try await ledger.append((1...25).map { sampleEntry($0) })
        #expect(appended.map(\.seq) == Array(1...25))
        #expect(ledger.durableSeq == 25)
        let written = ledger.durableLeafHashes()
        ledger.close()

        var replayed: [(seq: UInt64, time: Int64, type: String, data: [UInt8])] = []
        let reopened = try Ledger.open(directory: directory.ledgerPath, replay: { (record) throws(LedgerError) in
            replayed.append((record.seq, record.time, record.type, Array(record.data)))
        })
        let stored = try readAll(directory.ledgerPath)
        #expect(replayed.count == 25)
        #expect(replayed.map(\.seq) == appended.map(\.seq))
        #expect(replayed.map(\.time) == appended.map(\.time))
        #expect(replayed.map(\.type) == stored.map(\.type))
        #expect(replayed.map(\.data) == stored.map { CanonicalJSON.encode($0.data) })
        // The writer hashed the lines it wrote, and the reopened ledger rebuilt the same leaves from the files.
        #expect(written == stored.map(\.leafHash))
        #expect(reopened.durableLeafHashes() == written)
        let more = try await reopened.append([sampleEntry(26)])
        #expect(more.first?.seq == 26)
        reopened.close()
        #expect(try readAll(directory.ledgerPath).count == 26)
    }

    @Test("Records that share a time and records whose times change (or go back and are raised) each carry their own time")
    func eachRecordCarriesItsTime() async throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.open(directory: directory.ledgerPath)
        let base: Int64 = 1_795_000_000_000_000
        let times: [Int64] = [base, base, base + 1, base + 1, base - 5, base + 999_999, base + 1_000_000, base + 1_000_000, base + 86_400_000_000]
        var appended: [AppendedRecord] = []
        for time in times {
            appended.append(try ledger.enqueue(sampleEntry(0, time: time)))   // index 0: the entry's time is `time`
        }
        try await ledger.waitUntilDurable(appended[appended.count - 1].seq)
        ledger.close()
        // Time never goes back: the fifth is raised to the fourth's.
        #expect(appended.map(\.time) == [base, base, base + 1, base + 1, base + 1, base + 999_999, base + 1_000_000, base + 1_000_000, base + 86_400_000_000])
        let stored = try readAll(directory.ledgerPath)
        #expect(stored.map(\.time) == appended.map(\.time))
        for record in stored {
            var expected: [UInt8] = []
            LedgerTime.append(record.time, to: &expected)
            let line = String(decoding: record.line, as: UTF8.self)
            #expect(line.contains("\"time\":\"\(String(decoding: expected, as: UTF8.self))\""), "\(line)")
        }
    }

    @Test func aReplayThatFailsStopsTheOpenWithItsErrorAndChangesNothing() async throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.open(directory: directory.ledgerPath, options: LedgerOptions(maxSegmentBytes: 2_000))
        _ = try await ledger.append((1...40).map { sampleEntry($0) })
        ledger.close()
        let before = try readAll(directory.ledgerPath)
        var seen: [UInt64] = []
        #expect(throws: LedgerError.invalidEntry("record 23 refused")) {
            _ = try Ledger.open(directory: directory.ledgerPath, replay: { (record) throws(LedgerError) in
                if record.seq == 23 { throw LedgerError.invalidEntry("record 23 refused") }
                seen.append(record.seq)
            })
        }
        #expect(seen == Array(1...22))
        #expect(try readAll(directory.ledgerPath) == before)
        // The directory lock was released: the ledger opens again.
        let reopened = try Ledger.open(directory: directory.ledgerPath)
        #expect(reopened.durableSeq == 40)
        reopened.close()
    }

    @Test func recordTimesNeverGoBackwards() async throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.open(directory: directory.ledgerPath)
        let appended = try await ledger.append([sampleEntry(1, time: 2_000_000), sampleEntry(2, time: 1_000_000)])
        #expect(appended[1].time >= appended[0].time)
        ledger.close()
    }

    @Test func secondOpenOfTheSameDirectoryIsRefused() throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.open(directory: directory.ledgerPath)
        #expect(throws: LedgerError.locked(directory.ledgerPath)) { try Ledger.open(directory: directory.ledgerPath) }
        ledger.close()
    }

    @Test func concurrentAppendersGetGaplessUniqueSeqs() async throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.open(directory: directory.ledgerPath)
        let results = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for appender in 0..<64 {
                group.addTask {
                    var seqs: [UInt64] = []
                    for round in 0..<20 {
                        let records = try await ledger.append([sampleEntry(appender * 1000 + round)])
                        seqs.append(contentsOf: records.map(\.seq))
                    }
                    return seqs
                }
            }
            var all: [UInt64] = []
            for try await seqs in group { all.append(contentsOf: seqs) }
            return all
        }
        #expect(results.sorted() == Array(1...1280))
        ledger.close()
        let records = try readAll(directory.ledgerPath)
        #expect(records.map(\.seq) == Array(1...1280))
        let orderIds = Set(records.compactMap { $0.data["orderId"]?.stringValue })
        #expect(orderIds.count == 1280)
    }

    @Test func rotatesSegmentsAndKeepsTheChainAcrossThem() async throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.open(directory: directory.ledgerPath, options: LedgerOptions(maxSegmentBytes: 2_000))
        for index in 1...40 { _ = try await ledger.append([sampleEntry(index)]) }
        ledger.close()
        let files = try segmentFiles(directory.ledgerPath)
        #expect(files.count > 5)
        #expect(files.first == "00000000000000000001.jsonl")
        let reopened = try Ledger.open(directory: directory.ledgerPath, options: LedgerOptions(maxSegmentBytes: 2_000))
        #expect(reopened.durableSeq == 40)
        _ = try await reopened.append([sampleEntry(41)])
        reopened.close()
        let records = try readAll(directory.ledgerPath)
        #expect(records.map(\.seq) == Array(1...41))
        for (index, name) in try segmentFiles(directory.ledgerPath).enumerated() {
            let size = try FileManager.default.attributesOfItem(atPath: directory.ledgerPath + "/" + name)[.size] as? Int ?? 0
            #expect(size <= 2_000 || index == 0, "segment \(name) is \(size) bytes")
        }
    }

    /// Cuts the newest segment at every byte offset inside its last records: reopening keeps
    /// exactly the complete prefix and the ledger accepts appends again.
    @Test func tornWritesLeaveExactlyTheCompletePrefix() async throws {
        let source = TemporaryDirectory()
        let ledger = try Ledger.open(directory: source.ledgerPath)
        _ = try await ledger.append((1...6).map { sampleEntry($0) })
        ledger.close()
        let segmentPath = source.ledgerPath + "/" + SegmentDirectory.fileName(firstSeq: 1)
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segmentPath)))
        let lineEnds = original.indices.filter { original[$0] == 0x0A }.map { $0 + 1 }
        let cutFrom = lineEnds[2] // inside records 4, 5 and 6
        for cut in cutFrom...original.count {
            let copy = TemporaryDirectory()
            try FileManager.default.createDirectory(atPath: copy.ledgerPath, withIntermediateDirectories: true)
            try Data(original[0..<cut]).write(to: URL(fileURLWithPath: copy.ledgerPath + "/" + SegmentDirectory.fileName(firstSeq: 1)))
            var logged: [String] = []
            let reopened = try Ledger.open(directory: copy.ledgerPath, log: { logged.append($0) })
            let complete = UInt64(lineEnds.filter { $0 <= cut }.count)
            #expect(reopened.durableSeq == complete, "cut at \(cut)")
            #expect(logged.isEmpty == lineEnds.contains(cut), "cut at \(cut): \(logged)")
            let next = try await reopened.append([sampleEntry(99)])
            #expect(next.first?.seq == complete + 1)
            reopened.close()
            #expect(try readAll(copy.ledgerPath).count == Int(complete) + 1)
        }
    }

    /// A complete last line with unwritten (zero) bytes is a torn write and is cut off, unless a
    /// checkpoint covers it; a complete bad last line without them was written whole and may have
    /// been acknowledged, so it is never cut off.
    @Test func aLastLineWithUnwrittenBytesIsTruncatedButAGarbledCompleteOneIsRefused() async throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.open(directory: directory.ledgerPath)
        _ = try await ledger.append((1...3).map { sampleEntry($0) })
        ledger.close()
        let path = directory.ledgerPath + "/" + SegmentDirectory.fileName(firstSeq: 1)
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))

        var garbled = original
        garbled[garbled.count - 5] = UInt8(ascii: "#")
        try Data(garbled).write(to: URL(fileURLWithPath: path))
        for protectedSeq: UInt64 in [0, 3] {
            #expect {
                try Ledger.open(directory: directory.ledgerPath, protectedSeq: protectedSeq)
            } throws: { error in
                guard case LedgerError.corrupt(_, _, let seq, let reason) = error else { return false }
                return seq == 3 && reason.contains("not a torn write")
            }
        }
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == garbled, "a refused open changes nothing")

        var unwritten = original
        let lastLineStart = (unwritten.dropLast().lastIndex(of: 0x0A) ?? -1) + 1
        for offset in (lastLineStart + 20)..<(lastLineStart + 60) { unwritten[offset] = 0 }
        try Data(unwritten).write(to: URL(fileURLWithPath: path))
        #expect {
            try Ledger.open(directory: directory.ledgerPath, protectedSeq: 3)
        } throws: { error in
            guard case LedgerError.corrupt(_, _, let seq, let reason) = error else { return false }
            return seq == 3 && reason.contains("covered by signed checkpoint")
        }
        var log: [String] = []
        let reopened = try Ledger.open(directory: directory.ledgerPath, protectedSeq: 2, log: { log.append($0) })
        #expect(reopened.durableSeq == 2)
        #expect(log.count == 1 && log[0].contains("unwritten (zero) bytes"))
        reopened.close()
    }

    /// Flips one byte anywhere before the last line: open refuses and names the damaged record.
    @Test func corruptionRefusesToOpenAndNamesTheSeq() async throws {
        let source = TemporaryDirectory()
        let ledger = try Ledger.open(directory: source.ledgerPath)
        _ = try await ledger.append((1...30).map { sampleEntry($0) })
        ledger.close()
        let name = SegmentDirectory.fileName(firstSeq: 1)
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: source.ledgerPath + "/" + name)))
        let lineStarts = [0] + original.indices.filter { original[$0] == 0x0A }.map { $0 + 1 }
        var generator = SeededGenerator(seed: 42)
        let lastLineStart = lineStarts[lineStarts.count - 2]
        for _ in 0..<60 {
            let offset = Int.random(in: 0..<lastLineStart, using: &generator)
            var damaged = original
            damaged[offset] ^= UInt8.random(in: 1...255, using: &generator)
            let copy = TemporaryDirectory()
            try FileManager.default.createDirectory(atPath: copy.ledgerPath, withIntermediateDirectories: true)
            try Data(damaged).write(to: URL(fileURLWithPath: copy.ledgerPath + "/" + name))
            let damagedLine = lineStarts.lastIndex { $0 <= offset } ?? 0
            #expect {
                try Ledger.open(directory: copy.ledgerPath)
            } throws: { error in
                guard case LedgerError.corrupt(let file, _, let seq, _) = error else { return false }
                // A flip inside a line breaks that line, or (for a flip that still parses) the chain at the next one.
                return file == name && (seq == UInt64(damagedLine + 1) || seq == UInt64(damagedLine + 2))
            }
        }
    }
}
