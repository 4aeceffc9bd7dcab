import Foundation
import PointCrypto

/// One record as a replay sees it while a ledger opens: `data` (the canonical bytes of the
/// record's `data` object) is valid only during the call.
public struct ReplayedRecord {
    /// The record's seq.
    public let seq: UInt64
    /// The record's time (microseconds since the Unix epoch, UTC).
    public let time: Int64
    /// The event type.
    public let type: String
    /// The canonical JSON bytes of `data`.
    public let data: UnsafeRawBufferPointer
}

/// Records handed from the scanning thread to the consumer: seq, time, type and the canonical
/// `data` bytes of up to ``LedgerBatchReader/batchRecords`` consecutive valid records.
public final class LedgerRecordBatch: @unchecked Sendable {
    /// The batch's columns. Kept in one stored property so that appending a record and reading
    /// the batch each cost one access to the class, not one per column.
    fileprivate struct Storage {
        var seqs: [UInt64] = []
        var times: [Int64] = []
        var types: [String] = []
        var leafHashes: [SHA256Digest] = []
        var dataEnds: [Int] = []
        var bytes: [UInt8] = []
    }

    /// A batch's records as one value, for reading them all (see ``withRecords(_:)``).
    public struct Records {
        /// Seq of each record.
        public let seqs: [UInt64]
        /// Time of each record (microseconds since the Unix epoch, UTC).
        public let times: [Int64]
        /// Event type of each record.
        public let types: [String]
        /// RFC 6962 leaf hash of each record, when the read asked for them.
        public let leafHashes: [SHA256Digest]
        fileprivate let dataEnds: [Int]
        fileprivate let bytes: UnsafeRawBufferPointer

        /// Number of records.
        public var count: Int { seqs.count }

        /// Record `index`'s canonical `data` bytes (valid only inside ``LedgerRecordBatch/withRecords(_:)``).
        public func data(_ index: Int) -> UnsafeRawBufferPointer {
            let start = index == 0 ? 0 : dataEnds[index - 1]
            return UnsafeRawBufferPointer(rebasing: bytes[start..<dataEnds[index]])
        }
    }

    fileprivate var storage = Storage()
    /// What the read's `prepare` step made of this batch on the reader thread (e.g. the decoded
    /// events), for the consumer; nil without one. Cleared when the batch is reused.
    public var prepared: AnyObject?

    /// Number of records in the batch.
    public var count: Int { storage.seqs.count }
    /// Seq of each record.
    public var seqs: [UInt64] { storage.seqs }
    /// Time of each record (microseconds since the Unix epoch, UTC).
    public var times: [Int64] { storage.times }
    /// Event type of each record.
    public var types: [String] { storage.types }
    /// RFC 6962 leaf hash of each record, when the read asked for them.
    public var leafHashes: [SHA256Digest] { storage.leafHashes }

    /// Calls `body` with record `index`'s canonical `data` bytes (valid only inside `body`).
    public func withData<Result, Failure: Error>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result) throws(Failure) -> Result {
        try withRecords { (records) throws(Failure) -> Result in try body(records.data(index)) }
    }

    /// Calls `body` with every record of the batch (their data bytes valid only inside `body`).
    public func withRecords<Result, Failure: Error>(_ body: (Records) throws(Failure) -> Result) throws(Failure) -> Result {
        let storage = storage
        return try storage.bytes.withUnsafeBufferPointer { (raw) throws(Failure) -> Result in
            try body(Records(seqs: storage.seqs, times: storage.times, types: storage.types, leafHashes: storage.leafHashes,
                             dataEnds: storage.dataEnds, bytes: UnsafeRawBufferPointer(raw)))
        }
    }

    fileprivate func append(_ view: RecordView, leafHash: SHA256Digest?) {
        storage.append(view, leafHash: leafHash)
    }

    fileprivate func reset() {
        storage.removeAll()
        prepared = nil
    }

    fileprivate var byteCount: Int { storage.bytes.count }
}

extension LedgerRecordBatch.Storage {
    mutating func append(_ view: RecordView, leafHash: SHA256Digest?) {
        if let leafHash { leafHashes.append(leafHash) }
        seqs.append(view.seq)
        times.append(view.time)
        types.append(view.type)
        bytes.append(contentsOf: view.dataBytes)
        dataEnds.append(bytes.count)
    }

    mutating func removeAll() {
        seqs.removeAll(keepingCapacity: true)
        times.removeAll(keepingCapacity: true)
        types.removeAll(keepingCapacity: true)
        leafHashes.removeAll(keepingCapacity: true)
        dataEnds.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: true)
    }
}

/// Streams a ledger directory to a consumer on two threads: a reader thread scans the segment
/// files (layout, canonical JSON, seq order, hash chain — the checks of ``LedgerScanner``) and
/// hands over batches of records; the calling thread consumes them in order. At most
/// ``queueDepth`` batches wait at once, so memory is bounded whatever the ledger's size.
/// A torn last line is ignored (the files are not changed), or truncated when the read repairs.
public enum LedgerBatchReader {
    /// Records per batch.
    public static let batchRecords = 4_096
    /// Bytes of `data` per batch before it is handed over early.
    public static let batchBytes = 2 << 20
    /// Batches that may wait for the consumer (plus one being filled and one being consumed).
    public static let queueDepth = 4

