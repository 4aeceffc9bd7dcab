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
        var waiters: [CheckedContinuation<Void, Never>] = []
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
        enum Admission { case now, wait, refused(Int) }
        let admission: Admission = state.withLock { state in
            if !state.busy {
                state.busy = true
                return .now
            }
            return state.waitingCount < limit ? .wait : .refused(state.waitingCount)
        }
        switch admission {
        case .now: return
        case .refused(let waiting): throw Full(waiting: waiting)
        case .wait:
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let immediate: Bool = state.withLock { state in
                    // The turn may have been finished between the check and here.
                    if !state.busy {
                        state.busy = true
                        return true
                    }
                    state.waiters.append(continuation)
                    return false
                }
                if immediate { continuation.resume() }
            }
        }
    }

    /// Ends the caller's turn and hands it to the oldest waiting task, if any.
    func finishTurn() {
        let next: CheckedContinuation<Void, Never>? = state.withLock { state in
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
            }
            return continuation   // the turn passes on: busy stays true
        }
        next?.resume()
    }

    /// Tasks waiting for a turn now.
    var waiting: Int { state.withLock { $0.waitingCount } }
}
