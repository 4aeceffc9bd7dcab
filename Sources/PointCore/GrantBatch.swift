/// The result of one grant of a batch. A grant's orderId and points are the item's own (a
/// replay repeats the original's content exactly), so an outcome carries only the record.
public enum GrantOutcome: Sendable, Equatable {
    /// Granted now, in the ledger record `seq`.
    case granted(seq: UInt64)
    /// The orderId was granted before with the same content: the original grant's record.
    case replayed(seq: UInt64)
    case refused(DomainError)
}

extension PointsDomain {
    /// Decides and applies grants one by one, so later items see earlier ones (a repeated
    /// orderId inside the batch replays or conflicts). `write` puts each new event in the
    /// ledger and returns its seq and time; if it throws, the batch stops there and the error
    /// is rethrown — events already written stay applied, nothing after is decided.
    public mutating func grantBatch(
        _ commands: some Collection<GrantPointsCommand>, now: Int64,
        write: (DomainEvent) throws(DomainError) -> (seq: UInt64, time: Int64)
    ) throws(DomainError) -> [GrantOutcome] {
        guard !commands.isEmpty, commands.count <= Self.maxBatchGrants else {
            throw DomainError.invalid([DomainError.Detail(property: "grants", message: "must hold 1 to \(Self.maxBatchGrants) grants")])
        }
        var outcomes: [GrantOutcome] = []
        outcomes.reserveCapacity(commands.count)
        for command in commands {
            let decision: Decision
            do {
                decision = try decide(command, now: now)
            } catch {
                outcomes.append(.refused(error))
                continue
            }
            switch decision {
            case .replay(let originalSeq, _):
                outcomes.append(.replayed(seq: originalSeq))
            case .append(let event):
                let written = try write(event)
                try apply(event, seq: written.seq, time: written.time)
                outcomes.append(.granted(seq: written.seq))
            }
        }
        return outcomes
    }
}
