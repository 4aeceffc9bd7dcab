/// Limits and tuning of a ledger; every buffer and queue is bounded by one of these.
public struct LedgerOptions: Sendable {
    /// A new segment file starts when the current one would grow past this size.
    public var maxSegmentBytes: Int
    /// Most bytes waiting to be written; appends beyond are refused with ``LedgerError/overloaded(_:)``.
    public var maxPendingBytes: Int
    /// Most records in one `enqueue` call.
    public var maxEntriesPerAppend: Int
    /// How often the writer wakes when idle, to run ``Ledger/idleTick`` work such as time-based checkpoints.
    public var idleTickMilliseconds: Int
    /// Longest the writer waits, after a commit, for the appenders it just acknowledged to send
    /// their next records, so that one fdatasync covers all of them (0 disables the wait).
    public var groupCommitWaitMicros: Int

    public init(
        maxSegmentBytes: Int = 64 << 20,
        maxPendingBytes: Int = 64 << 20,
        maxEntriesPerAppend: Int = 10_000,
        idleTickMilliseconds: Int = 1_000,
        groupCommitWaitMicros: Int = 0
    ) {
        self.maxSegmentBytes = maxSegmentBytes
        self.maxPendingBytes = maxPendingBytes
        self.maxEntriesPerAppend = maxEntriesPerAppend
        self.idleTickMilliseconds = idleTickMilliseconds
        self.groupCommitWaitMicros = groupCommitWaitMicros
    }
}

/// A record the ledger accepted: its place in the ledger.
public struct AppendedRecord: Sendable, Equatable {
    /// The record's seq.
    public let seq: UInt64
    /// The record's time as written (never earlier than the previous record's).
    public let time: Int64
    // The line and its hashes are made by the writer thread: once the record is durable, its
    // leaf hash is ``Ledger/leafHash(seq:)``.
}

/// What one group commit wrote, for metrics.
public struct CommitStatistics: Sendable, Equatable {
    /// Records in the batch.
    public let records: Int
    /// Bytes in the batch.
    public let bytes: Int
    /// Time spent in write calls, in microseconds.
    public let writeMicros: Int64
    /// Time spent in fdatasync, in microseconds.
    public let syncMicros: Int64
    /// Highest durable seq after the batch.
    public let durableSeq: UInt64
}

import PointCrypto
