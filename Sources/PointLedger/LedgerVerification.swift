import Foundation
import PointCrypto

/// What `pointconnect ledger verify` found.
public struct VerificationReport: Sendable, Equatable {
    /// Valid records.
    public var records: UInt64 = 0
    /// Segment files.
    public var segments = 0
    /// Valid bytes.
    public var bytes: Int64 = 0
    /// Seq of the last valid record.
    public var lastSeq: UInt64 = 0
    /// Merkle root over all valid records.
    public var root: SHA256Digest = .zero
    /// Checkpoints whose signature and root were checked.
    public var checkpointsVerified = 0
    /// The newest checkpoint's tree size, if any.
    public var lastCheckpointSize: UInt64?
    /// The newest checkpoint's signed note, if any.
    public var lastCheckpointNote: String?
    /// An incomplete last line (a write in progress, or a crash not yet recovered by opening).
    public var tornTail: TornTail?
    /// Bytes of an incomplete last line of `checkpoints.jsonl` (an append in progress or
    /// interrupted by a crash; never acknowledged), 0 when none.
    public var checkpointTornBytes: Int64 = 0
}

/// Streaming verification of a data directory: the hash chain and seq order of every segment,
/// the RFC 6962 root, and every signed checkpoint. Memory does not grow with the ledger.
public enum LedgerVerification {
    /// Progress: records verified so far and bytes verified so far.
    public typealias Progress = (_ records: UInt64, _ bytes: Int64) -> Void

    /// Verifies `dataDirectory` (which holds `ledger/` and `checkpoints.jsonl`). Throws the first
    /// problem found: ``LedgerError/corrupt(file:offset:seq:reason:)`` naming the record, or
    /// ``LedgerError/checkpointInvalid(line:size:reason:)`` naming the checkpoint line and size.
    ///
    /// Checkpoint signatures are checked with `publicKey`, or else with
    /// `keys/checkpoint-ed25519.pub.pem` in the data directory. Each checkpoint's root must equal
    /// the root of the records up to its size, and sizes never decrease.
    ///
    /// Segment files are parsed and hashed on worker threads (each segment's chain is checked on
    /// its own); the calling thread then links each segment to the one before it, folds its leaf
    /// hashes into the root and checks the checkpoints, strictly in record order, so the problem
    /// reported is the same one a single in-order pass finds first. At most two segments' leaf
    /// hashes are held at once (32 bytes per record: about 6 MB for a 64 MiB segment).
    public static func verify(dataDirectory: String, publicKey: Ed25519PublicKey?, progress: Progress?) throws(LedgerError) -> VerificationReport {
        try verify(dataDirectory: dataDirectory, publicKey: publicKey, workers: defaultWorkers, progress: progress)
    }

    /// Worker threads used by ``verify(dataDirectory:publicKey:progress:)``: two when the machine
    /// has two cores or more.
    static var defaultWorkers: Int { ProcessInfo.processInfo.activeProcessorCount >= 2 ? 2 : 1 }

    /// Segments whose leaf hashes may be held at once (scanned and not yet folded).
    static let segmentWindow = 2

