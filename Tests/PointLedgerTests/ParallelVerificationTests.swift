import Foundation
import PointCrypto
import Testing
@testable import PointLedger

/// One segment file's lines (without their newlines).
private struct SegmentText {
    let path: String
    let name: String
    let firstSeq: UInt64
    var lines: [String]

    /// Byte offset of line `index` (0-based) in the file.
    func offset(of index: Int) -> Int {
        lines[0..<index].reduce(0) { $0 + $1.utf8.count + 1 }
    }

    func save(trailing: String = "") throws {
        let text = lines.map { $0 + "\n" }.joined() + trailing
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

private func loadSegments(_ directory: TemporaryDirectory) throws -> [SegmentText] {
    try SegmentDirectory.list(directory.ledgerPath, fileSystem: PosixFileSystem()).map { segment in
        var lines = try String(contentsOfFile: segment.path, encoding: .utf8).components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return SegmentText(path: segment.path, name: segment.name, firstSeq: segment.firstSeq, lines: lines)
    }
}

/// The line with its record's content changed (still a well-formed record, so only the chain,
/// or the root, can tell).
private func altered(_ line: String) -> String {
    line.replacingOccurrences(of: "\"points\":", with: "\"points\":9")
}

/// A line (preferably the second; not the last of the segment) whose record is not the last one of a
/// checkpoint (sizes are multiples of 50), so altering it breaks the next record's link first.
private func alterableLine(_ segment: SegmentText) -> Int {
    ([1] + Array(0..<(segment.lines.count - 1))).first { $0 < segment.lines.count - 1 && (segment.firstSeq + UInt64($0)) % 50 != 0 }!
}

/// A closed data directory of `records` records in segments of about 4 KiB (a dozen records
/// each), signed every `every` records.
private func makeSegmentedDirectory(records: Int = 300, every: Int = 50) async throws -> TemporaryDirectory {
    try await makeDataDirectory(records: records, every: every, options: LedgerOptions(maxSegmentBytes: 4_096))
}

private typealias Outcome = Result<VerificationReport, LedgerError>

private func outcome(_ body: () throws(LedgerError) -> VerificationReport) -> Outcome {
    do { return .success(try body()) } catch { return .failure(error) }
}

/// Runs the single-threaded reference and the pipelined verifier with 1, 2 and 3 workers;
/// expects every run to agree exactly and returns the reference's outcome.
@discardableResult
private func expectSameAsReference(_ directory: TemporaryDirectory, sourceLocation: SourceLocation = #_sourceLocation) -> Outcome {
    let reference = outcome { () throws(LedgerError) in
        try LedgerVerification.verifySequentially(dataDirectory: directory.path, publicKey: nil, progress: nil)
    }
    for workers in [1, 2, 3] {
        let parallel = outcome { () throws(LedgerError) in
            try LedgerVerification.verify(dataDirectory: directory.path, publicKey: nil, workers: workers, progress: nil)
        }
        #expect(parallel == reference, "workers: \(workers)", sourceLocation: sourceLocation)
    }
    let publicDefault = outcome { () throws(LedgerError) in
        try LedgerVerification.verify(dataDirectory: directory.path, publicKey: nil, progress: nil)
    }
    #expect(publicDefault == reference, sourceLocation: sourceLocation)
    return reference
}

/// Expects `outcome` to be damage named by file, offset and seq, with `word` in the reason.
private func expectCorrupt(_ outcome: Outcome, file: String, offset: Int, seq: UInt64, mentioning word: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    guard case .failure(.corrupt(let badFile, let badOffset, let badSeq, let reason)) = outcome else {
        Issue.record("expected damage in \(file) at \(offset) (seq \(seq)), got \(outcome)", sourceLocation: sourceLocation)
        return
    }
    #expect(badFile == file && badOffset == offset && badSeq == seq, "\(badFile) \(badOffset) \(badSeq)", sourceLocation: sourceLocation)
    #expect(reason.contains(word), "\(reason)", sourceLocation: sourceLocation)
}

@Suite("Verification on worker threads: same results as the single-threaded pass")
struct ParallelVerificationTests {
    @Test("a clean multi-segment ledger: same report, root and checkpoints")
    func clean() async throws {
        let directory = try await makeSegmentedDirectory()
        let segments = try loadSegments(directory)
        #expect(segments.count > 15)
        guard case .success(let report) = expectSameAsReference(directory) else { Issue.record("verification failed"); return }
        #expect(report.records == 300 && report.lastSeq == 300 && report.segments == segments.count && report.checkpointsVerified == 6)
        let ledger = try Ledger.open(directory: directory.ledgerPath)
        #expect(report.root == (try ledger.root(size: 300)))
        ledger.close()
    }

    @Test("an empty data directory, and one with a single segment")
    func smallLedgers() async throws {
        let empty = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: empty.ledgerPath, withIntermediateDirectories: true)
        guard case .success(let report) = expectSameAsReference(empty) else { Issue.record("verification failed"); return }
        #expect(report.records == 0 && report.root == MerkleHashing.emptyRoot)

        let single = try await makeDataDirectory(records: 30, every: 10)
        expectSameAsReference(single)
    }

    @Test("an altered record in the first, a middle or the last segment is named by the next record's seq, file and offset")
    func alteredRecords() async throws {
        // 305 records leave several in the newest segment (a broken link on its very last line
        // would be a torn tail, not damage).
        let directory = try await makeSegmentedDirectory(records: 305)
        let original = try loadSegments(directory)
        for segmentIndex in [0, original.count / 2, original.count - 1] {
            var segments = original
            var segment = segments[segmentIndex]
            #expect(segment.lines.count > 2)
            let line = alterableLine(segment)
            segment.lines[line] = altered(segment.lines[line])
            try segment.save()
            segments[segmentIndex] = segment
            expectCorrupt(expectSameAsReference(directory), file: segment.name, offset: segment.offset(of: line + 1),
                          seq: segment.firstSeq + UInt64(line) + 1, mentioning: "hash chain is broken")
            try original[segmentIndex].save()
        }
        expectSameAsReference(directory)
    }

    @Test("an altered last record of a segment breaks the link to the next segment's first record")
    func crossSegmentLink() async throws {
        let directory = try await makeSegmentedDirectory()
        let segments = try loadSegments(directory)
        let candidates = (0..<(segments.count - 1)).filter { (segments[$0 + 1].firstSeq - 1) % 50 != 0 }
        for index in [candidates[0], candidates[candidates.count / 2], candidates[candidates.count - 1]] {
            var segment = segments[index]
            segment.lines[segment.lines.count - 1] = altered(segment.lines[segment.lines.count - 1])
            try segment.save()
            let next = segments[index + 1]
            expectCorrupt(expectSameAsReference(directory), file: next.name, offset: 0, seq: next.firstSeq,
                          mentioning: "seq \(next.firstSeq - 1) or this record was altered")
            try segments[index].save()
        }
    }

    @Test("a seq gap between segments: a missing last record, a renumbered first record, a missing segment")
    func seqGaps() async throws {
        let directory = try await makeSegmentedDirectory()
        let segments = try loadSegments(directory)

        // The last record of segment 3 is gone: segment 4's name promises a seq that does not follow.
        var shortened = segments[3]
        shortened.lines.removeLast()
        try shortened.save()
        expectCorrupt(expectSameAsReference(directory), file: segments[4].name, offset: 0, seq: segments[4].firstSeq - 1,
                      mentioning: "segment starts at seq \(segments[4].firstSeq)")
        try segments[3].save()

        // Segment 8's first record claims the next seq but one.
        var renumbered = segments[8]
        let seq = renumbered.firstSeq
        renumbered.lines[0] = renumbered.lines[0].replacingOccurrences(of: "{\"seq\":\(seq),", with: "{\"seq\":\(seq + 1),")
        try renumbered.save()
        expectCorrupt(expectSameAsReference(directory), file: renumbered.name, offset: 0, seq: seq,
                      mentioning: "seq \(seq + 1) follows seq \(seq - 1)")
        try segments[8].save()

        // A whole middle segment is missing.
        try FileManager.default.removeItem(atPath: segments[6].path)
        expectCorrupt(expectSameAsReference(directory), file: segments[7].name, offset: 0, seq: segments[6].firstSeq,
                      mentioning: "a segment is missing")
        try segments[6].save()
        expectSameAsReference(directory)
    }

    @Test("with damage in two segments the earlier one is reported, whichever worker finds it first")
    func earliestProblemWins() async throws {
        let directory = try await makeSegmentedDirectory()
        let segments = try loadSegments(directory)

        // An altered record in segment 4 and garbage at the start of segment 5.
        var earlier = segments[4]
        let line = alterableLine(earlier)
        earlier.lines[line] = altered(earlier.lines[line])
        try earlier.save()
        var later = segments[5]
        later.lines[0] = "garbage"
        try later.save()
        expectCorrupt(expectSameAsReference(directory), file: earlier.name, offset: earlier.offset(of: line + 1),
                      seq: earlier.firstSeq + UInt64(line) + 1, mentioning: "hash chain")

        // Garbage in the middle of segment 6 and a broken link into segment 12: segment 6 wins.
        try segments[4].save()
        try segments[5].save()
        var garbled = segments[6]
        garbled.lines[3] = garbled.lines[3].replacingOccurrences(of: "\"time\"", with: "\"tijd\"")
        try garbled.save()
        let breakAt = (11..<(segments.count - 1)).first { (segments[$0 + 1].firstSeq - 1) % 50 != 0 }!
        var linkBreak = segments[breakAt]
        linkBreak.lines[linkBreak.lines.count - 1] = altered(linkBreak.lines[linkBreak.lines.count - 1])
        try linkBreak.save()
        expectCorrupt(expectSameAsReference(directory), file: garbled.name, offset: garbled.offset(of: 3),
                      seq: garbled.firstSeq + 3, mentioning: "expected")
        try segments[6].save()
        expectCorrupt(expectSameAsReference(directory), file: segments[breakAt + 1].name, offset: 0, seq: segments[breakAt + 1].firstSeq,
                      mentioning: "hash chain")
        try segments[breakAt].save()
        expectSameAsReference(directory)
    }

    @Test("a checkpoint whose size falls before the damage fails first; damage before a checkpoint's size wins")
    func checkpointsAndDamageInOrder() async throws {
        let directory = try await makeSegmentedDirectory()
        let segments = try loadSegments(directory)
        // Alter record 50 (the first checkpoint's last record): its root fails before record 51's chain.
        guard let index = segments.lastIndex(where: { $0.firstSeq <= 50 }) else { Issue.record("no segment"); return }
        var segment = segments[index]
        let line = Int(50 - segment.firstSeq)
        segment.lines[line] = altered(segment.lines[line])
        try segment.save()
        let result = expectSameAsReference(directory)
        guard case .failure(.checkpointInvalid(let checkpointLine, let size, let reason)) = result else {
            Issue.record("expected a checkpoint failure, got \(result)")
            return
        }
        #expect(checkpointLine == 1 && size == 50 && reason.contains("differs from the root of records 1…50"))

        // Record 49 instead: record 50's link breaks before the checkpoint of size 50 is reached.
        try segments[index].save()
        var earlier = try loadSegments(directory)
        guard let index49 = earlier.lastIndex(where: { $0.firstSeq <= 49 }) else { Issue.record("no segment"); return }
        let line49 = Int(49 - earlier[index49].firstSeq)
        earlier[index49].lines[line49] = altered(earlier[index49].lines[line49])
        try earlier[index49].save()
        let owner = earlier.lastIndex(where: { $0.firstSeq <= 50 })!
        let offset = earlier[owner].firstSeq == 50 ? 0 : earlier[owner].offset(of: Int(50 - earlier[owner].firstSeq))
        expectCorrupt(expectSameAsReference(directory), file: earlier[owner].name, offset: offset, seq: 50, mentioning: "hash chain")
    }

    @Test("torn and damaged tails of the newest segment; an empty segment that is not the newest")
    func tails() async throws {
        let directory = try await makeSegmentedDirectory()
        let segments = try loadSegments(directory)
        let last = segments[segments.count - 1]

        // An incomplete last line is a torn tail (the checkpoint of size 300 still verifies).
        try last.save(trailing: "{\"seq\":301,\"ti")
        guard case .success(let torn) = expectSameAsReference(directory) else { Issue.record("verification failed"); return }
        #expect(torn.tornTail?.seq == 301 && torn.tornTail?.file == last.name && torn.records == 300)

        // A complete last line holding unwritten (zero) bytes, likewise.
        try last.save(trailing: "{\"seq\":301,\u{0}\u{0}\u{0}\u{0}}\n")
        guard case .success(let unwritten) = expectSameAsReference(directory) else { Issue.record("verification failed"); return }
        #expect(unwritten.tornTail?.offset == Int64(last.offset(of: last.lines.count)) && unwritten.records == 300)

        // A complete unparsable last line without them was written whole: damage.
        try last.save(trailing: "not a record\n")
        expectCorrupt(expectSameAsReference(directory), file: last.name, offset: last.offset(of: last.lines.count),
                      seq: 301, mentioning: "not a torn write")

        // Garbage followed by a record is damage.
        try last.save(trailing: "not a record\n" + last.lines[0] + "\n")
        expectCorrupt(expectSameAsReference(directory), file: last.name, offset: last.offset(of: last.lines.count),
                      seq: 301, mentioning: "expected")
        try last.save()

        // A newest segment holding only one record whose link is broken: damage too, the record
        // parsed (compared without the checkpoints, which no longer match).
        try FileManager.default.removeItem(atPath: directory.path + "/" + CheckpointLog.fileName)
        var single = last
        single.lines = [last.lines[0]]
        try single.save()
        var previous = segments[segments.count - 2]
        previous.lines[previous.lines.count - 1] = altered(previous.lines[previous.lines.count - 1])
        try previous.save()
        expectCorrupt(expectSameAsReference(directory), file: last.name, offset: 0, seq: last.firstSeq, mentioning: "not a torn write")
        try segments[segments.count - 2].save()
        try last.save()

        // An empty segment that is not the newest.
        try "".write(toFile: segments[3].path, atomically: true, encoding: .utf8)
        expectCorrupt(expectSameAsReference(directory), file: segments[3].name, offset: 0, seq: segments[3].firstSeq,
                      mentioning: "empty but is not the newest")
    }

    @Test("progress is reported at the same records and bytes")
    func progress() throws {
        // Written directly (no store): 70,000 records of about 300 bytes in 1 MiB segments.
        let directory = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.ledgerPath, withIntermediateDirectories: true)
        var prev = SHA256Digest.zero
        var line: [UInt8] = []
        var file: [UInt8] = []
        var firstSeq: UInt64 = 1
        for seq in UInt64(1)...70_000 {
            LedgerRecordFormat.encodeLine(seq: seq, entry: sampleEntry(Int(seq)), prev: prev, into: &line)
            prev = SHA256.hash(line)
            if file.count + line.count + 1 > 1 << 20 {
                FileManager.default.createFile(atPath: directory.ledgerPath + "/" + SegmentDirectory.fileName(firstSeq: firstSeq), contents: Data(file))
                file.removeAll(keepingCapacity: true)
                firstSeq = seq
            }
            file += line
            file.append(0x0A)
        }
        FileManager.default.createFile(atPath: directory.ledgerPath + "/" + SegmentDirectory.fileName(firstSeq: firstSeq), contents: Data(file))

        var referenceCalls: [String] = []
        let reference = try LedgerVerification.verifySequentially(dataDirectory: directory.path, publicKey: nil) { referenceCalls.append("\($0) \($1)") }
        var calls: [String] = []
        let report = try LedgerVerification.verify(dataDirectory: directory.path, publicKey: nil) { calls.append("\($0) \($1)") }
        #expect(report == reference && report.records == 70_000 && report.segments > 10)
        #expect(calls == referenceCalls && calls.count == 2)
    }
}
