#if canImport(Glibc)
import Glibc
#endif
import PointCrypto

/// Where a record sits on disk.
public struct RecordLocation: Sendable, Equatable {
    /// The segment file name.
    public let file: String
    /// Byte offset of the line's first byte within the file.
    public let offset: Int64
}

/// A torn last line at the end of the newest segment: incomplete (no newline), or complete but
/// holding unwritten (zero) bytes. Only such a line can come from a write that never fully
/// reached the device; any other bad line is damage (see ``TornTail/isUnwritten(_:)``).
public struct TornTail: Sendable, Equatable {
    /// The segment file name.
    public let file: String
    /// Where the torn line starts (the file is truncated to this length on repair).
    public let offset: Int64
    /// How many bytes the torn line occupies.
    public let bytes: Int64
    /// Why it is considered torn.
    public let reason: String
    /// The seq the torn line would have had.
    public let seq: UInt64

    /// Whether a complete but invalid line shows the mark of a write that never fully reached
    /// the device: zero bytes, which is how blocks that were allocated but never written read
    /// back. A complete line without them was written whole, so it may have been acknowledged:
    /// it is damage, never truncated as a torn write.
    static func isUnwritten(_ line: UnsafeRawBufferPointer) -> Bool {
        guard let base = line.baseAddress, !line.isEmpty else { return false }
        return memchr(base, 0, line.count) != nil
    }

    /// Added to the reason of damage in the newest segment, past every signed checkpoint, that
    /// shows unwritten (zero) bytes or a line too long to be one record's: a commit cut short by
    /// a power loss looks like this on file systems that can leave unwritten blocks inside a file
    /// (and it was never acknowledged), but so does damage. The operator knows which.
    static func unfinishedCommitHint(seq: UInt64) -> String {
        "; if the host lost power while the service was writing and no signed checkpoint covers seq \(seq), this can instead be a commit cut short (on file systems that leave unwritten blocks inside a file), whose records were never acknowledged: `pointconnect ledger cut --data-dir DIR --from-seq \(seq)` cuts it off and keeps a copy of what it cuts (it refuses records a checkpoint covers)"
    }

    /// The reason for an incomplete last line, or nil when it is a torn line: one longer than a
    /// record's line can be (``LedgerRecordFormat/maxLineBytes``) was not written by one append
    /// of one line, so it is damage (or an unfinished commit, see ``unfinishedCommitHint(seq:)``).
    static func overlongIncompleteLine(bytes: Int, isNewestSegment: Bool, seq: UInt64, protectedSeq: UInt64) -> String? {
        guard bytes > LedgerRecordFormat.maxLineBytes else { return nil }
        let hint = isNewestSegment && seq > protectedSeq ? unfinishedCommitHint(seq: seq) : ""
        return "the last line is incomplete (no newline) and \(bytes) bytes long, longer than one record's line can be (\(LedgerRecordFormat.maxLineBytes) bytes)\(hint)"
    }

    /// Added to the reason when a complete last line is refused instead of truncated.
    static let completeLineIsDamage = "the line is complete and holds no unwritten (zero) bytes, so it is damage, not a torn write, and may have been acknowledged"

    /// The torn-write rule for a bad complete line (the scanner's and the verifier's): at the
    /// tail of the newest segment and holding unwritten bytes, it is torn — the reason to report
    /// is returned; at the tail without them, it is damage and this throws; anywhere else the
    /// caller reports the returned reason as damage.
    static func reasonForBadCompleteLine(_ reason: String, isTail: Bool, unwritten: Bool, file: String, offset: Int64,
                                         seq: UInt64, isNewestSegment: Bool, protectedSeq: UInt64) throws(LedgerError) -> String {
        guard isTail else {
            guard unwritten, isNewestSegment, seq > protectedSeq else { return reason }
            return "\(reason); the line holds unwritten (zero) bytes and more bytes follow it\(unfinishedCommitHint(seq: seq))"
        }
        guard unwritten else {
            throw LedgerError.corrupt(file: file, offset: Int(offset), seq: seq, reason: "\(reason); \(completeLineIsDamage)")
        }
        return "\(reason); the line holds unwritten (zero) bytes"
    }
}

/// The result of a scan over all segments.
public struct ScanSummary: Sendable, Equatable {
    /// Number of complete, valid records.
    public var records: UInt64 = 0
    /// Seq of the last valid record (0 when empty).
    public var lastSeq: UInt64 = 0
    /// SHA-256 of the last valid record's line (zero when empty).
    public var lastLineHash: SHA256Digest = .zero
    /// Time of the last valid record.
    public var lastTime: Int64 = 0
    /// Segment files seen.
    public var segments: [SegmentFile] = []
    /// Total valid bytes (including newlines).
    public var bytes: Int64 = 0
    /// Valid bytes in the last segment.
    public var lastSegmentBytes: Int64 = 0
    /// A torn last line, when one was found (and truncated, when repairing).
    public var tornTail: TornTail?
}

