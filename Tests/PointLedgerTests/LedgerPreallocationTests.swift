import Foundation
import Testing
@testable import PointLedger

/// The zero bytes the writer puts ahead of its records in the newest segment: present while the
/// ledger runs, gone after a clean close, removed by the next open after a crash, and never
/// changing what counts as a record, a torn tail or damage.
@Suite struct LedgerPreallocationTests {
    static let step = 64 << 10

    func bytes(_ path: String) throws -> [UInt8] {
        try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func firstSegment(_ directory: TemporaryDirectory) -> String {
        directory.ledgerPath + "/" + SegmentDirectory.fileName(firstSeq: 1)
    }

    /// Where the records end: just after the last newline.
    func recordsEnd(_ bytes: [UInt8]) -> Int {
        (bytes.lastIndex(of: 0x0A) ?? -1) + 1
    }

    @Test func whileOpenTheNewestSegmentEndsInZerosAndACleanCloseRemovesThem() async throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.open(directory: directory.ledgerPath, options: LedgerOptions(preallocationBytes: Self.step))
        _ = try await ledger.append((1...10).map { sampleEntry($0) })
        _ = try await ledger.append((11...20).map { sampleEntry($0) })
        let whileOpen = try bytes(firstSegment(directory))
        let end = recordsEnd(whileOpen)
        #expect(whileOpen.count == Self.step)
        #expect(end > 20 * 200 && whileOpen[end...].allSatisfy { $0 == 0 })
        // Readers stop at the records: nothing torn, nothing missing.
        var summary = ScanSummary()
        var seen = 0
        summary = try LedgerScanner(directory: directory.ledgerPath).scan(repairTornTail: false) { (_, _) throws(LedgerError) in seen += 1 }
        #expect(seen == 20 && summary.tornTail == nil && summary.lastSegmentBytes == Int64(end))
        ledger.close()
        #expect(try bytes(firstSegment(directory)) == Array(whileOpen[..<end]))
    }

    @Test func preallocationGrowsInStepsAndNeverPastTheSegmentLimit() async throws {
        let directory = TemporaryDirectory()
        let options = LedgerOptions(maxSegmentBytes: 4_096, preallocationBytes: Self.step)
        let ledger = try Ledger.open(directory: directory.ledgerPath, options: options)
        for index in 1...40 { _ = try await ledger.append([sampleEntry(index)]) }
        let files = try segmentFiles(directory.ledgerPath)
        #expect(files.count >= 3)
        for (position, file) in files.enumerated() {
            let content = try bytes(directory.ledgerPath + "/" + file)
            if position == files.count - 1 {
                #expect(content.count == 4_096, "the newest segment is preallocated up to the limit")
            } else {
                #expect(content.last == 0x0A && !content.contains(0) && content.count <= 4_096, "finished segment \(file)")
            }
        }
        ledger.close()
        #expect(try readAll(directory.ledgerPath).map(\.seq) == Array(1...40))

        // Past one step, the next commit takes another.
        let large = TemporaryDirectory()
        let growing = try Ledger.open(directory: large.ledgerPath, options: LedgerOptions(preallocationBytes: 4_096))
        _ = try await growing.append((1...30).map { sampleEntry($0) })
        let grown = try bytes(firstSegment(large))
        #expect(grown.count % 4_096 == 0 && grown.count > 4_096 && grown.count - recordsEnd(grown) < 4_096)
        growing.close()
    }

