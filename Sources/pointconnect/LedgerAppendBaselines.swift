#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PointLedger

/// The physical limits `bench ledger` prints beside its group-commit figure, measured in the same
/// run on the same disk, so that a figure can be read against what the machine allows at all.
///
/// With N appenders that each keep one record in flight, one `fdatasync` can cover at most N
/// records, so no group commit exceeds N records per write + `fdatasync` of N records. Two
/// baselines bound it from above:
/// - ``writeAndSync(recordsPerSync:lineBytes:syncs:path:)`` with N records per write + `fdatasync`,
///   back to back on one thread — the ceiling if every sync carried every appender and waking and
///   resubmitting the appenders took no time (with 1 record, the serial limit);
/// - ``bareGroupCommit(appenders:records:lineBytes:gatherAll:path:)``: N tasks and one writer thread
///   doing exactly the ledger's round trip (queue a waiter, write + `fdatasync` what is queued,
///   resume every waiter) with no record work at all — no encoding, hashing or chaining.
enum LedgerAppendBaselines {
    /// A measured rate and the mean records per `fdatasync`.
    struct Rate {
        var recordsPerSecond: Double
        var recordsPerSync: Double
        var meanSyncMicros: Double
    }

    /// `syncs` rounds of one write of `recordsPerSync` lines of `lineBytes` bytes and one
    /// `fdatasync`, appended to a fresh file at `path`, on a dedicated thread.
    static func writeAndSync(recordsPerSync records: Int, lineBytes: Int, syncs: Int, path: String) throws -> Rate {
        let bytes = [UInt8](repeating: 0x61, count: records * lineBytes)
        let outcome = onDedicatedThread { () -> Result<Rate, UsageError> in
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o640)
            guard descriptor >= 0 else { return .failure(UsageError("cannot create \(path): errno \(errno)")) }
            defer { close(descriptor); unlink(path) }
            let start = MonotonicClock.micros()
            for _ in 0..<syncs {
                let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                guard written == bytes.count, fdatasync(descriptor) == 0 else {
                    return .failure(UsageError("write or fdatasync of \(path) failed: errno \(errno)"))
                }
            }
            let micros = Double(max(MonotonicClock.micros() - start, 1))
            return .success(Rate(recordsPerSecond: Double(records * syncs) / micros * 1e6,
                                 recordsPerSync: Double(records), meanSyncMicros: micros / Double(syncs)))
        }
        return try outcome.get()
    }

    /// `appenders` tasks append `records` empty records in all, each waiting for its record to be
    /// synced before sending the next; one writer thread writes `lineBytes` per queued record and
    /// `fdatasync`s, then resumes the batch. With `gatherAll`, the writer waits (up to 2 ms) until
    /// every appender has a record queued, so every sync carries all of them.
    static func bareGroupCommit(appenders: Int, records: Int, lineBytes: Int, gatherAll: Bool, path: String) async throws -> Rate {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o640)
        guard descriptor >= 0 else { throw UsageError("cannot create \(path): errno \(errno)") }
        defer { close(descriptor); unlink(path) }
        let writer = BareGroupCommitWriter(descriptor: descriptor, lineBytes: lineBytes,
                                           gather: gatherAll ? appenders : 1, maxBatch: appenders)
        let thread = Thread { writer.run() }
        thread.name = "bench-bare-writer"
        thread.start()
        let perAppender = records / appenders
        let start = MonotonicClock.micros()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<appenders {
                group.addTask {
                    for _ in 0..<perAppender {
                        await withCheckedContinuation { writer.submit($0) }
                    }
                }
            }
        }
        let micros = Double(max(MonotonicClock.micros() - start, 1))
        let (syncs, syncMicros, failed) = writer.stop()
        if failed { throw UsageError("bare group commit: a write or fdatasync failed") }
        return Rate(recordsPerSecond: Double(perAppender * appenders) / micros * 1e6,
                    recordsPerSync: Double(perAppender * appenders) / Double(max(syncs, 1)),
                    meanSyncMicros: Double(syncMicros) / Double(max(syncs, 1)))
    }

    /// Runs `body` on a new thread (blocking I/O stays off the cooperative pool) and waits for it.
    private static func onDedicatedThread<Value>(_ body: @escaping @Sendable () -> Value) -> Value {
        let box = ResultBox<Value>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.value = body()
            done.signal()
        }
        thread.start()
        done.wait()
        guard let value = box.value else { preconditionFailure("the baseline thread ended without a result") }
        return value
    }

    private final class ResultBox<Value>: @unchecked Sendable {
        var value: Value?
    }
}

/// The writer of ``LedgerAppendBaselines/bareGroupCommit(appenders:records:lineBytes:gatherAll:path:)``:
/// the ledger's commit loop with nothing but the write, the sync and the wake-ups. Its state is
/// guarded by `condition`, hence `@unchecked Sendable`.
private final class BareGroupCommitWriter: @unchecked Sendable {
    private let condition = NSCondition()
    private var queued: [CheckedContinuation<Void, Never>] = []
    private var writerIdle = false
    private var stopping = false
    private var finished = false
    private var syncs = 0
    private var syncMicros: Int64 = 0
    private var failed = false
    private let descriptor: Int32
    private let bytes: [UInt8]
    private let lineBytes: Int
    private let gather: Int

    init(descriptor: Int32, lineBytes: Int, gather: Int, maxBatch: Int) {
        self.descriptor = descriptor
        self.lineBytes = lineBytes
        self.gather = gather
        bytes = [UInt8](repeating: 0x61, count: lineBytes * maxBatch)
        queued.reserveCapacity(maxBatch)
    }

    func submit(_ continuation: CheckedContinuation<Void, Never>) {
        condition.lock()
        queued.append(continuation)
        let wake = writerIdle && (queued.count >= gather || queued.count == 1)
        condition.unlock()
        if wake { condition.signal() }
    }

    func run() {
        var batch: [CheckedContinuation<Void, Never>] = []
        batch.reserveCapacity(bytes.count / lineBytes)
        while true {
            condition.lock()
            writerIdle = true
            while queued.isEmpty && !stopping { condition.wait() }
            if queued.count < gather && !stopping {
                let deadline = Date(timeIntervalSinceNow: 0.002)
                while queued.count < gather && !stopping {
                    if !condition.wait(until: deadline) { break }
                }
            }
            writerIdle = false
            if queued.isEmpty && stopping {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            swap(&batch, &queued)
            condition.unlock()

            let count = min(batch.count * lineBytes, bytes.count)
            let start = MonotonicClock.micros()
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, count) }
            let synced = written == count && fdatasync(descriptor) == 0
            let took = MonotonicClock.micros() - start
            condition.lock()
            syncs += 1
            syncMicros += took
            if !synced { failed = true }
            condition.unlock()
            // A failed write still resumes the appenders; the run then reports the failure.
            for continuation in batch { continuation.resume() }
            batch.removeAll(keepingCapacity: true)
        }
    }

    /// Stops the writer once the queue is empty; returns syncs, time in sync and whether any failed.
    func stop() -> (syncs: Int, syncMicros: Int64, failed: Bool) {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        let result = (syncs, syncMicros, failed)
        condition.unlock()
        return result
    }
}
