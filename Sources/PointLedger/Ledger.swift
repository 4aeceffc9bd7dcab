#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PointCrypto
import Synchronization

/// The append-only ledger: hash-chained records in numbered segment files, made durable by
/// group commit on a dedicated writer thread.
///
/// Appending is two steps: ``enqueue(_:)`` assigns seqs and times and queues the entries
/// (a copy, in call order), and ``waitUntilDurable(_:)`` returns once the writer thread has
/// encoded and chained them into lines, hashed them, written and `fdatasync`ed them — one write
/// and one fdatasync for every record that arrived while the previous sync was running (records
/// held by ``enqueue(_:wakingWriter:)`` wait for their release instead).
/// A failed write or sync poisons the ledger: every waiting and later append fails, and
/// nothing unsynced is ever reported as durable. So does an entry whose data turns out not to
/// be canonical JSON (see ``LedgerEntry``) when the writer reaches it: nothing of its commit is
/// written.
public final class Ledger: @unchecked Sendable {
    // The mutable state below is guarded by `condition` (an AdaptiveCondition: a mutex plus a
    // wait queue), except the Merkle tree (its own Mutex) and the fields marked as the writer
    // thread's (touched only by that thread once it runs, or before it starts and after it
    // finished). That is why the class is @unchecked Sendable.
    private let condition = AdaptiveCondition()

    /// The segment directory.
    public let directory: String
    private let options: LedgerOptions
    private let fileSystem: any LedgerFileSystem
    private var directoryLock: LedgerDirectoryLock?

    // Newest record queued, durable or not.
    private var lastEnqueuedSeq: UInt64
    private var lastTime: Int64

    // Waiting for the writer (seqs takenSeq + 1 ... lastEnqueuedSeq).
    private var queued = QueuedEntries()
    /// The last seq the writer has taken to write.
    private var takenSeq: UInt64
    /// Highest seq an appender asked to have written (see ``enqueue(_:wakingWriter:)``); the
    /// writer starts a commit only for records up to it, or after an idle tick.
    private var releasedSeq: UInt64 = 0
    /// Records in flight around the last commit: the batch size worth waiting for.
    private var targetBatchRecords = 0
    /// What the writer thread is waiting for, so appenders wake it only when it helps.
    private var writerWait = WriterWait.busy
    private enum WriterWait { case busy, idle, gathering }

    // Durability.
    private var durable: UInt64
    private var waiters: [(seq: UInt64, waiter: DurabilityWaiter)] = []
    private var poison: LedgerError?
    private var closing = false
    private var writerFinished = false

    // Merkle tree of every written record (leaf index = seq - 1), under its own lock so that
    // proofs never hold up appends; answers only ever use the durable prefix.
    private let merkle: Mutex<MerkleTree>

    // Writer-thread state (touched only by the writer thread after start).
    private var segmentWriter: SegmentWriter
    private var sealer: LineSealer
    private var writerQueued = QueuedEntries()
    private var writeBuffer: [UInt8] = []
    private var writerLeaves: [SHA256Digest] = []
    private var writerBreaks: [(offset: Int, firstSeq: UInt64)] = []

    /// Called on the writer thread after every group commit (for metrics and checkpoints).
    private let commitObserver: (@Sendable (CommitStatistics) -> Void)?
    /// Called on the writer thread when it has been idle for ``LedgerOptions/idleTickMilliseconds``.
    private let idleObserver: (@Sendable () -> Void)?
    /// Called once, on the writer thread, when a failed write or sync poisons the ledger.
    private let poisonObserver: (@Sendable (LedgerError) -> Void)?

