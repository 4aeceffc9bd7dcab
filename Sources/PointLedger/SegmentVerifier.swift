#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PointCrypto

/// What scanning one segment file on its own found: its records' leaf hashes and everything the
/// in-order pass needs to link it to the previous segment.
///
/// A segment is checked without knowing the previous segment's last line: the worker starts from
/// `firstSeq - 1` (the seq the file name promises) and checks the first record's seq, but leaves
/// its `prev` and `time` to the in-order pass (``firstPrev``, ``firstTime``). Every later record is
/// checked against the one before it, exactly as ``LedgerScanner`` does.
final class SegmentScan: @unchecked Sendable {
    // Written by one worker thread, then handed to the verifying thread under the pipeline's lock.
    let segment: SegmentFile
    let isLast: Bool
    /// RFC 6962 leaf hashes of the valid records, in order.
    var leafHashes: [SHA256Digest] = []
    /// The first valid record's stored `prev` and time, and its line length including `\n`.
    var firstPrev = SHA256Digest.zero
    var firstTime: Int64 = 0
    var firstLineBytes: Int64 = 0
    /// In the newest segment: whether the first line is all the file holds (so a broken link on it
    /// is a torn tail, not damage).
    var firstLineIsWholeFile = false
    /// The last valid record.
    var lastSeq: UInt64
    var lastLineHash = SHA256Digest.zero
    var lastTime: Int64 = 0
    /// Bytes of the valid records (the offset where the first invalid line, if any, starts).
    var validBytes: Int64 = 0
    /// Records whose seq is a multiple of 65,536: index into ``leafHashes`` and bytes up to its end.
    var progressMarks: [(index: Int, bytes: Int64)] = []
    /// A bad or incomplete last line of the newest segment.
    var tornTail: TornTail?
    /// The first problem found after the valid records (thrown once they are accounted for).
    var error: LedgerError?

    init(segment: SegmentFile, isLast: Bool) {
        self.segment = segment
        self.isLast = isLast
        self.lastSeq = segment.firstSeq - 1
    }
}

/// Checks segment files independently of each other, on worker threads.
enum SegmentVerifier {
    static let progressInterval: UInt64 = 65_536
    /// Bytes asked of each `read`: small enough that the lines are still in the core's cache when
    /// they are parsed and hashed. The buffer stays ``LedgerScanner/readBufferBytes`` long, so a
    /// line without a newline is refused at the same point as by the scanner.
    static let readChunkBytes = 256 << 10

    /// Scans `scan.segment` into `scan`, appending leaf hashes to `leafHashes`. Never throws: the
    /// first problem lands in ``SegmentScan/error`` or ``SegmentScan/tornTail``. Stops early
    /// (with an incomplete result) when `isCancelled` says so.
    static func scan(
        _ scan: SegmentScan, fileSystem: any LedgerFileSystem, buffer: UnsafeMutableRawBufferPointer,
        leafHashes: inout [SHA256Digest],
        isCancelled: () -> Bool
    ) {
        do {
            try scanBody(scan, fileSystem: fileSystem, buffer: buffer, leafHashes: &leafHashes, isCancelled: isCancelled)
        } catch {
            scan.error = error
        }
    }