    static func verify(dataDirectory: String, publicKey: Ed25519PublicKey?, workers: Int,
                       fileSystem: any LedgerFileSystem = PosixFileSystem(), progress: Progress?) throws(LedgerError) -> VerificationReport {
        var report = VerificationReport()
        let keyPath = dataDirectory + "/" + CheckpointKeys.publicKeyPath
        var key = publicKey
        if key == nil { key = try CheckpointKeys.loadPublicKey(path: keyPath) }
        var checkpoints = CheckpointWalk(reader: try CheckpointLogReader(path: dataDirectory + "/" + CheckpointLog.fileName), publicKey: key, keyPath: keyPath)
        var accumulator = MerkleAccumulator()
        try checkpoints.settle(size: 0, root: { accumulator.root }, into: &report)

        let segments = try SegmentDirectory.list(dataDirectory + "/ledger", fileSystem: fileSystem)
        let pipeline = SegmentPipeline(segments: segments, fileSystem: fileSystem, workers: workers, window: segmentWindow)
        defer { pipeline.shutdown() }

        // The in-order state: the last valid record so far.
        var lastSeq: UInt64 = 0
        var lastLineHash = SHA256Digest.zero
        var lastTime: Int64 = 0
        var bytes: Int64 = 0
        var tornTail: TornTail?
        for (index, segment) in segments.enumerated() {
            let isLast = index == segments.count - 1
            guard segment.firstSeq == lastSeq + 1 else {
                throw LedgerError.corrupt(file: segment.name, offset: 0, seq: lastSeq + 1,
                                          reason: "segment starts at seq \(segment.firstSeq) but seq \(lastSeq + 1) was expected (a segment is missing or misnamed)")
            }
            let scan = pipeline.take(index)
            let hashes = scan.leafHashes
            scan.leafHashes = []
            let valid = hashes.count
            let segmentBytes = scan.validBytes
            if valid > 0, let reason = SegmentVerifier.linkProblem(prev: scan.firstPrev, time: scan.firstTime, lastSeq: lastSeq,
                                                                  lastLineHash: lastLineHash, lastTime: lastTime) {
                // The first record does not follow the previous segment's last one. It parsed, so
                // it holds no unwritten bytes: damage, even as the newest file's only line.
                let whole = isLast && scan.firstLineIsWholeFile
                throw LedgerError.corrupt(file: segment.name, offset: 0, seq: lastSeq + 1,
                                          reason: whole ? "\(reason); \(TornTail.completeLineIsDamage)" : reason)
            }
            var marks = scan.progressMarks.makeIterator()
            var mark = marks.next()
            for position in 0..<valid {
                accumulator.append(hashes[position])
                if checkpoints.pendingSize == accumulator.size {
                    try checkpoints.settle(size: accumulator.size, root: { accumulator.root }, into: &report)
                }
                if let next = mark, next.index == position {
                    progress?(accumulator.size, bytes + next.bytes)
                    mark = marks.next()
                }
            }
            pipeline.recycle(hashes)
            report.records += UInt64(valid)
            if let error = scan.error { throw error }
            tornTail = scan.tornTail
            if valid > 0 {
                lastSeq = scan.lastSeq
                lastLineHash = scan.lastLineHash
                lastTime = scan.lastTime
            }
            bytes += segmentBytes
            if !isLast && segmentBytes == 0 {
                throw LedgerError.corrupt(file: segment.name, offset: 0, seq: lastSeq + 1, reason: "segment is empty but is not the newest")
            }
        }
        if let missing = checkpoints.pendingLineAndSize {
            if let torn = tornTail, torn.seq <= missing.size {
                // Not a write in progress: a checkpoint covers it, so it was acknowledged.
                throw LedgerError.corrupt(file: torn.file, offset: Int(torn.offset), seq: torn.seq, reason: """
                    the last line is damaged (\(torn.reason), \(torn.bytes) bytes), and checkpoint line \(missing.line) \
                    (tree size \(missing.size)) covers it: signed records are missing
                    """)
            }
            throw LedgerError.checkpointInvalid(line: missing.line, size: missing.size,
                                                reason: "the ledger holds only \(accumulator.size) records: signed records are missing")
        }
        report.segments = segments.count
        report.bytes = bytes
        report.lastSeq = lastSeq
        report.tornTail = tornTail
        report.root = accumulator.root
        report.checkpointTornBytes = checkpoints.reader.result.fileBytes - checkpoints.reader.result.validBytes
        progress?(report.records, report.bytes)
        return report
    }

    /// The single-threaded pass over ``LedgerScanner`` that ``verify(dataDirectory:publicKey:progress:)``
    /// must agree with exactly (kept as the reference for tests).
    static func verifySequentially(dataDirectory: String, publicKey: Ed25519PublicKey?, progress: Progress?) throws(LedgerError) -> VerificationReport {
        var report = VerificationReport()
        let keyPath = dataDirectory + "/" + CheckpointKeys.publicKeyPath
        var key = publicKey
        if key == nil { key = try CheckpointKeys.loadPublicKey(path: keyPath) }
        var checkpoints = CheckpointWalk(reader: try CheckpointLogReader(path: dataDirectory + "/" + CheckpointLog.fileName), publicKey: key, keyPath: keyPath)
        var accumulator = MerkleAccumulator()
        try checkpoints.settle(size: accumulator.size, root: { accumulator.root }, into: &report)
        var bytes: Int64 = 0
        let summary = try LedgerScanner(directory: dataDirectory + "/ledger").scan(repairTornTail: false) { (record, _) throws(LedgerError) in
            bytes += Int64(record.line.count + 1)
            accumulator.append(record.leafHash)
            try checkpoints.settle(size: accumulator.size, root: { accumulator.root }, into: &report)
            report.records += 1
            if report.records % 65_536 == 0 { progress?(report.records, bytes) }
        }
        if let (line, checkpoint) = checkpoints.pending {
            throw LedgerError.checkpointInvalid(line: line, size: checkpoint.size,
                                                reason: "the ledger holds only \(accumulator.size) records: signed records are missing")
        }
        report.segments = summary.segments.count
        report.bytes = summary.bytes
        report.lastSeq = summary.lastSeq
        report.tornTail = summary.tornTail
        report.root = accumulator.root
        report.checkpointTornBytes = checkpoints.reader.result.fileBytes - checkpoints.reader.result.validBytes
        progress?(report.records, report.bytes)
        return report
    }
}

