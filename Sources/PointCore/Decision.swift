/// What a valid command leads to: one new event to write, or — for an idempotent repeat of an
/// earlier command — nothing new (the caller answers with the original result, marked as a replay).
public enum Decision: Sendable, Equatable {
    case append(DomainEvent)
    /// The command was done before, by the record at `seq` (written at ledger `time`). A caller
    /// answers only once that record is durable: the state can be ahead of the disk while a
    /// group commit is in flight or after a failed write.
    case replay(seq: UInt64, time: Int64)

    /// True for an idempotent repeat.
    public var isReplay: Bool {
        if case .replay = self { return true }
        return false
    }

    /// The record a replay answers with.
    public static func replay(_ record: RecordReference) -> Decision { .replay(seq: record.seq, time: record.time) }

    /// The event to write, if any.
    public var event: DomainEvent? {
        if case .append(let event) = self { return event }
        return nil
    }
}

/// Which ledger record did something: its seq and time (kept so that a command sent again can
/// be answered with the record it made).
public struct RecordReference: Sendable, Equatable {
    public let seq: UInt64
    public let time: Int64

    public init(seq: UInt64, time: Int64) {
        self.seq = seq
        self.time = time
    }
}
