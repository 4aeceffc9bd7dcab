import Foundation
import PointCore
import PointCrypto
import PointLedger
import Synchronization

/// Why the service refused or could not finish a command.
public enum ServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The domain refused the command; nothing was written.
    case domain(DomainError)
    /// The ledger could not take or keep the record: nothing was acknowledged.
    case ledger(LedgerError)

    /// The underlying error's own words (what a command line prints).
    public var description: String {
        switch self {
        case .domain(let error): return error.description
        case .ledger(let error): return error.description
        }
    }
}

/// What a write produced: the ledger record that holds it (for an idempotent replay of an
/// earlier command, the original record).
public struct CommandReceipt: Sendable, Equatable {
    /// The record's seq and time.
    public let seq: UInt64
    public let time: Int64
    /// The record's RFC 6962 leaf hash, known once it is durable: set by the calls that wait for
    /// that (``PointService/execute(_:)``), nil from ``PointService/enqueue(_:)`` and for a replay
    /// (then it is ``PointLedger/Ledger/leafHash(seq:)`` of `seq`).
    public let leafHash: SHA256Digest?
    /// True when the command repeated an earlier one and nothing new was written.
    public let isReplay: Bool
}

/// The points service: the domain state behind a lock, fed by the ledger.
///
/// A write decides against the current state, enqueues the event in the ledger and applies it
/// — all under one lock, so the state always equals the fold of the enqueued records — then
/// waits, outside the lock, until the record is durable. Nothing is acknowledged before its
/// bytes are on disk; if the ledger fails, the service refuses writes until restart.
public final class PointService: Sendable {
    private struct State: ~Copyable {
        var domain: PointsDomain
        var lastTime: Int64
        /// Billing: the settlement folded from the same events (see ``SettlementFold``).
        var settlement: SettlementFold
    }

    private let state: Mutex<State>
    /// Batches take turns here before their chunks take the state lock.
    private let batchTurns = AsyncTurnQueue(limit: 1_024)
    /// The ledger with its signed checkpoints and proofs.
    public let store: LedgerStore
    /// The ledger holding every event.
    public let ledger: Ledger
    public let clock: ServiceClock

    /// Opens the data directory (ledger, signed checkpoints, signing key), replaying every
    /// record into the domain. `fileSystem` is what the ledger and checkpoints go through (tests
    /// pass a ``FaultInjectingFileSystem``).
    public static func open(
        dataDirectory: String, clock: ServiceClock = .system, options: LedgerOptions = LedgerOptions(),
        checkpointOptions: CheckpointOptions = CheckpointOptions(), fileSystem: any LedgerFileSystem = PosixFileSystem(),
        log: @escaping (String) -> Void = { _ in }, commitObserver: (@Sendable (CommitStatistics) -> Void)? = nil
    ) throws(ServiceError) -> PointService {
        // The ledger reports a failure to create its own directory precisely; this only makes the parents.
        try? FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        var replay = LedgerReplay(strictSettlement: true)
        var replayError: DomainError?
        let store: LedgerStore
        do {
            store = try LedgerStore.open(dataDirectory: dataDirectory, options: options, checkpointOptions: checkpointOptions,
                                         fileSystem: fileSystem, log: log,
                                         commitObserver: commitObserver, replay: { (record) throws(LedgerError) in
                do throws(DomainError) {
                    try replay.apply(type: record.type, seq: record.seq, time: record.time, data: record.data)
                } catch {
                    replayError = error
                    throw LedgerError.invalidEntry("record \(record.seq) (\(record.type)) does not replay: \(error.message)")
                }
            })
        } catch {
            if let replayError { throw .domain(replayError) }
            throw .ledger(error)
        }
        return PointService(store: store, domain: replay.domain, settlement: replay.settlement, clock: clock)
    }

    private init(store: LedgerStore, domain: PointsDomain, settlement: SettlementFold, clock: ServiceClock) {
        self.store = store
        self.ledger = store.ledger
        self.clock = clock
        self.state = Mutex(State(domain: domain, lastTime: domain.lastTime, settlement: settlement))
    }

    /// Reads the state under the lock. Keep `body` short: writes wait for it.
    public func read<Result: Sendable>(_ body: (borrowing PointsDomain) -> Result) -> Result {
        state.withLock { body($0.domain) }
    }