/// Streams every record of a ledger directory in order, checking the hash chain, the seq
/// sequence and time order as it goes. Memory use is bounded by the read buffer, not the ledger.
public struct LedgerScanner {
    /// Size of the read buffer.
    public static let readBufferBytes = 4 << 20

    let directory: String
    let fileSystem: any LedgerFileSystem

    public init(directory: String, fileSystem: any LedgerFileSystem = PosixFileSystem()) {
        self.directory = directory
        self.fileSystem = fileSystem
    }

    /// Scans the ledger.
    ///
    /// - Parameters:
    ///   - repairTornTail: truncate a torn last line of the newest segment (when opening for writes).
    ///   - protectedSeq: records up to this seq are covered by a signed checkpoint; a "torn" one of
    ///     those is damage, not a crash artefact, and is refused.
    ///   - visit: called for every valid record, in order.
    public func scan(
        repairTornTail: Bool,
        protectedSeq: UInt64 = 0,
        visit: (RecordView, RecordLocation) throws(LedgerError) -> Void
    ) throws(LedgerError) -> ScanSummary {
        var summary = ScanSummary()
        summary.segments = try SegmentDirectory.list(directory, fileSystem: fileSystem)
        var buffer = [UInt8](repeating: 0, count: Self.readBufferBytes)
        for (index, segment) in summary.segments.enumerated() {
            let isLast = index == summary.segments.count - 1
            guard segment.firstSeq == summary.lastSeq + 1 else {
                throw LedgerError.corrupt(file: segment.name, offset: 0, seq: summary.lastSeq + 1,
                                          reason: "segment starts at seq \(segment.firstSeq) but seq \(summary.lastSeq + 1) was expected (a segment is missing or misnamed)")
            }
            let segmentBytes = try scanSegment(segment, isLast: isLast, repairTornTail: repairTornTail, protectedSeq: protectedSeq,
                                               buffer: &buffer, summary: &summary, visit: visit)
            if !isLast && segmentBytes == 0 {
                throw LedgerError.corrupt(file: segment.name, offset: 0, seq: summary.lastSeq + 1, reason: "segment is empty but is not the newest")
            }
            summary.lastSegmentBytes = segmentBytes
        }
        return summary
    }

    private func scanSegment(
        _ segment: SegmentFile, isLast: Bool, repairTornTail: Bool, protectedSeq: UInt64,
        buffer: inout [UInt8], summary: inout ScanSummary,
        visit: (RecordView, RecordLocation) throws(LedgerError) -> Void
    ) throws(LedgerError) -> Int64 {
        let descriptor = try segment.open(with: fileSystem, flags: repairTornTail && isLast ? O_RDWR : O_RDONLY)
        defer { fileSystem.close(descriptor) }

        var filled = 0          // bytes in buffer
        var bufferStart: Int64 = 0 // file offset of buffer[0]
        var reachedEnd = false
        var validEnd: Int64 = 0
        var visitError: LedgerError?

        while true {
            if !reachedEnd && filled < buffer.count {
                let result: Result<Int, SystemError> = buffer.withUnsafeMutableBytes { raw in
                    do {
                        return .success(try fileSystem.read(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...])))
                    } catch let error as SystemError {
                        return .failure(error)
                    } catch {
                        return .failure(SystemError(EIO))
                    }
                }
                guard case .success(let count) = result else {
                    if case .failure(let error) = result { throw LedgerError.io(operation: "reading", path: segment.path, errno: error.code) }
                    return validEnd
                }
                if count == 0 { reachedEnd = true } else { filled += count }
            }
            // Consume complete lines.
            var consumed = 0
            var problem: (offset: Int64, reason: String, lineBytes: Int64, unwritten: Bool)?
            buffer.withUnsafeBytes { raw in
                while consumed < filled, problem == nil, visitError == nil {
                    let remaining = filled - consumed
                    guard let found = memchr(raw.baseAddress! + consumed, 0x0A, remaining) else { break }
                    let lineLength = raw.baseAddress!.distance(to: UnsafeRawPointer(found)) - consumed
                    let line = UnsafeRawBufferPointer(rebasing: raw[consumed..<(consumed + lineLength)])
                    let lineOffset = bufferStart + Int64(consumed)
                    switch LedgerRecordFormat.parseView(line: line) {
                    case .failure(let lineProblem):
                        problem = (lineOffset, "\(lineProblem.reason) (at byte \(lineProblem.offset) of the line)", Int64(lineLength + 1),
                                   TornTail.isUnwritten(line))
                    case .success(let record):
                        if let reason = chainProblem(record, summary: summary) {
                            problem = (lineOffset, reason, Int64(lineLength + 1), TornTail.isUnwritten(line))
                            break
                        }
                        summary.records += 1
                        summary.lastSeq = record.seq
                        summary.lastLineHash = record.lineHash
                        summary.lastTime = record.time
                        summary.bytes += Int64(lineLength + 1)
                        consumed += lineLength + 1
                        validEnd = bufferStart + Int64(consumed)
                        do {
                            try visit(record, RecordLocation(file: segment.name, offset: lineOffset))
                        } catch let error as LedgerError {
                            visitError = error
                        } catch {
                            visitError = LedgerError.invalidEntry("\(error)")
                        }
                    }
                }
            }
            if let visitError { throw visitError }