    /// Mirrors ``LedgerScanner``'s segment scan (read-only, no checkpoint protection) line for
    /// line, so offsets, seqs and reasons are the same.
    private static func scanBody(
        _ scan: SegmentScan, fileSystem: any LedgerFileSystem, buffer: UnsafeMutableRawBufferPointer,
        leafHashes: inout [SHA256Digest],
        isCancelled: () -> Bool
    ) throws(LedgerError) {
        let segment = scan.segment
        let descriptor = try segment.open(with: fileSystem, flags: O_RDONLY)
        defer { fileSystem.close(descriptor) }

        let base = UnsafeRawPointer(buffer.baseAddress!)
        var filled = 0
        var bufferStart: Int64 = 0
        var reachedEnd = false
        var validEnd: Int64 = 0
        var lastSeq = scan.lastSeq
        var lastLineHash = SHA256Digest.zero
        var lastTime: Int64 = 0
        var count = 0
        defer {
            scan.lastSeq = lastSeq
            scan.lastLineHash = lastLineHash
            scan.lastTime = lastTime
            scan.validBytes = validEnd
        }

        while true {
            if isCancelled() { return }
            if !reachedEnd && filled < buffer.count {
                let read: Int
                do {
                    let end = min(buffer.count, filled + readChunkBytes)
                    read = try fileSystem.read(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<end]))
                } catch {
                    throw LedgerError.io(operation: "reading", path: segment.path, errno: error.code)
                }
                if read == 0 { reachedEnd = true } else { filled += read }
            }
            var consumed = 0
            var problem: (offset: Int64, reason: String, lineBytes: Int64, unwritten: Bool)?
            while consumed < filled {
                guard let found = memchr(base + consumed, 0x0A, filled - consumed) else { break }
                let lineLength = base.distance(to: UnsafeRawPointer(found)) - consumed
                let line = UnsafeRawBufferPointer(start: base + consumed, count: lineLength)
                let lineOffset = bufferStart + Int64(consumed)
                switch LedgerRecordFormat.parseView(line: line) {
                case .failure(let lineProblem):
                    problem = (lineOffset, "\(lineProblem.reason) (at byte \(lineProblem.offset) of the line)", Int64(lineLength + 1),
                               TornTail.isUnwritten(line))
                    break
                case .success(let record):
                    if count == 0 {
                        // Its prev and time are checked against the previous segment in order.
                        if record.seq != lastSeq + 1 {
                            problem = (lineOffset, "seq \(record.seq) follows seq \(lastSeq); seq \(lastSeq + 1) was expected", Int64(lineLength + 1),
                                       TornTail.isUnwritten(line))
                            break
                        }
                        scan.firstPrev = record.prev
                        scan.firstTime = record.time
                        scan.firstLineBytes = Int64(lineLength + 1)
                        if scan.isLast { scan.firstLineIsWholeFile = try sizeOf(descriptor, segment, fileSystem) == scan.firstLineBytes }
                    } else if let reason = chainProblem(record, lastSeq: lastSeq, lastLineHash: lastLineHash, lastTime: lastTime) {
                        problem = (lineOffset, reason, Int64(lineLength + 1), TornTail.isUnwritten(line))
                        break
                    }
                    count += 1
                    lastSeq = record.seq
                    lastLineHash = SHA256.hash(line)
                    lastTime = record.time
                    leafHashes.append(SHA256.hash(prefix: 0x00, line))
                    consumed += lineLength + 1
                    validEnd = bufferStart + Int64(consumed)
                    if lastSeq % progressInterval == 0 { scan.progressMarks.append((leafHashes.count - 1, validEnd)) }
                    continue
                }
                break
            }

            if let problem {
                let fileSize = try sizeOf(descriptor, segment, fileSystem)
                // Torn only when last in the newest segment and holding unwritten (zero) bytes,
                // as ``LedgerScanner`` decides.
                let isTail = scan.isLast && problem.offset + problem.lineBytes == fileSize
                // (The checkpoints are checked after the segments: `ledger cut` refuses a covered record.)
                let reason = try TornTail.reasonForBadCompleteLine(problem.reason, isTail: isTail, unwritten: problem.unwritten,
                                                                  file: segment.name, offset: problem.offset, seq: lastSeq + 1,
                                                                  isNewestSegment: scan.isLast, protectedSeq: 0)
                try badTail(scan, at: problem.offset, fileSize: fileSize, reason: reason, isTail: isTail, seq: lastSeq + 1)
                return
            }
            if consumed > 0 {
                if filled > consumed { memmove(buffer.baseAddress!, base + consumed, filled - consumed) }
                bufferStart += Int64(consumed)
                filled -= consumed
            }
            if reachedEnd {
                if filled == 0 { return }
                if let overlong = TornTail.overlongIncompleteLine(bytes: filled, isNewestSegment: scan.isLast, seq: lastSeq + 1, protectedSeq: 0) {
                    throw LedgerError.corrupt(file: segment.name, offset: Int(validEnd), seq: lastSeq + 1, reason: overlong)
                }
                let fileSize = try sizeOf(descriptor, segment, fileSystem)
                try badTail(scan, at: validEnd, fileSize: fileSize, reason: "the last line is incomplete (no newline)",
                            isTail: scan.isLast, seq: lastSeq + 1)
                return
            }
            if filled == buffer.count {
                let hint = scan.isLast ? TornTail.unfinishedCommitHint(seq: lastSeq + 1) : ""
                throw LedgerError.corrupt(file: segment.name, offset: Int(bufferStart), seq: lastSeq + 1,
                                          reason: "a line is longer than \(LedgerRecordFormat.maxLineBytes) bytes\(hint)")
            }
        }
    }

    /// The same wording as ``LedgerScanner``'s.
    static func chainProblem(_ record: RecordView, lastSeq: UInt64, lastLineHash: SHA256Digest, lastTime: Int64) -> String? {
        if record.seq != lastSeq + 1 {
            return "seq \(record.seq) follows seq \(lastSeq); seq \(lastSeq + 1) was expected"
        }
        return linkProblem(prev: record.prev, time: record.time, lastSeq: lastSeq, lastLineHash: lastLineHash, lastTime: lastTime)
    }

    /// The `prev` and time checks of a record against the one before it.
    static func linkProblem(prev: SHA256Digest, time: Int64, lastSeq: UInt64, lastLineHash: SHA256Digest, lastTime: Int64) -> String? {
        if prev != lastLineHash {
            return "prev \(prev.hex) does not match the SHA-256 of the previous line, seq \(lastSeq) (\(lastLineHash.hex)): the hash chain is broken — seq \(lastSeq) or this record was altered"
        }
        if time < lastTime {
            return "time \(LedgerTime.format(time)) is earlier than the previous record's \(LedgerTime.format(lastTime))"
        }
        return nil
    }

    private static func badTail(_ scan: SegmentScan, at offset: Int64, fileSize: Int64, reason: String, isTail: Bool, seq: UInt64) throws(LedgerError) {
        guard isTail else { throw LedgerError.corrupt(file: scan.segment.name, offset: Int(offset), seq: seq, reason: reason) }
        scan.tornTail = TornTail(file: scan.segment.name, offset: offset, bytes: fileSize - offset, reason: reason, seq: seq)
    }

    private static func sizeOf(_ descriptor: Int32, _ segment: SegmentFile, _ fileSystem: any LedgerFileSystem) throws(LedgerError) -> Int64 {
        do { return try fileSystem.size(descriptor) } catch {
            throw LedgerError.io(operation: "reading the size of", path: segment.path, errno: error.code)
        }
    }
}