    /// Opens (creating when needed) the ledger in `directory`, recovering from a crash.
    ///
    /// Every valid record is passed to `replay` in order (its data bytes are valid only during
    /// the call), so callers rebuild their state while the ledger streams the files: a reader
    /// thread scans, checks and hashes the segment files while the calling thread replays (see
    /// ``LedgerBatchReader``). A torn last line is truncated and reported through `log`;
    /// any other damage refuses to open with ``LedgerError/corrupt(file:offset:seq:reason:)``.
    ///
    /// - Parameter protectedSeq: size of the newest signed checkpoint: records up to it were
    ///   acknowledged, so damage there is never treated as a torn write.
    public static func open(
        directory: String,
        options: LedgerOptions = LedgerOptions(),
        fileSystem: any LedgerFileSystem = PosixFileSystem(),
        protectedSeq: UInt64 = 0,
        log: (String) -> Void = { _ in },
        commitObserver: (@Sendable (CommitStatistics) -> Void)? = nil,
        idleObserver: (@Sendable () -> Void)? = nil,
        poisonObserver: (@Sendable (LedgerError) -> Void)? = nil,
        replay: (ReplayedRecord) throws(LedgerError) -> Void = { _ in },
        heldLock: LedgerDirectoryLock? = nil
    ) throws(LedgerError) -> Ledger {
        do { try fileSystem.makeDirectory(directory) } catch {
            throw LedgerError.io(operation: "creating directory", path: directory, errno: error.code)
        }
        // A lock the caller holds stays the caller's to release (a store keeps it past the
        // ledger's close, for its last checkpoint); one taken here is released by `close`.
        let lock: LedgerDirectoryLock
        if let heldLock { lock = heldLock } else { lock = try LedgerDirectoryLock.acquire(directory) }
        let ownsLock = heldLock == nil
        do {
            try settleEarlierWrites(directory: directory, fileSystem: fileSystem)
        } catch {
            if ownsLock { lock.release() }
            throw error
        }
        var merkle = MerkleTree()
        let summary: ScanSummary
        do {
            summary = try LedgerBatchReader.read(directory: directory, fileSystem: fileSystem, repairTornTail: true,
                                                 protectedSeq: protectedSeq, leafHashes: true) { batch throws(LedgerError) in
                try batch.withRecords { (records) throws(LedgerError) in
                    for index in 0..<records.count {
                        merkle.append(records.leafHashes[index])
                        try replay(ReplayedRecord(seq: records.seqs[index], time: records.times[index], type: records.types[index],
                                                  data: records.data(index)))
                    }
                }
            }
        } catch {
            if ownsLock { lock.release() }
            switch error {
            case .ledger(let failure), .consumer(let failure): throw failure
            }
        }
        if let torn = summary.tornTail {
            log("ledger: truncated a torn last line in \(torn.file) at byte \(torn.offset) (\(torn.bytes) bytes, would-be seq \(torn.seq)): \(torn.reason). It was never acknowledged.")
        }
        let ledger = Ledger(directory: directory, options: options, fileSystem: fileSystem, summary: summary,
                            merkle: merkle, commitObserver: commitObserver, idleObserver: idleObserver,
                            poisonObserver: poisonObserver)
        if ownsLock { ledger.directoryLock = lock }
        if let last = summary.segments.last {
            do {
                try ledger.segmentWriter.continueSegment(last, recordBytes: Int(summary.lastSegmentBytes))
            } catch {
                if ownsLock { lock.release() }
                throw error
            }
        }
        ledger.startWriter()
        return ledger
    }

    private init(
        directory: String, options: LedgerOptions, fileSystem: any LedgerFileSystem, summary: ScanSummary,
        merkle: MerkleTree, commitObserver: (@Sendable (CommitStatistics) -> Void)?, idleObserver: (@Sendable () -> Void)?,
        poisonObserver: (@Sendable (LedgerError) -> Void)?
    ) {
        self.directory = directory
        self.options = options
        self.fileSystem = fileSystem
        self.lastEnqueuedSeq = summary.lastSeq
        self.lastTime = summary.lastTime
        self.takenSeq = summary.lastSeq
        self.durable = summary.lastSeq
        self.sealer = LineSealer(lastLineHash: summary.lastLineHash, tailSegmentBytes: Int(summary.lastSegmentBytes),
                                 hasTailSegment: !summary.segments.isEmpty, maxSegmentBytes: options.maxSegmentBytes)
        self.segmentWriter = SegmentWriter(directory: directory, fileSystem: fileSystem)
        self.merkle = Mutex(merkle)
        self.commitObserver = commitObserver
        self.idleObserver = idleObserver
        self.poisonObserver = poisonObserver
    }