            if let problem {
                // A bad complete line is a torn tail only when nothing follows it in the newest
                // segment and it holds unwritten (zero) bytes.
                let fileSize = try sizeOf(descriptor, segment)
                let isTail = isLast && problem.offset + problem.lineBytes == fileSize
                let reason = try TornTail.reasonForBadCompleteLine(problem.reason, isTail: isTail, unwritten: problem.unwritten,
                                                                  file: segment.name, offset: problem.offset, seq: summary.lastSeq + 1,
                                                                  isNewestSegment: isLast, protectedSeq: protectedSeq)
                try handleBadTail(segment: segment, descriptor: descriptor, at: problem.offset, fileSize: fileSize,
                                  reason: reason, isTail: isTail, repair: repairTornTail,
                                  protectedSeq: protectedSeq, summary: &summary)
                return problem.offset
            }
            // Shift the unconsumed remainder to the front.
            if consumed > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    if filled > consumed { memmove(raw.baseAddress!, raw.baseAddress! + consumed, filled - consumed) }
                }
                bufferStart += Int64(consumed)
                filled -= consumed
            }
            if reachedEnd {
                if filled == 0 { return validEnd }
                // An incomplete last line (no newline).
                if let overlong = TornTail.overlongIncompleteLine(bytes: filled, isNewestSegment: isLast, seq: summary.lastSeq + 1,
                                                                  protectedSeq: protectedSeq) {
                    throw LedgerError.corrupt(file: segment.name, offset: Int(validEnd), seq: summary.lastSeq + 1, reason: overlong)
                }
                let fileSize = try sizeOf(descriptor, segment)
                try handleBadTail(segment: segment, descriptor: descriptor, at: validEnd, fileSize: fileSize,
                                  reason: "the last line is incomplete (no newline)", isTail: isLast, repair: repairTornTail,
                                  protectedSeq: protectedSeq, summary: &summary)
                return validEnd
            }
            if filled == buffer.count {
                let seq = summary.lastSeq + 1
                let hint = isLast && seq > protectedSeq ? TornTail.unfinishedCommitHint(seq: seq) : ""
                throw LedgerError.corrupt(file: segment.name, offset: Int(bufferStart), seq: seq,
                                          reason: "a line is longer than \(LedgerRecordFormat.maxLineBytes) bytes\(hint)")
            }
        }
    }

    private func sizeOf(_ descriptor: Int32, _ segment: SegmentFile) throws(LedgerError) -> Int64 {
        do { return try fileSystem.size(descriptor) } catch {
            throw LedgerError.io(operation: "reading the size of", path: segment.path, errno: error.code)
        }
    }

    private func chainProblem(_ record: RecordView, summary: ScanSummary) -> String? {
        if record.seq != summary.lastSeq + 1 {
            return "seq \(record.seq) follows seq \(summary.lastSeq); seq \(summary.lastSeq + 1) was expected"
        }
        if record.prev != summary.lastLineHash {
            return "prev \(record.prev.hex) does not match the SHA-256 of the previous line, seq \(summary.lastSeq) (\(summary.lastLineHash.hex)): the hash chain is broken — seq \(summary.lastSeq) or this record was altered"
        }
        if record.time < summary.lastTime {
            return "time \(LedgerTime.format(record.time)) is earlier than the previous record's \(LedgerTime.format(summary.lastTime))"
        }
        return nil
    }

    private func handleBadTail(
        segment: SegmentFile, descriptor: Int32, at offset: Int64, fileSize: Int64, reason: String,
        isTail: Bool, repair: Bool, protectedSeq: UInt64, summary: inout ScanSummary
    ) throws(LedgerError) {
        let seq = summary.lastSeq + 1
        guard isTail else {
            throw LedgerError.corrupt(file: segment.name, offset: Int(offset), seq: seq, reason: reason)
        }
        guard seq > protectedSeq else {
            throw LedgerError.corrupt(file: segment.name, offset: Int(offset), seq: seq,
                                      reason: "\(reason); this record is covered by signed checkpoint of size \(protectedSeq), so it was acknowledged and is not a torn write")
        }
        summary.tornTail = TornTail(file: segment.name, offset: offset, bytes: fileSize - offset, reason: reason, seq: seq)
        guard repair else { return }
        do {
            try fileSystem.truncate(descriptor, length: offset)
            try fileSystem.synchronizeAll(descriptor)
        } catch {
            throw LedgerError.io(operation: "truncating the torn tail of", path: segment.path, errno: error.code)
        }
    }
}