/// Scans segments on worker threads (plain `Thread`s: the work is blocking reads and hashing)
/// and hands them to the verifying thread in order. At most `window` segments' leaf hashes exist
/// at once: a worker starts a segment only with a free hash buffer, and the verifying thread
/// returns each buffer after folding it.
final class SegmentPipeline: @unchecked Sendable {
    // Everything mutable is guarded by `condition`.
    private let condition = NSCondition()
    private let segments: [SegmentFile]
    private let fileSystem: any LedgerFileSystem
    private var nextToScan = 0
    private var freeHashBuffers: [[SHA256Digest]]
    private var finished: [Int: SegmentScan] = [:]
    private var cancelled = false
    private var running = 0

    init(segments: [SegmentFile], fileSystem: any LedgerFileSystem, workers: Int, window: Int) {
        self.segments = segments
        self.fileSystem = fileSystem
        freeHashBuffers = Array(repeating: [], count: max(1, window))
        let workers = max(1, min(workers, segments.count))
        guard !segments.isEmpty else { return }
        running = workers
        for number in 0..<workers {
            let thread = Thread { [self] in work() }
            thread.name = "ledger-verify-\(number + 1)"
            thread.start()
        }
    }

    /// The scan of segment `index`, waiting for it. Call with 0, 1, 2… in order.
    func take(_ index: Int) -> SegmentScan {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let scan = finished.removeValue(forKey: index) { return scan }
            condition.wait()
        }
    }

    /// Gives a folded segment's hash buffer back to the workers.
    func recycle(_ hashes: consuming [SHA256Digest]) {
        var hashes = hashes
        hashes.removeAll(keepingCapacity: true)
        condition.lock()
        freeHashBuffers.append(hashes)
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the workers and waits until they have exited.
    func shutdown() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        finished.removeAll()
        freeHashBuffers.removeAll()
        condition.unlock()
    }

    private var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    private func work() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: LedgerScanner.readBufferBytes, alignment: 64)
        defer {
            buffer.deallocate()
            condition.lock()
            running -= 1
            condition.broadcast()
            condition.unlock()
        }
        while true {
            condition.lock()
            while !cancelled && nextToScan < segments.count && freeHashBuffers.isEmpty { condition.wait() }
            guard !cancelled && nextToScan < segments.count else {
                condition.unlock()
                return
            }
            let index = nextToScan
            nextToScan += 1
            var hashes = freeHashBuffers.removeLast()
            condition.unlock()

            let scan = SegmentScan(segment: segments[index], isLast: index == segments.count - 1)
            SegmentVerifier.scan(scan, fileSystem: fileSystem, buffer: buffer, leafHashes: &hashes, isCancelled: { isCancelled })
            scan.leafHashes = hashes

            condition.lock()
            finished[index] = scan
            condition.broadcast()
            condition.unlock()
        }
    }
}