    /// Decides a command against the state at the service's current time, writes its event
    /// (if any) and waits until it is durable.
    public func execute(
        _ decide: (borrowing PointsDomain, _ now: Int64) throws(DomainError) -> Decision
    ) async throws(ServiceError) -> CommandReceipt {
        let receipt = try enqueue(decide)
        // A replay is answered only once the original record is durable: it may still be in
        // flight, or its write may have failed (then this fails too, and nothing is acknowledged).
        try await waitUntilDurable(receipt.seq)
        return withLeafHash(receipt)
    }

    /// `receipt` with the leaf hash of its (durable) record when it wrote one.
    private func withLeafHash(_ receipt: CommandReceipt) -> CommandReceipt {
        guard !receipt.isReplay, receipt.leafHash == nil, let leafHash = try? ledger.leafHash(seq: receipt.seq) else { return receipt }
        return CommandReceipt(seq: receipt.seq, time: receipt.time, leafHash: leafHash, isReplay: false)
    }

    /// The first half of ``execute(_:)``, for callers that must not suspend: decides, queues the
    /// event in the ledger and applies it, and returns its receipt — not yet durable. Answer
    /// nothing about it before ``whenDurable(seq:_:)`` reports success.
    public func enqueue(
        _ decide: (borrowing PointsDomain, _ now: Int64) throws(DomainError) -> Decision
    ) throws(ServiceError) -> CommandReceipt {
        try enqueue(decide, thenRead: { _, _ in () }).receipt
    }

    /// ``enqueue(_:)``, and `read` run on the state right after the event is applied, with the
    /// write's receipt, in the same hold of the lock (what the answer shows, without taking the
    /// lock again).
    public func enqueue<Read>(
        _ decide: (borrowing PointsDomain, _ now: Int64) throws(DomainError) -> Decision,
        thenRead read: (borrowing PointsDomain, CommandReceipt) -> Read
    ) throws(ServiceError) -> (receipt: CommandReceipt, read: Read) {
        try state.withLock { (state) throws(ServiceError) -> (receipt: CommandReceipt, read: Read) in
            let now = max(clock.now(), state.lastTime)
            let decision: Decision
            do throws(DomainError) { decision = try decide(state.domain, now) } catch { throw .domain(error) }
            let receipt: CommandReceipt
            switch decision {
            case .replay(let originalSeq, let originalTime):
                receipt = CommandReceipt(seq: originalSeq, time: originalTime, leafHash: nil, isReplay: true)
            case .append(let event):
                receipt = try Self.write(event, now: now, into: &state, ledger: ledger)
            }
            return (receipt, read(state.domain, receipt))
        }
    }

    /// Calls `notify` once the record `seq` and every one before it are durable, or with the
    /// ledger's failure: on the ledger's writer thread right after its commit, or at once when
    /// that is already decided. `notify` must be short and never block.
    public func whenDurable(seq: UInt64, _ notify: @escaping @Sendable (Result<Void, ServiceError>) -> Void) {
        ledger.whenDurable(seq) { result in notify(result.mapError { .ledger($0) }) }
    }

    /// ``whenDurable(seq:_:)`` telling an object, kept as it is (no closure made per wait); its
    /// failure is the ledger's (``ServiceError/ledger(_:)`` as the closure form reports it).
    public func whenDurable(seq: UInt64, waiter: any LedgerDurabilityWaiter) {
        ledger.whenDurable(seq, waiter: waiter)
    }

    /// Grants a batch: a result per item, one durable wait for the whole batch.
    ///
    /// Batches take turns (``AsyncTurnQueue``: a waiting batch suspends instead of holding a
    /// cooperative thread) and, in its turn, a batch holds the state lock for
    /// ``batchChunkGrants`` items at a time, so single grants and reads — every merchant
    /// request reads its allowlist — wait at most one chunk, not a whole batch. Items are
    /// decided in order either way; requests between two chunks are decided between them.
    ///
    /// A batch holds one merchant's grants (the API builds every item with the signed merchant's
    /// ID) and is granted in one environment: if its merchant goes live between two of its
    /// chunks, the items not decided yet are refused (`environment_changed`) instead of becoming
    /// production grants — a repeated orderId among them would otherwise be a second, billed
    /// grant rather than a replay of the test grant made earlier in the same batch.
    public func grantBatch(_ commands: [GrantPointsCommand]) async throws(ServiceError) -> [GrantOutcome] {
        try await grantBatch(commands, betweenChunks: nil)
    }