    deinit {
        segmentWriter.close()
        directoryLock?.release()
    }

    // MARK: Appending

    /// Assigns seqs and times to `entries` and queues them for the writer.
    /// Returns at once; the records are durable only after ``waitUntilDurable(_:)``.
    /// The record time is the entry's time, raised to the previous record's time when earlier.
    public func enqueue(_ entries: [LedgerEntry]) throws(LedgerError) -> [AppendedRecord] {
        guard !entries.isEmpty else { return [] }
        guard entries.count <= options.maxEntriesPerAppend else {
            throw LedgerError.invalidEntry("\(entries.count) entries in one append; the limit is \(options.maxEntriesPerAppend)")
        }
        for entry in entries { try LedgerRecordFormat.validateEnvelope(entry) }
        condition.lock()
        defer { condition.unlock() }
        try checkAcceptingLocked()
        // The whole call counts against the limit, not only what waited before it.
        var incoming = 0
        for (offset, entry) in entries.enumerated() {
            incoming += LedgerRecordFormat.lineLength(seq: lastEnqueuedSeq + UInt64(offset) + 1, typeLength: entry.type.utf8.count,
                                                      dataLength: entry.canonicalData.count)
        }
        guard queued.lineBytes + incoming <= options.maxPendingBytes else {
            throw LedgerError.overloaded("\(queued.lineBytes) bytes are waiting for the disk and this append adds \(incoming) (limit \(options.maxPendingBytes))")
        }
        var appended: [AppendedRecord] = []
        appended.reserveCapacity(entries.count)
        // Entries queued before one that fails stay queued: wake the writer for them too.
        defer { if !appended.isEmpty { releaseLocked() } }
        for entry in entries {
            appended.append(try appendLocked(entry))
        }
        return appended
    }

    /// ``enqueue(_:)-([LedgerEntry])`` for one entry, without the arrays.
    ///
    /// With `wakingWriter` false the record is held back: the writer starts no commit for it
    /// until ``wakeWriter()`` or a later waking enqueue releases it — for a caller that queues
    /// many records in a row (a batch) so that they share one `fdatasync` instead of the writer
    /// syncing them a few at a time as they come. (A commit started for released records takes
    /// held ones queued before it too, and held records are written after at most
    /// ``LedgerOptions/idleTickMilliseconds`` whatever happens.)
    public func enqueue(_ entry: LedgerEntry, wakingWriter: Bool = true) throws(LedgerError) -> AppendedRecord {
        try LedgerRecordFormat.validateEnvelope(entry)
        condition.lock()
        defer { condition.unlock() }
        try checkAcceptingLocked()
        let appended = try appendLocked(entry)
        if wakingWriter { releaseLocked() }
        return appended
    }

    /// Releases whatever is queued to the writer and wakes it (see ``enqueue(_:wakingWriter:)``).
    public func wakeWriter() {
        condition.lock()
        if !queued.isEmpty { releaseLocked() }
        condition.unlock()
    }

    /// Marks every queued record as released to the writer and wakes it when that helps.
    private func releaseLocked() {
        releasedSeq = lastEnqueuedSeq
        wakeWriterLocked()
    }

    private func checkAcceptingLocked() throws(LedgerError) {
        if let poison { throw poison }
        if closing { throw LedgerError.closed }
        guard queued.lineBytes < options.maxPendingBytes else {
            throw LedgerError.overloaded("\(queued.lineBytes) bytes are waiting for the disk (limit \(options.maxPendingBytes))")
        }
    }