    /// Reads every valid record of `directory` in order, calling `consume` with each batch of up
    /// to `batchRecords` records on the calling thread. A scan failure is thrown as
    /// ``LedgerBatchReadError/ledger(_:)``; an error `consume` throws stops the scan and is thrown
    /// as ``LedgerBatchReadError/consumer(_:)``.
    ///
    /// - Parameters:
    ///   - repairTornTail, protectedSeq: as for ``LedgerScanner/scan(repairTornTail:protectedSeq:visit:)``
    ///     (opening a ledger for writes repairs; readers don't).
    ///   - leafHashes: also compute each record's RFC 6962 leaf hash on the reader thread.
    ///   - prepare: runs on the reader thread on each full batch before it is handed over (it
    ///     may set ``LedgerRecordBatch/prepared``), so work such as decoding overlaps the consumer.
    public static func read<ConsumerError: Error>(
        directory: String, fileSystem: any LedgerFileSystem = PosixFileSystem(), batchRecords: Int = batchRecords,
        repairTornTail: Bool = false, protectedSeq: UInt64 = 0, leafHashes: Bool = false,
        prepare: (@Sendable (LedgerRecordBatch) -> Void)? = nil,
        consume: (LedgerRecordBatch) throws(ConsumerError) -> Void
    ) throws(LedgerBatchReadError<ConsumerError>) -> ScanSummary {
        let handoff = BatchHandoff()
        let thread = Thread {
            let scanner = LedgerScanner(directory: directory, fileSystem: fileSystem)
            var current = handoff.takeEmpty()
            var outcome: Result<ScanSummary, LedgerError>
            do throws(LedgerError) {
                let summary = try scanner.scan(repairTornTail: repairTornTail, protectedSeq: protectedSeq) { (view, _) throws(LedgerError) in
                    guard let batch = current else { throw LedgerError.closed }
                    batch.append(view, leafHash: leafHashes ? view.leafHash : nil)
                    if batch.count >= max(1, batchRecords) || batch.byteCount >= LedgerBatchReader.batchBytes {
                        prepare?(batch)
                        handoff.publish(batch)
                        current = handoff.takeEmpty()
                    }
                }
                outcome = .success(summary)
            } catch {
                outcome = .failure(error)
            }
            if let batch = current, batch.count > 0, case .success = outcome {
                prepare?(batch)
                handoff.publish(batch)
            }
            handoff.finish(outcome)
        }
        thread.name = "ledger-reader"
        thread.start()

        var consumerFailure: ConsumerError?
        while let batch = handoff.takeFull() {
            do {
                try consume(batch)
                handoff.recycle(batch)
            } catch {
                consumerFailure = error
                handoff.cancel()
                break
            }
        }
        let outcome = handoff.waitForFinish()
        if let consumerFailure { throw .consumer(consumerFailure) }
        switch outcome {
        case .success(let summary): return summary
        case .failure(let error): throw .ledger(error)
        }
    }
}

/// Why ``LedgerBatchReader/read(directory:fileSystem:batchRecords:repairTornTail:protectedSeq:leafHashes:prepare:consume:)`` stopped.
public enum LedgerBatchReadError<ConsumerError: Error>: Error {
    /// The files could not be read, or a record is damaged.
    case ledger(LedgerError)
    /// The consumer refused a record.
    case consumer(ConsumerError)
}

/// The bounded queue between the reader thread and the consumer.
private final class BatchHandoff: @unchecked Sendable {
    // Everything mutable is guarded by `condition`.
    private let condition = NSCondition()
    private var full: [LedgerRecordBatch] = []
    private var empty: [LedgerRecordBatch]
    private var outcome: Result<ScanSummary, LedgerError>?
    private var cancelled = false

    init() {
        empty = (0..<(LedgerBatchReader.queueDepth + 2)).map { _ in LedgerRecordBatch() }
    }

    /// An empty batch to fill; nil when the consumer has stopped.
    func takeEmpty() -> LedgerRecordBatch? {
        condition.lock()
        defer { condition.unlock() }
        while empty.isEmpty && !cancelled { condition.wait() }
        return cancelled ? nil : empty.removeLast()
    }

    func publish(_ batch: LedgerRecordBatch) {
        condition.lock()
        full.append(batch)
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch in order; nil once the reader has finished and every batch was taken.
    func takeFull() -> LedgerRecordBatch? {
        condition.lock()
        defer { condition.unlock() }
        while full.isEmpty && outcome == nil { condition.wait() }
        return full.isEmpty ? nil : full.removeFirst()
    }

    func recycle(_ batch: LedgerRecordBatch) {
        batch.reset()
        condition.lock()
        empty.append(batch)
        condition.broadcast()
        condition.unlock()
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    func finish(_ result: Result<ScanSummary, LedgerError>) {
        condition.lock()
        outcome = result
        condition.broadcast()
        condition.unlock()
    }

    func waitForFinish() -> Result<ScanSummary, LedgerError> {
        condition.lock()
        defer { condition.unlock() }
        while outcome == nil { condition.wait() }
        return outcome ?? .failure(.closed)
    }
}