    /// ``grantBatch(_:)`` with `betweenChunks` run before every chunk after the first (tests
    /// make a change between two chunks with it).
    func grantBatch(_ commands: [GrantPointsCommand], betweenChunks: (() async -> Void)?) async throws(ServiceError) -> [GrantOutcome] {
        var environment: MerchantEnvironment?
        guard !commands.isEmpty, commands.count <= PointsDomain.maxBatchGrants else {
            defer { ledger.wakeWriter() }
            return try grantChunk(commands[...], environment: &environment).outcomes   // the domain refuses the batch's size
        }
        do {
            try await batchTurns.takeTurn()
        } catch {
            throw .ledger(.overloaded("\(error.waiting) batches are already waiting for their turn (limit \(batchTurns.limit)); retry later"))
        }
        var outcomes: [GrantOutcome] = []
        outcomes.reserveCapacity(commands.count)
        var lastSeq: UInt64?
        do throws(ServiceError) {
            var start = commands.startIndex
            while start < commands.endIndex {
                let end = min(start + Self.batchChunkGrants, commands.endIndex)
                if start > commands.startIndex, let betweenChunks { await betweenChunks() }
                let chunk = try grantChunk(commands[start..<end], environment: &environment)
                outcomes.append(contentsOf: chunk.outcomes)
                if let chunkLast = chunk.lastSeq { lastSeq = max(lastSeq ?? 0, chunkLast) }
                start = end
            }
        } catch {
            ledger.wakeWriter()
            batchTurns.finishTurn()
            throw error
        }
        // The whole batch's records go to the disk together: one fdatasync instead of one per chunk.
        ledger.wakeWriter()
        batchTurns.finishTurn()
        if let lastSeq { try await waitUntilDurable(lastSeq) }
        return outcomes
    }

    /// Items of a batch decided per hold of the state lock (about a millisecond of work).
    static let batchChunkGrants = 128

    /// Decides, writes and applies one chunk of a batch under the state lock; `lastSeq` is the
    /// highest record its answers depend on (a replayed item's original record included). The
    /// records are queued without waking the ledger's writer: the caller wakes it after the last chunk.
    /// `environment` is the one the batch's first chunk granted in (set by that chunk); a later
    /// chunk finding its merchant in another one refuses all its items.
    private func grantChunk(_ commands: ArraySlice<GrantPointsCommand>,
                            environment: inout MerchantEnvironment?) throws(ServiceError) -> (outcomes: [GrantOutcome], lastSeq: UInt64?) {
        try state.withLock { (state) throws(ServiceError) -> ([GrantOutcome], UInt64?) in
            if let merchantID = commands.first?.merchantID, let current = state.domain.grantEnvironment(merchantID: merchantID) {
                if let batchEnvironment = environment, batchEnvironment != current {
                    let refusal = DomainError(.conflict, code: "environment_changed",
                                              message: "Merchant \(merchantID) went live while this batch was being granted: its earlier items were decided in the \(batchEnvironment.rawValue); this item and those after it were not decided. Send only these again (a new batch) to grant them in \(current.rawValue).")
                    return (commands.map { _ in .refused(refusal) }, nil)
                }
                environment = current
            }
            let now = max(clock.now(), state.lastTime)
            var lastSeq: UInt64?
            var ledgerFailure: LedgerError?
            var written: [(event: DomainEvent, seq: UInt64, time: Int64)] = []
            written.reserveCapacity(commands.count)
            defer { Self.settle(written, into: &state) }
            let ledger = self.ledger
            do throws(DomainError) {
                let outcomes = try state.domain.grantBatch(commands, now: now) { (event) throws(DomainError) -> (seq: UInt64, time: Int64) in
                    do throws(LedgerError) {
                        let record = try ledger.enqueue(LedgerEntry(type: event.type, canonicalData: event.canonicalLedgerData, time: now),
                                                        wakingWriter: false)
                        lastSeq = record.seq
                        written.append((event, record.seq, record.time))
                        return (record.seq, record.time)
                    } catch {
                        ledgerFailure = error
                        throw DomainError(.forbidden, code: "ledger_unavailable", message: error.description)
                    }
                }
                state.lastTime = max(state.lastTime, state.domain.lastTime)
                // A replayed item's original record must be durable too before anything is answered.
                var highest = lastSeq ?? 0
                for outcome in outcomes { if case .replayed(let seq) = outcome { highest = max(highest, seq) } }
                return (outcomes, highest == 0 ? nil : highest)
            } catch {
                if let ledgerFailure { throw .ledger(ledgerFailure) }
                throw .domain(error)
            }
        }
    }