    /// Queues one validated entry; the caller holds the lock. The writer encodes, chains and
    /// hashes it (see ``LineSealer``): here only its line's length is checked.
    private func appendLocked(_ entry: LedgerEntry) throws(LedgerError) -> AppendedRecord {
        let seq = lastEnqueuedSeq + 1
        let time = max(entry.time, lastTime)
        let lineLength = LedgerRecordFormat.lineLength(seq: seq, typeLength: entry.type.utf8.count, dataLength: entry.canonicalData.count)
        guard lineLength <= LedgerRecordFormat.maxLineBytes else {
            // Nothing of this entry was queued; earlier entries of the call stay queued in order.
            throw LedgerError.invalidEntry("encoded record is \(lineLength) bytes; the limit is \(LedgerRecordFormat.maxLineBytes)")
        }
        queued.append(entry, time: time, lineLength: lineLength)
        lastEnqueuedSeq = seq
        lastTime = time
        return AppendedRecord(seq: seq, time: time)
    }

    private func wakeWriterLocked() {
        switch writerWait {
        case .idle: condition.broadcast()
        case .gathering where queued.count >= targetBatchRecords: condition.broadcast()
        default: break
        }
    }

    /// What ``whenDurable(_:_:)`` calls: success once the records are durable, or the failure
    /// that stopped the ledger first.
    public typealias DurabilityNotification = @Sendable (Result<Void, LedgerError>) -> Void

    /// Calls `notify` once every record up to `seq` is durable, or with the error when the
    /// ledger is poisoned or closed before that. When that is already decided, `notify` runs at
    /// once on the calling thread; otherwise on the writer thread right after the commit, with no
    /// lock held, so it must be short and never block (hand the result on, nothing more).
    public func whenDurable(_ seq: UInt64, _ notify: @escaping DurabilityNotification) {
        whenDurable(seq, .closure(notify))
    }

    /// ``whenDurable(_:_:)`` telling an object (``LedgerDurabilityWaiter``), kept as it is.
    public func whenDurable(_ seq: UInt64, waiter: any LedgerDurabilityWaiter) {
        whenDurable(seq, .object(waiter))
    }

    private func whenDurable(_ seq: UInt64, _ waiter: DurabilityWaiter) {
        condition.lock()
        if durable >= seq {
            condition.unlock()
            waiter.tell(.success(()))
        } else if let poison {
            condition.unlock()
            waiter.tell(.failure(poison))
        } else if writerFinished {
            condition.unlock()
            waiter.tell(.failure(.closed))
        } else {
            waiters.append((seq, waiter))
            condition.unlock()
        }
    }

    /// Returns once every record up to `seq` is durable; throws when the ledger was poisoned or
    /// closed before that.
    public func waitUntilDurable(_ seq: UInt64) async throws(LedgerError) {
        let result: Result<Void, LedgerError> = await withCheckedContinuation { continuation in
            whenDurable(seq) { continuation.resume(returning: $0) }
        }
        try result.get()
    }

    /// Enqueues `entries` and waits until they are durable.
    public func append(_ entries: [LedgerEntry]) async throws(LedgerError) -> [AppendedRecord] {
        let appended = try enqueue(entries)
        if let last = appended.last { try await waitUntilDurable(last.seq) }
        return appended
    }

    /// ``append(_:)-([LedgerEntry])`` for one entry, without the arrays.
    public func append(_ entry: LedgerEntry) async throws(LedgerError) -> AppendedRecord {
        let appended = try enqueue(entry)
        try await waitUntilDurable(appended.seq)
        return appended
    }

    /// Blocks the calling thread until every record up to `seq` is durable. For command-line
    /// tools and benchmarks; never call it from Swift's cooperative thread pool.
    public func waitUntilDurableBlocking(_ seq: UInt64) throws(LedgerError) {
        condition.lock()
        defer { condition.unlock() }
        while durable < seq {
            if let poison { throw poison }
            if writerFinished { throw LedgerError.closed }
            condition.wait()
        }
    }

