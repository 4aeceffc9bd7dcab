import Synchronization

/// Gives turns to tasks one at a time, in arrival order, suspending — not blocking — the
/// tasks that wait, so their cooperative threads stay free to parse and answer other requests.
/// At most ``limit`` tasks wait; one more is refused at once.
final class AsyncTurnQueue: Sendable {
    /// Why a task got no turn.
    struct Full: Error, Sendable {
        let waiting: Int
    }

    private struct State {
        var busy = false
        /// Waiting tasks, oldest first from `head` (a FIFO that reuses its storage).
        var waiters: [CheckedContinuation<Int?, Never>] = []
        var head = 0
        var waitingCount: Int { waiters.count - head }
    }

    /// The most tasks that may wait for a turn.
    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        precondition(limit > 0, "a turn queue needs room for at least one waiting task")
        self.limit = limit
    }

    /// Returns when the caller has the turn; it must call ``finishTurn()`` exactly once after.
    func takeTurn() async throws(Full) {
        // Resumed with nil when the turn is the caller's, or with the number waiting when full.
        let refused: Int? = await withCheckedContinuation { (continuation: CheckedContinuation<Int?, Never>) in
            enum Admission { case turn, queued, refused(Int) }
            let admission: Admission = state.withLock { state in
                if !state.busy {
                    state.busy = true
                    return .turn
                }
                guard state.waitingCount < limit else { return .refused(state.waitingCount) }
                state.waiters.append(continuation)
                return .queued
            }
            switch admission {
            case .turn: continuation.resume(returning: nil)
            case .refused(let waiting): continuation.resume(returning: waiting)
            case .queued: break
            }
        }
        if let refused { throw Full(waiting: refused) }
    }

    /// Ends the caller's turn and hands it to the oldest waiting task, if any.
    func finishTurn() {
        let next: CheckedContinuation<Int?, Never>? = state.withLock { state in
            precondition(state.busy, "finishTurn() without a turn")
            guard state.head < state.waiters.count else {
                state.busy = false
                state.waiters.removeAll(keepingCapacity: true)
                state.head = 0
                return nil
            }
            let continuation = state.waiters[state.head]
            state.head += 1
            if state.head == state.waiters.count {
                state.waiters.removeAll(keepingCapacity: true)
                state.head = 0
            } else if state.head >= 64, state.head * 2 > state.waiters.count {
                // Under steady load the queue may never empty: drop the served prefix so the
                // storage stays within about twice the waiting tasks.
                state.waiters.removeFirst(state.head)
                state.head = 0
            }
            return continuation   // the turn passes on: busy stays true
        }
        next?.resume(returning: nil)
    }

    /// Tasks waiting for a turn now.
    var waiting: Int { state.withLock { $0.waitingCount } }
}
