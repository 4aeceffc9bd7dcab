/// What a valid command leads to: one new event to write, or — for an idempotent repeat of an
/// earlier command — nothing new (the caller answers with the original result, marked as a replay).
public enum Decision: Sendable, Equatable {
    case append(DomainEvent)
    case replay

    /// The event to write, if any.
    public var event: DomainEvent? {
        if case .append(let event) = self { return event }
        return nil
    }
}
