#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PointCrypto

/// When and how checkpoints are taken.
public struct CheckpointOptions: Sendable {
    /// The checkpoint origin line (names the log), e.g. `pointconnect.sandbox/ledger`.
    public var origin: String
    /// The signed-note key name; `nil` uses the origin (the tlog-checkpoint convention).
    public var keyName: String?
    /// Take a checkpoint once this many records became durable since the last one.
    public var everyRecords: UInt64
    /// Take a checkpoint when records are waiting and this long passed since the last one.
    public var intervalMilliseconds: Int
    /// False: checkpoints are taken only by ``LedgerStore/checkpoint()`` (and on close).
    public var automatic: Bool
    /// The wall clock for the checkpoint `time`, in microseconds since 1970.
    public var clock: @Sendable () -> Int64
    /// Where background checkpoint failures are reported.
    public var log: @Sendable (String) -> Void

    public init(
        origin: String = "pointconnect.sandbox/ledger",
        keyName: String? = nil,
        everyRecords: UInt64 = 10_000,
        intervalMilliseconds: Int = 1_000,
        automatic: Bool = true,
        clock: @escaping @Sendable () -> Int64 = CheckpointOptions.systemClock,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.origin = origin
        self.keyName = keyName
        self.everyRecords = max(1, everyRecords)
        self.intervalMilliseconds = max(1, intervalMilliseconds)
        self.automatic = automatic
        self.clock = clock
        self.log = log
    }

    /// The system's real-time clock in microseconds.
    @Sendable public static func systemClock() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }
}

/// Takes signed checkpoints of a ledger on its own thread ("ledger-checkpointer"): every
/// ``CheckpointOptions/everyRecords`` durable records, every ``CheckpointOptions/intervalMilliseconds``
/// while records are waiting, and on demand. Each checkpoint is signed, appended to
/// `checkpoints.jsonl` and fdatasync'ed before anyone sees it. A failed append stops
/// checkpointing (the file may end in a partial line, cut off at the next open); appends to the
/// ledger go on.
public final class Checkpointer: @unchecked Sendable {
    // Mutable state is guarded by `condition`.
    private let condition = NSCondition()
    private let options: CheckpointOptions
    private let keyName: String
    private let signingKey: Ed25519PrivateKey
    private let writer: CheckpointLogWriter
    private var ledger: Ledger?
    private var latest: SignedCheckpoint?
    private var durableHint: UInt64 = 0
    private var lastCheckpointMicros = MonotonicClock.micros()
    private var requests: [CheckedContinuation<Result<SignedCheckpoint, LedgerError>, Never>] = []
    private var failure: LedgerError?
    private var stopping = false
    private var stopped = false
    private var stopCompleted = false
    private var finished = false
    private var started = false

    init(options: CheckpointOptions, signingKey: Ed25519PrivateKey, writer: CheckpointLogWriter, latest: SignedCheckpoint?) {
        self.options = options
        self.keyName = options.keyName ?? options.origin
        self.signingKey = signingKey
        self.writer = writer
        self.latest = latest
        self.durableHint = latest?.size ?? 0
    }

    /// Attaches the ledger and starts the thread.
    func start(ledger: Ledger) {
        condition.lock()
        self.ledger = ledger
        durableHint = max(durableHint, ledger.durableSeq)
        started = true
        condition.unlock()
        let thread = Thread { [self] in run() }
        thread.name = "ledger-checkpointer"
        thread.start()
    }

    /// The newest signed checkpoint.
    public var latestCheckpoint: SignedCheckpoint? {
        condition.lock()
        defer { condition.unlock() }
        return latest
    }

    /// The failure that stopped checkpointing, if any.
    public var failureReason: LedgerError? {
        condition.lock()
        defer { condition.unlock() }
        return failure
    }

    /// Called on the ledger's writer thread after each commit: cheap, never blocks on I/O.
    func noteCommit(durableSeq: UInt64) {
        condition.lock()
        let covered = latest?.size ?? 0
        let wasIdle = durableHint <= covered
        durableHint = durableSeq
        // Wake the thread when it slept with nothing to do (to arm the interval) or a batch is full.
        if options.automatic && durableSeq > covered && (wasIdle || durableSeq - covered >= options.everyRecords) { condition.broadcast() }
        condition.unlock()
    }

