/// Told once whether the records it waits for became durable (``Ledger/whenDurable(_:waiter:)``).
/// A waiting object is kept as it is, where a closure waiting for the same costs an allocation
/// of its own per wait.
public protocol LedgerDurabilityWaiter: AnyObject, Sendable {
    /// Called once: on the writer thread right after the commit, with no lock held, or at once on
    /// the calling thread when that is already decided. Must be short and never block.
    func durabilityDecided(_ result: Result<Void, LedgerError>)
}

/// A durability waiter as the ledger keeps it: a closure or an object.
enum DurabilityWaiter: Sendable {
    case closure(Ledger.DurabilityNotification)
    case object(any LedgerDurabilityWaiter)

    /// Tells the waiter the outcome.
    func tell(_ result: Result<Void, LedgerError>) {
        switch self {
        case .closure(let notify): notify(result)
        case .object(let waiter): waiter.durabilityDecided(result)
        }
    }
}
