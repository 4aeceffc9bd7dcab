import Foundation
@testable import PointLedger
import Testing

/// After a power loss in the middle of a group commit, a file system may leave zeros with
/// complete lines after them: the service refuses to open and names `ledger cut`, which cuts
/// only what such a commit can be and keeps a copy.
@Suite("Cutting a commit a power loss left unfinished")
struct UnfinishedCommitCutTests {
    /// 120 records, the newest signed checkpoint at 100, in one segment; its path and lines.
    static func ledger() async throws -> (directory: TemporaryDirectory, segment: String, lines: [[UInt8]]) {
        let directory = try await makeDataDirectory(records: 100, every: 50)
        let store = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: manualCheckpoints)
        try await appendSamples(store, 100..<120)
        store.close()
        let segments = try SegmentDirectory.list(directory.ledgerPath, fileSystem: PosixFileSystem())
        let segment = try #require(segments.last).path
        let lines = Array(try Data(contentsOf: URL(fileURLWithPath: segment))).split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        return (directory, segment, Array(lines.dropLast()))
    }

    static func joined(_ lines: [[UInt8]]) -> [UInt8] {
        lines.flatMap { line -> [UInt8] in line + [UInt8(0x0A)] }
    }

    static func offset(ofSeq seq: Int, in lines: [[UInt8]]) -> Int {
        lines[0..<(seq - 1)].reduce(0) { $0 + $1.count + 1 }
    }

    /// The segment with records `seqs` overwritten by zeros, newlines included: pages of a
    /// commit that never reached the device, with later pages that did.
    static func zeroing(_ seqs: ClosedRange<Int>, in lines: [[UInt8]]) -> [UInt8] {
        var bytes = joined(lines)
        let start = offset(ofSeq: seqs.lowerBound, in: lines)
        let end = offset(ofSeq: seqs.upperBound + 1, in: lines)
        for index in start..<end { bytes[index] = 0 }
        return bytes
    }

    static func openFailure(_ directory: TemporaryDirectory) -> LedgerError? {
        do {
            let store = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: manualCheckpoints)
            store.close()
            return nil
        } catch {
            return error
        }
    }

    @Test("zeros and complete lines after them past the checkpoint: open refuses naming the cut; the cut keeps a copy and the ledger opens at the last record before")
    func cutsAnUnfinishedCommit() async throws {
        let (directory, segment, lines) = try await Self.ledger()
        let damaged = Self.zeroing(111...113, in: lines)
        try Data(damaged).write(to: URL(fileURLWithPath: segment))

        let refusal = try #require(Self.openFailure(directory))
        guard case .corrupt(_, let offset, let seq, let reason) = refusal else { Issue.record("\(refusal)"); return }
        #expect(seq == 111 && offset == Self.offset(ofSeq: 111, in: lines))
        #expect(reason.contains("ledger cut --data-dir DIR --from-seq 111"), "\(reason)")

        #expect(throws: LedgerError.self) { try UnfinishedCommitCut.cut(dataDirectory: directory.path, fromSeq: 112) }
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: segment))) == damaged, "a refused cut changes nothing")

        // A copy an earlier, interrupted attempt left is never written over.
        let segmentName = (segment as NSString).lastPathComponent
        let earlier = directory.path + "/cut-\(segmentName.dropLast(6))-at-\(offset).bin"
        try Data("earlier attempt".utf8).write(to: URL(fileURLWithPath: earlier))
        let outcome = try UnfinishedCommitCut.cut(dataDirectory: directory.path, fromSeq: 111)
        #expect(outcome.copyPath == directory.path + "/cut-\(segmentName.dropLast(6))-at-\(offset)-2.bin")
        #expect(try String(contentsOfFile: earlier, encoding: .utf8) == "earlier attempt")
        #expect(outcome.offset == Int64(offset) && outcome.bytes == Int64(damaged.count - offset))
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: outcome.copyPath))) == Array(damaged[offset...]), "every byte cut is kept")
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: segment))) == Array(damaged[..<offset]))
        let report = try LedgerVerification.verify(dataDirectory: directory.path, publicKey: nil, progress: nil)
        #expect(report.records == 110 && report.lastCheckpointSize == 100)
        #expect(Self.openFailure(directory) == nil)
        #expect(throws: LedgerError.self, "nothing is left to cut") { try UnfinishedCommitCut.cut(dataDirectory: directory.path, fromSeq: 111) }
    }

    @Test("what a commit cut short can't be is refused and left as it is: records a checkpoint covers, bytes without zeros, a wrong seq")
    func refusesWhatIsDamage() async throws {
        let (directory, segment, lines) = try await Self.ledger()
        func expectRefused(_ bytes: [UInt8], fromSeq seq: UInt64, mentioning words: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            try Data(bytes).write(to: URL(fileURLWithPath: segment))
            do {
                _ = try UnfinishedCommitCut.cut(dataDirectory: directory.path, fromSeq: seq)
                Issue.record("the cut was made", sourceLocation: sourceLocation)
            } catch {
                #expect(error.description.contains(words), "\(error)", sourceLocation: sourceLocation)
            }
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: segment))) == bytes, sourceLocation: sourceLocation)
        }
        // More than one commit writes (here 10 bytes and a line): not an unfinished commit.
        do {
            let tooLong = Self.zeroing(111...113, in: lines) + [UInt8](repeating: 0, count: LedgerRecordFormat.maxLineBytes + 100)
            try Data(tooLong).write(to: URL(fileURLWithPath: segment))
            do {
                _ = try UnfinishedCommitCut.cut(dataDirectory: directory.path, fromSeq: 111, maxCommitBytes: 10)
                Issue.record("more than one commit was cut")
            } catch {
                #expect(error.description.contains("more than one commit writes"), "\(error)")
            }
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: segment))) == tooLong)
        }
        // Covered by the checkpoint of size 100: acknowledged.
        let covered = Self.zeroing(95...97, in: lines)
        try expectRefused(covered, fromSeq: 95, mentioning: "covered by the newest signed checkpoint")
        #expect(!(Self.openFailure(directory)?.description.contains("ledger cut") ?? true), "no cut is suggested for covered records")
        // Garbage without zeros was written: damage.
        var garbage = lines
        garbage[110] = Array("not a record".utf8)
        try expectRefused(Self.joined(garbage), fromSeq: 111, mentioning: "hold no zero bytes")
        // An intact ledger has nothing to cut.
        try expectRefused(Self.joined(lines), fromSeq: 111, mentioning: "no damage to cut")
        // The seq must be where the damage starts.
        try expectRefused(Self.zeroing(111...113, in: lines), fromSeq: 115, mentioning: "the damage starts at seq 111")
    }

    @Test("an incomplete last line longer than a record's line is not taken for a torn line")
    func overlongIncompleteTail() async throws {
        let (directory, segment, lines) = try await Self.ledger()
        let zeros = [UInt8](repeating: 0, count: LedgerRecordFormat.maxLineBytes + 1)
        try Data(Self.joined(lines) + zeros).write(to: URL(fileURLWithPath: segment))
        let refusal = try #require(Self.openFailure(directory))
        #expect(refusal.description.contains("longer than one record's line can be") && refusal.description.contains("--from-seq 121"), "\(refusal)")
        let outcome = try UnfinishedCommitCut.cut(dataDirectory: directory.path, fromSeq: 121)
        #expect(outcome.bytes == Int64(zeros.count))
        #expect(Self.openFailure(directory) == nil)
    }

    @Test("a copy that can't be written whole is removed, and nothing is cut")
    func aFailedCopyIsRemoved() async throws {
        let (directory, segment, lines) = try await Self.ledger()
        let damaged = Self.zeroing(111...113, in: lines)
        try Data(damaged).write(to: URL(fileURLWithPath: segment))
        let full = FaultInjectingFileSystem(faults: [.writeError(onCall: 1, errno: ENOSPC)])
        #expect(throws: LedgerError.self) { try UnfinishedCommitCut.cut(dataDirectory: directory.path, fromSeq: 111, fileSystem: full) }
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("cut-") }
        #expect(left.isEmpty, "\(left)")
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: segment))) == damaged)
        #expect(try UnfinishedCommitCut.cut(dataDirectory: directory.path, fromSeq: 111).copyPath.hasSuffix("-at-\(Self.offset(ofSeq: 111, in: lines)).bin"))
    }
}
