/// What a valid command leads to: one new event to write, or — for an idempotent repeat of an
/// earlier command — nothing new (the caller answers with the original result, marked as a replay).
public enum Decision: Sendable, Equatable {
    case append(DomainEvent)
    /// The command was done before, by the record at `seq`. A caller answers only once that
    /// record is durable: the state can be ahead of the disk while a group commit is in flight
    /// or after a failed write.
    case replay(seq: UInt64)

    /// True for an idempotent repeat.
    public var isReplay: Bool {
        if case .replay = self { return true }
        return false
    }

    /// The event to write, if any.
    public var event: DomainEvent? {
        if case .append(let event) = self { return event }
        return nil
    }
}
