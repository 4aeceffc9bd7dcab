import Foundation
import Synchronization

/// What a server's event loops share: one mailbox per loop (the accepting loop hands each new
/// connection to the next loop in turn through them) and the count of open connections, which
/// `HTTPServerLimits.maxConnections` bounds across all loops.
final class EventLoopGroup: Sendable {
    /// Loops a server runs when not told otherwise: one per two processors the process may use
    /// (at least one, at most ``maxLoops``). The loops do the request work of the handlers that
    /// answer on them; the other half is left to the threads beside them — the storage writer,
    /// the Task pool, a log writer, and on a test machine the load generator.
    static var defaultLoopCount: Int { min(max(1, ProcessInfo.processInfo.activeProcessorCount / 2), maxLoops) }
    /// The most loops a server runs.
    static let maxLoops = 64

    let mailboxes: [EventLoopMailbox]
    /// Open connections across all loops; changed and reported under this lock, so an observer
    /// sees the counts in the order they happened.
    private let open = Mutex(0)
    private let observer: (any HTTPServerObserver)?
    /// Set once the accepting loop has closed its listener: no connection is handed over after.
    private let acceptingStopped = Atomic<Bool>(false)

    /// `count` fresh mailboxes (the server keeps it within 1...``maxLoops``); `observer` hears
    /// every change of the open-connection count.
    init(count: Int, observer: (any HTTPServerObserver)?) throws(HTTPServerError) {
        var mailboxes: [EventLoopMailbox] = []
        for _ in 0..<count {
            do throws(HTTPServerError) { mailboxes.append(try EventLoopMailbox()) } catch {
                for mailbox in mailboxes { _ = mailbox.close() }
                throw error
            }
        }
        self.mailboxes = mailboxes
        self.observer = observer
    }

    /// Counts a connection in unless `limit` are already open; false when over the limit.
    /// The accepting loop has closed its listener (it hands over nothing more).
    func stopAccepting() { acceptingStopped.store(true, ordering: .releasing) }

    /// Whether the accepting loop has closed its listener.
    var hasStoppedAccepting: Bool { acceptingStopped.load(ordering: .acquiring) }

    func admitConnection(limit: Int) -> Bool {
        open.withLock { open in
            guard open < limit else { return false }
            open += 1
            observer?.openConnectionsChanged(to: open)
            return true
        }
    }

    /// Counts a closed connection out.
    func connectionClosed() {
        open.withLock { open in
            open -= 1
            observer?.openConnectionsChanged(to: open)
        }
    }
}