    /// Signs and stores a checkpoint of every durable record now, and returns it; when nothing
    /// was added since the newest checkpoint, returns that one.
    public func checkpoint() async throws(LedgerError) -> SignedCheckpoint {
        let result: Result<SignedCheckpoint, LedgerError> = await withCheckedContinuation { continuation in
            condition.lock()
            if let failure {
                condition.unlock()
                continuation.resume(returning: .failure(failure))
            } else if stopping || finished || !started {
                condition.unlock()
                continuation.resume(returning: .failure(.closed))
            } else {
                requests.append(continuation)
                condition.broadcast()
                condition.unlock()
            }
        }
        return try result.get()
    }

    /// Stops the thread after finishing queued requests; then takes a last checkpoint of any
    /// durable records not yet covered (when automatic). Blocks until done.
    func stop() {
        condition.lock()
        guard started else { condition.unlock(); return }
        if stopped {
            // Another caller is stopping it: wait until it is done, as the first caller does.
            while !stopCompleted { condition.wait() }
            condition.unlock()
            return
        }
        stopped = true   // one caller takes the last checkpoint and closes the writer
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        let ledger = self.ledger
        condition.unlock()
        if options.automatic, let ledger {
            if case .failure(let error) = take(ledger: ledger, forced: false) { options.log("checkpoints: the last checkpoint at close failed: \(error)") }
        }
        writer.close()
        condition.lock()
        self.ledger = nil
        stopCompleted = true
        condition.broadcast()
        condition.unlock()
    }

    private func run() {
        condition.lock()
        while true {
            if stopping && requests.isEmpty { break }
            let covered = latest?.size ?? 0
            let waiting = durableHint > covered ? durableHint - covered : 0
            let deadline = lastCheckpointMicros + Int64(options.intervalMilliseconds) * 1_000
            let automaticDue = options.automatic && failure == nil && waiting > 0 && !stopping
                && (waiting >= options.everyRecords || MonotonicClock.micros() >= deadline)
            guard !requests.isEmpty || automaticDue else {
                if options.automatic && waiting > 0 && failure == nil {
                    _ = condition.wait(until: Date(timeIntervalSinceNow: Double(max(0, deadline - MonotonicClock.micros())) / 1_000_000))
                } else {
                    condition.wait()
                }
                continue
            }
            let answering = requests
            requests.removeAll()
            let ledger = self.ledger
            condition.unlock()
            var outcome: Result<SignedCheckpoint?, LedgerError> = .failure(.closed)
            if let ledger { outcome = take(ledger: ledger, forced: !answering.isEmpty) }
            let reply: Result<SignedCheckpoint, LedgerError>
            switch outcome {
            case .success(let checkpoint?): reply = .success(checkpoint)
            case .success(nil): reply = .failure(.closed) // not forced, so nobody is waiting
            case .failure(let error): reply = .failure(error)
            }
            for continuation in answering { continuation.resume(returning: reply) }
            condition.lock()
            lastCheckpointMicros = MonotonicClock.micros()
        }
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Takes one checkpoint (on the calling thread, which may block on I/O). Not forced: `nil`
    /// when nothing new is durable.
    private func take(ledger: Ledger, forced: Bool) -> Result<SignedCheckpoint?, LedgerError> {
        condition.lock()
        let previous = latest
        let failed = failure
        condition.unlock()
        if let failed { return .failure(failed) }
        let size = ledger.durableSeq
        if let previous, previous.size >= size { return .success(forced ? previous : nil) }
        if previous == nil && size == 0 && !forced { return .success(nil) }
        do throws(LedgerError) {
            let checkpoint = Checkpoint(origin: options.origin, size: size, root: try ledger.root(size: size))
            let note: String
            do { note = try SignedNote.sign(checkpoint.body, keyName: keyName, privateKey: signingKey) } catch {
                throw LedgerError.checkpointKey(path: CheckpointKeys.privateKeyPath, reason: "signing checkpoint \(size) failed: \(error)")
            }
            let signed = SignedCheckpoint(checkpoint: checkpoint, note: note, time: max(options.clock(), previous?.time ?? 0))
            try writer.append(signed.jsonLine)
            condition.lock()
            latest = signed
            condition.unlock()
            return .success(signed)
        } catch {
            condition.lock()
            failure = error
            condition.unlock()
            options.log("checkpoints: stopped taking checkpoints: \(error)")
            return .failure(error)
        }
    }
}