    @Test func aCrashLeavesZerosThatTheNextOpenRemoves() async throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.open(directory: directory.ledgerPath, options: LedgerOptions(preallocationBytes: Self.step))
        _ = try await ledger.append((1...12).map { sampleEntry($0) })
        // The files as a crash would leave them: the records, then the zero bytes.
        let crashed = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: crashed.ledgerPath, withIntermediateDirectories: true)
        let image = try bytes(firstSegment(directory))
        ledger.close()
        try write(image, to: firstSegment(crashed))
        let end = recordsEnd(image)
        #expect(image.count == Self.step && end < image.count)

        // A read-only scan and both verifiers see the twelve records and no torn tail.
        #expect(try readAll(crashed.ledgerPath).count == 12)
        let report = try LedgerVerification.verify(dataDirectory: crashed.path, publicKey: nil, progress: nil)
        #expect(report.records == 12 && report.tornTail == nil)
        let sequential = try LedgerVerification.verifySequentially(dataDirectory: crashed.path, publicKey: nil, progress: nil)
        #expect(sequential == report)

        var logged: [String] = []
        let reopened = try Ledger.open(directory: crashed.ledgerPath, options: LedgerOptions(preallocationBytes: 0), log: { logged.append($0) })
        #expect(reopened.durableSeq == 12 && logged.isEmpty)
        #expect(try bytes(firstSegment(crashed)) == Array(image[..<end]), "opening removed the zero bytes and nothing else")
        _ = try await reopened.append([sampleEntry(13)])
        reopened.close()
        #expect(try readAll(crashed.ledgerPath).map(\.seq) == Array(1...13))

        // The repairing scan reports what it removed.
        try write(image, to: firstSegment(crashed))
        let summary = try LedgerScanner(directory: crashed.ledgerPath).scan(repairTornTail: true) { (_, _) throws(LedgerError) in }
        #expect(summary.removedPreallocationBytes == Int64(image.count - end) && summary.tornTail == nil)
    }

    /// Every cut of the last records, followed by zero bytes (fewer than, and more than, one read
    /// chunk of ``SegmentTail``), opens exactly as the same cut without them does.
    @Test(arguments: [1, SegmentTail.chunkBytes + 17])
    func tornWritesFollowedByZerosKeepExactlyTheCompletePrefix(zeros: Int) async throws {
        let source = TemporaryDirectory()
        let ledger = try Ledger.open(directory: source.ledgerPath)
        _ = try await ledger.append((1...4).map { sampleEntry($0) })
        ledger.close()
        let original = try bytes(firstSegment(source))
        let lineEnds = original.indices.filter { original[$0] == 0x0A }.map { $0 + 1 }
        for cut in stride(from: lineEnds[1], through: original.count, by: 7) + [lineEnds[2], lineEnds[3] - 1] {
            let copy = TemporaryDirectory()
            try FileManager.default.createDirectory(atPath: copy.ledgerPath, withIntermediateDirectories: true)
            try write(Array(original[0..<cut]) + [UInt8](repeating: 0, count: zeros), to: firstSegment(copy))
            var logged: [String] = []
            let reopened = try Ledger.open(directory: copy.ledgerPath, log: { logged.append($0) })
            let complete = UInt64(lineEnds.filter { $0 <= cut }.count)
            #expect(reopened.durableSeq == complete, "cut at \(cut)")
            #expect(logged.isEmpty == lineEnds.contains(cut), "cut at \(cut): \(logged)")
            reopened.close()
            #expect(try bytes(firstSegment(copy)) == Array(original[0..<(lineEnds.last { $0 <= cut } ?? 0)]), "cut at \(cut)")
        }
    }

    @Test func aGarbledCompleteLastLineBeforeZerosIsStillDamage() async throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.open(directory: directory.ledgerPath)
        _ = try await ledger.append((1...3).map { sampleEntry($0) })
        ledger.close()
        var garbled = try bytes(firstSegment(directory))
        garbled[garbled.count - 5] = UInt8(ascii: "#")
        let image = garbled + [UInt8](repeating: 0, count: 5_000)
        try write(image, to: firstSegment(directory))
        #expect {
            try Ledger.open(directory: directory.ledgerPath)
        } throws: { error in
            guard case LedgerError.corrupt(_, _, let seq, let reason) = error else { return false }
            return seq == 3 && reason.contains("not a torn write")
        }
        #expect(try bytes(firstSegment(directory)) == image, "a refused open changes nothing")
    }

    @Test func zerosAtTheEndOfASegmentThatIsNotTheNewestAreDamage() async throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.open(directory: directory.ledgerPath, options: LedgerOptions(maxSegmentBytes: 2_000))
        _ = try await ledger.append((1...20).map { sampleEntry($0) })
        ledger.close()
        let files = try segmentFiles(directory.ledgerPath)
        #expect(files.count >= 3)
        let path = directory.ledgerPath + "/" + files[1]
        let original = try bytes(path)
        try write(original + [UInt8](repeating: 0, count: 100), to: path)
        #expect {
            try Ledger.open(directory: directory.ledgerPath)
        } throws: { error in
            guard case LedgerError.corrupt(let file, let offset, _, let reason) = error else { return false }
            return file == files[1] && offset == original.count && reason.contains("incomplete")
        }
        #expect(throws: LedgerError.self) { try LedgerVerification.verify(dataDirectory: directory.path, publicKey: nil, progress: nil) }
    }

    @Test func whenTheZerosCannotBeWrittenRecordsAreAppendedAsWithout() async throws {
        let directory = TemporaryDirectory()
        // The first write (the zero bytes) falls short; the rest append past them.
        let faults = FaultInjectingFileSystem(faults: [.shortWrite(onCall: 1, maxBytes: 100)])
        let ledger = try Ledger.open(directory: directory.ledgerPath, options: LedgerOptions(preallocationBytes: Self.step), fileSystem: faults)
        _ = try await ledger.append((1...5).map { sampleEntry($0) })
        _ = try await ledger.append((6...9).map { sampleEntry($0) })
        ledger.close()
        let content = try bytes(firstSegment(directory))
        #expect(content.last == 0x0A && !content.contains(0))
        #expect(try readAll(directory.ledgerPath).map(\.seq) == Array(1...9))
    }
}