    /// Stops accepting writes, lets the ledger finish syncing what it has, and closes it.
    public func close() {
        store.close()
    }

    private static func write(_ event: DomainEvent, now: Int64, into state: inout State, ledger: Ledger) throws(ServiceError) -> CommandReceipt {
        let record: AppendedRecord
        do {
            record = try ledger.enqueue(LedgerEntry(type: event.type, canonicalData: event.canonicalLedgerData, time: now))
        } catch {
            throw .ledger(error)
        }
        do {
            try state.domain.apply(event, seq: record.seq, time: record.time)
            try state.settlement.apply(event, seq: record.seq, time: record.time, domain: state.domain)
        } catch {
            // Unreachable for events from `decide`; the record is in the ledger, so the
            // service must not go on with a state that differs from it.
            fatalError("applying a decided event failed: \(error)")
        }
        state.lastTime = record.time
        return CommandReceipt(seq: record.seq, time: record.time, leafHash: nil, isReplay: false)
    }

    /// Returns once the record `seq` is durable; throws the ledger's failure otherwise.
    func waitUntilDurable(_ seq: UInt64) async throws(ServiceError) {
        do { try await ledger.waitUntilDurable(seq) } catch { throw .ledger(error) }
    }
}

// MARK: - Settlement (finance)

/// What closing a period did.
public struct PeriodCloseOutcome: Sendable, Equatable {
    /// The documents of the period as issued (invoices and sandbox statements), in merchant-id order.
    public let invoices: [Invoice]
    /// When the period was closed (the `now` of the close).
    public let closedAt: Int64
    /// The `period.closed` record (for a replay: the original one, `isReplay` true).
    public let receipt: CommandReceipt
}

extension PointService {
    /// Reads the domain and the settlement under the lock. Keep `body` short: writes wait for it.
    public func readSettlement<Result: Sendable>(_ body: (borrowing PointsDomain, borrowing SettlementFold) -> Result) -> Result {
        state.withLock { body($0.domain, $0.settlement) }
    }

    /// The last record a close of `period` can bill, fixed from now on: once the period has
    /// ended by the service's clock, the service's time is raised to now, so no later record is
    /// stamped inside the period (a clock stepped back included), and every record a close bills
    /// — all of them stamped inside it — is at or before the seq returned. Nil while the period
    /// has not ended (the close then refuses it). A close waits for this record to be durable
    /// before it signs the checkpoint its documents state, so the checkpoint covers all it bills.
    public func lastSeqBillable(closing period: BillingMonth) -> UInt64? {
        state.withLock { state in
            let now = max(clock.now(), state.lastTime)
            guard period.hasEnded(at: now) else { return nil }
            state.lastTime = now
            return ledger.enqueuedSeq
        }
    }