/// Walks `checkpoints.jsonl` alongside the records: parses and signature-checks each line and
/// compares its root once the records reach its size.
private struct CheckpointWalk {
    let reader: CheckpointLogReader
    let publicKey: Ed25519PublicKey?
    let keyPath: String
    var pending: (line: Int, checkpoint: SignedCheckpoint)?
    var started = false
    var lastSize: UInt64 = 0
    /// The origin of the first checkpoint: a log has one origin, so every later line must name it.
    var origin: (line: Int, name: String)?

    init(reader: CheckpointLogReader, publicKey: Ed25519PublicKey?, keyPath: String) {
        self.reader = reader
        self.publicKey = publicKey
        self.keyPath = keyPath
    }

    /// The size of the next checkpoint to check, if any.
    /// The size of the next checkpoint to check (`UInt64.max` when none).
    private(set) var pendingSize = UInt64.max

    /// The line and size of the next checkpoint to check, if any.
    var pendingLineAndSize: (line: Int, size: UInt64)? {
        guard let pending else { return nil }
        return (pending.line, pending.checkpoint.size)
    }

    /// Checks every checkpoint of exactly `size` records, whose root is `root()`.
    mutating func settle(size: UInt64, root: () -> SHA256Digest, into report: inout VerificationReport) throws(LedgerError) {
        if !started {
            started = true
            try advance()
        }
        while let (line, checkpoint) = pending, checkpoint.size == size {
            let root = root()
            guard checkpoint.checkpoint.root == root else {
                throw LedgerError.checkpointInvalid(line: line, size: checkpoint.size,
                                                    reason: "its root \(checkpoint.checkpoint.root.hex) differs from the root of records 1…\(checkpoint.size) (\(root.hex)): the records or the checkpoint were altered")
            }
            report.checkpointsVerified += 1
            report.lastCheckpointSize = checkpoint.size
            report.lastCheckpointNote = checkpoint.note
            try advance()
        }
    }

    private mutating func advance() throws(LedgerError) {
        pendingSize = .max
        guard let (line, text) = try reader.next() else {
            pending = nil
            return
        }
        let checkpoint: SignedCheckpoint
        do { checkpoint = try SignedCheckpoint(jsonLine: text) } catch {
            throw LedgerError.checkpointInvalid(line: line, size: nil, reason: error.reason)
        }
        guard let publicKey else {
            throw LedgerError.checkpointKey(path: keyPath, reason: "no public key to check the checkpoint signatures; pass --public-key FILE")
        }
        do { _ = try SignedNote.open(checkpoint.note, publicKey: publicKey) } catch {
            throw LedgerError.checkpointInvalid(line: line, size: checkpoint.size, reason: "bad signature: \(error.reason)")
        }
        guard checkpoint.size >= lastSize else {
            throw LedgerError.checkpointInvalid(line: line, size: checkpoint.size, reason: "its size is smaller than the previous checkpoint's \(lastSize)")
        }
        if let origin, origin.name != checkpoint.checkpoint.origin {
            throw LedgerError.checkpointInvalid(line: line, size: checkpoint.size,
                                                reason: "its origin \"\(checkpoint.checkpoint.origin)\" differs from \"\(origin.name)\" of line \(origin.line): one log has one origin")
        }
        if origin == nil { origin = (line, checkpoint.checkpoint.origin) }
        lastSize = checkpoint.size
        pending = (line, checkpoint)
        pendingSize = checkpoint.size
    }
}