    // MARK: State

    /// Highest seq that is durable on disk.
    public var durableSeq: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return durable
    }

    /// Highest seq handed out (durable or not).
    public var enqueuedSeq: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return lastEnqueuedSeq
    }

    /// The failure that poisoned the ledger, if any.
    public var poisonReason: LedgerError? {
        condition.lock()
        defer { condition.unlock() }
        return poison
    }

    /// A copy of the leaf hashes of every durable record (leaf index = seq - 1), for tools and tests.
    public func durableLeafHashes() -> [SHA256Digest] {
        let size = durableSeq
        return merkle.withLock { Array($0.leaves.prefix(Int(size))) }
    }

    /// Calls `body` with the Merkle tree and the durable size, under the tree's lock: answers
    /// must use only the first `durableSize` leaves. Keep `body` short (no I/O).
    func withMerkleTree<Result>(_ body: (_ tree: borrowing MerkleTree, _ durableSize: UInt64) -> Result) -> Result {
        // The writer adds a commit's leaves before it publishes the commit as durable, so the
        // tree always holds at least the durable size read first.
        let size = durableSeq
        return merkle.withLock { body($0, size) }
    }

    /// Stops accepting appends, writes and syncs everything queued, and stops the writer thread.
    public func close() {
        condition.lock()
        closing = true
        writerWait = .busy
        condition.broadcast()
        while !writerFinished { condition.wait() }
        segmentWriter.close()
        directoryLock?.release()
        directoryLock = nil
        condition.unlock()
    }

    // MARK: Writer thread

    private func startWriter() {
        let thread = Thread { [self] in writerLoop() }
        thread.name = "ledger-writer"
        thread.qualityOfService = .userInitiated
        thread.start()
    }

    private func writerLoop() {
        while true {
            condition.lock()
            var idle = false
            writerWait = .idle
            // Held records (queued without waking) wait for their release or the idle tick.
            while (queued.isEmpty || releasedSeq <= takenSeq) && !closing && poison == nil {
                if !condition.wait(until: Date(timeIntervalSinceNow: Double(options.idleTickMilliseconds) / 1000)) {
                    idle = true
                    break
                }
            }
            writerWait = .busy
            if idle && queued.isEmpty {
                condition.unlock()
                idleObserver?()
                continue
            }
            if (queued.isEmpty && closing) || poison != nil {
                let (waiting, error) = finishWriter()
                condition.unlock()
                for waiter in waiting { waiter.tell(.failure(error)) }
                return
            }
            // Group commit: give the appenders acknowledged by the previous commit a moment to
            // send their next records, so that one fdatasync serves them all.
            if options.groupCommitWaitMicros > 0 && queued.count < targetBatchRecords && !closing {
                let deadline = Date(timeIntervalSinceNow: Double(options.groupCommitWaitMicros) / 1_000_000)
                writerWait = .gathering
                while queued.count < targetBatchRecords && !closing && poison == nil {
                    if !condition.wait(until: deadline) { break }
                }
                writerWait = .busy
            }
            swap(&queued, &writerQueued)
            let batchFirstSeq = takenSeq + 1
            let batchLastSeq = lastEnqueuedSeq
            takenSeq = batchLastSeq
            let batchRecords = writerQueued.count
            condition.unlock()

            // Outside the lock: check, encode, chain and hash the lines, then write and sync them.
            let outcome: Result<(writeMicros: Int64, syncMicros: Int64), LedgerError>
            if let refusal = sealer.seal(writerQueued, firstSeq: batchFirstSeq, into: &writeBuffer, leaves: &writerLeaves, breaks: &writerBreaks) {
                outcome = .failure(.poisoned("record \(refusal.seq) was not written, nor any record of its commit: \(refusal.problem)"))
            } else {
                do {
                    outcome = .success(try segmentWriter.writeAndSync(writeBuffer, breaks: writerBreaks))
                } catch {
                    outcome = .failure(error)
                }
            }
            writerQueued.removeAll()
            let batchBytes = writeBuffer.count
            writeBuffer.removeAll(keepingCapacity: true)
            writerBreaks.removeAll(keepingCapacity: true)
            if case .success = outcome {
                merkle.withLock { tree in for leaf in writerLeaves { tree.append(leaf) } }
            }
            writerLeaves.removeAll(keepingCapacity: true)

            condition.lock()
            var ready: [DurabilityWaiter] = []
            var failed: [DurabilityWaiter] = []
            switch outcome {
            case .success:
                durable = batchLastSeq
                // Everything acknowledged now plus what queued up meanwhile is the load in flight.
                targetBatchRecords = min(batchRecords + queued.count, 4_096)
                waiters.removeAll { waiter in
                    guard waiter.seq <= batchLastSeq else { return false }
                    ready.append(waiter.waiter)
                    return true
                }
            case .failure(let error):
                poison = error
                failed = waiters.map(\.waiter)
                waiters.removeAll()
            }
            condition.broadcast()
            let poisonNow = poison
            condition.unlock()
            for waiter in ready { waiter.tell(.success(())) }
            if let poisonNow {
                for waiter in failed { waiter.tell(.failure(poisonNow)) }
                if case .failure = outcome { poisonObserver?(poisonNow) }
            }
            if case .success(let timing) = outcome {
                commitObserver?(CommitStatistics(records: Int(batchLastSeq - batchFirstSeq + 1), bytes: batchBytes,
                                                 writeMicros: timing.writeMicros, syncMicros: timing.syncMicros,
                                                 durableSeq: batchLastSeq))
            }
        }
    }

    /// Called with the lock held when the writer stops; returns what to notify once unlocked.
    private func finishWriter() -> (waiting: [DurabilityWaiter], error: LedgerError) {
        writerFinished = true
        let waiting = waiters.map(\.waiter)
        waiters.removeAll()
        condition.broadcast()
        return (waiting, poison ?? .closed)
    }

    /// Before reading what an earlier run wrote, makes it durable and reads it from the device.
    ///
    /// A run that was killed (or whose disk failed) may have left records that reached the page
    /// cache but were never synced; once read back they count as durable, and a resend is
    /// answered as a replay. So the newest two segments (a crash can fall between syncing one
    /// and starting the next) are `fdatasync`ed first — a failure refuses to open, naming the
    /// file — and their clean pages dropped: after a failed write-back the kernel may have kept
    /// pages that never reached the device, and the scan must see what the device holds. The
    /// directory is synced too (a segment created just before a crash may be continued).
    static func settleEarlierWrites(directory: String, fileSystem: any LedgerFileSystem) throws(LedgerError) {
        for segment in try SegmentDirectory.list(directory, fileSystem: fileSystem).suffix(2) {
            let descriptor = try segment.open(with: fileSystem, flags: O_RDONLY)
            defer { fileSystem.close(descriptor) }
            do {
                try fileSystem.synchronizeData(descriptor)
            } catch {
                throw LedgerError.io(operation: "syncing what the previous run wrote to (refusing to open: those records may not be on the device)",
                                     path: segment.path, errno: error.code)
            }
            fileSystem.dropCachedPages(descriptor)
        }
        // The newest segment may have been created by a run that stopped before syncing its
        // directory entry; records acknowledged into it must not depend on that entry surviving.
        do { try fileSystem.synchronizeDirectory(directory) } catch {
            throw LedgerError.io(operation: "syncing the segment directory (refusing to open: a segment's entry may not be on the device)",
                                 path: directory, errno: error.code)
        }
    }
}

/// Microseconds from a monotonic clock, for durations.
public enum MonotonicClock {
    /// Microseconds since an arbitrary fixed point.
    public static func micros() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }
}