    /// Closes a billing period at the service's current time: writes one `invoice.issued` per
    /// document and then `period.closed`, and waits until they are durable. Closing a closed
    /// period again writes nothing and answers the original documents (`receipt.isReplay`).
    public func closePeriod(_ period: BillingMonth, checkpoint: InvoiceCheckpoint?) async throws(ServiceError) -> PeriodCloseOutcome {
        let outcome = try state.withLock { (state) throws(ServiceError) -> PeriodCloseOutcome in
            let now = max(clock.now(), state.lastTime)
            let decision: SettlementFold.CloseDecision
            do throws(DomainError) {
                let start: SettlementFold.LedgerStart = state.domain.firstTime.map { .at($0) } ?? .empty
                decision = try state.settlement.decideClose(period, now: now, ledgerStart: start, checkpoint: checkpoint)
            } catch { throw .domain(error) }
            switch decision {
            case .alreadyClosed(let done):
                return PeriodCloseOutcome(invoices: done.issued, closedAt: done.closedAt,
                                          receipt: CommandReceipt(seq: done.seq, time: done.closedAt, leafHash: nil, isReplay: true))
            case .close(let events, let invoices):
                var last: CommandReceipt?
                // One append when it fits, so a crash never leaves half a close; a larger close is
                // written in chunks (an interrupted one is superseded by the next close).
                let chunk = LedgerOptions().maxEntriesPerAppend
                var start = 0
                while start < events.count {
                    let slice = Array(events[start..<min(events.count, start + chunk)])
                    last = try Self.write(slice, now: now, into: &state, ledger: ledger)
                    start += slice.count
                }
                guard let last else { throw .domain(DomainError(.rejected, code: "settlement_failed", message: "The close wrote nothing.")) }
                return PeriodCloseOutcome(invoices: invoices, closedAt: now, receipt: last)
            }
        }
        // A repeated close is answered only once the original close is durable.
        try await waitUntilDurable(outcome.receipt.seq)
        return PeriodCloseOutcome(invoices: outcome.invoices, closedAt: outcome.closedAt, receipt: withLeafHash(outcome.receipt))
    }

    /// Writes several events in one append and applies them; the receipt is the last record's.
    private static func write(_ events: [DomainEvent], now: Int64, into state: inout State, ledger: Ledger) throws(ServiceError) -> CommandReceipt {
        let records: [AppendedRecord]
        do {
            records = try ledger.enqueue(events.map { LedgerEntry(type: $0.type, canonicalData: $0.canonicalLedgerData, time: now) })
        } catch {
            throw .ledger(error)
        }
        for (event, record) in zip(events, records) {
            do {
                try state.domain.apply(event, seq: record.seq, time: record.time)
                try state.settlement.apply(event, seq: record.seq, time: record.time, domain: state.domain)
            } catch {
                fatalError("applying a decided event failed: \(error)")
            }
            state.lastTime = record.time
        }
        let last = records[records.count - 1]
        return CommandReceipt(seq: last.seq, time: last.time, leafHash: nil, isReplay: false)
    }

    /// Folds a batch's written grants into the settlement (the domain applied them itself):
    /// each run of one merchant's grants within one open period as one
    /// ``SettlementFold/recordGrantRun(merchantID:time:count:points:firstSeq:firstID:lastSeq:lastID:)``
    /// — the same as folding them one by one, as the ledger replay does — and anything else alone.
    private static func settle(_ written: [(event: DomainEvent, seq: UInt64, time: Int64)], into state: inout State) {
        var index = 0
        while index < written.count {
            if let run = grantRun(written, from: index, settlement: state.settlement),
               case .pointsGranted(let first) = written[index].event, case .pointsGranted(let last) = written[run.end - 1].event {
                state.settlement.recordGrantRun(merchantID: first.merchantID, time: written[index].time, count: Int64(run.end - index),
                                                points: run.points, firstSeq: written[index].seq, firstID: first.orderID,
                                                lastSeq: written[run.end - 1].seq, lastID: last.orderID)
                index = run.end
                continue
            }
            do {
                try state.settlement.apply(written[index].event, seq: written[index].seq, time: written[index].time, domain: state.domain)
            } catch {
                fatalError("folding a written grant into the settlement failed: \(error)")
            }
            index += 1
        }
    }

    /// The run of two or more grants starting at `start` that one merchant made within one open
    /// period without passing its points room: where it ends and its points (nil when there is none).
    private static func grantRun(_ written: [(event: DomainEvent, seq: UInt64, time: Int64)], from start: Int,
                                 settlement: borrowing SettlementFold) -> (end: Int, points: Int64)? {
        guard case .pointsGranted(let first) = written[start].event,
              let window = settlement.book.grantRunWindow(merchantID: first.merchantID, time: written[start].time),
              Int64(first.points) <= window.pointsRoom
        else { return nil }
        var points = Int64(first.points)
        var end = start + 1
        while end < written.count, case .pointsGranted(let next) = written[end].event, next.merchantID == first.merchantID,
              written[end].time >= window.start, written[end].time < window.end, points + Int64(next.points) <= window.pointsRoom {
            points += Int64(next.points)
            end += 1
        }
        return end - start > 1 ? (end, points) : nil
    }
}
