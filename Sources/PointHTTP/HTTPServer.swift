import Foundation
import Synchronization

/// A strict HTTP/1.1 server: epoll event loops on their own threads (one per two processors by
/// default; the first accepts and hands connections to each in turn). Handlers answer short
/// requests on the loop's thread or run in Tasks (see ``HTTPHandler``).
///
///     let server = HTTPServer(host: "0.0.0.0", port: 8080, handler: api)
///     let signals = server.installShutdownSignalHandlers()
///     try await server.run()
public final class HTTPServer: Sendable {
    private enum Lifecycle {
        case notStarted
        case running(group: EventLoopGroup, port: UInt16)
        case stopped
    }

    private struct State {
        var lifecycle: Lifecycle = .notStarted
        var limits: HTTPServerLimits
        /// Callers of `waitUntilStopped()`; one entry per waiting call.
        var waiters: [CheckedContinuation<Void, Never>] = []
        /// Loops still running; the server has stopped when the last one has.
        var runningLoops = 0
        /// The Unix socket file this server bound, removed when it stops taking connections.
        var socketFile: SocketFileIdentity?
    }

    /// The host (name or numeric address) to listen on.
    public let host: String
    /// The requested port; 0 picks a free one (see `boundPort`).
    public let port: UInt16
    /// A Unix-domain socket path to listen on instead of `host:port` (for a reverse proxy on the
    /// same host); nil listens on TCP. Its peers read as 127.0.0.1, port 0: processes of this
    /// host, as a loopback TCP client would be. The socket file (mode 0660) is removed when the
    /// server starts its graceful stop, unless another process has put its own at the path since.
    public let unixSocketPath: String?
    /// The limits enforced on every client. `maxConnections` is lowered at start when the
    /// process's open-file limit can't cover it (see ``DescriptorBudget``).
    public var limits: HTTPServerLimits { state.withLock { $0.limits } }
    /// Event loops (threads) serving connections.
    public let eventLoops: Int
    private let handler: any HTTPHandler
    private let observer: (any HTTPServerObserver)?
    private let state: Mutex<State>

    /// A server that will listen on `host:port` (or the Unix socket at `unixSocketPath`) once
    /// started, with `eventLoops` loop threads (default: one per two processors the process may
    /// use, at least 1, at most 64).
    public init(host: String = "127.0.0.1", port: UInt16 = 8080, unixSocketPath: String? = nil,
                limits: HTTPServerLimits = HTTPServerLimits(), eventLoops: Int? = nil, observer: (any HTTPServerObserver)? = nil,
                handler: any HTTPHandler) {
        self.host = host
        self.port = port
        self.unixSocketPath = unixSocketPath
        self.eventLoops = min(max(1, eventLoops ?? EventLoopGroup.defaultLoopCount), EventLoopGroup.maxLoops)
        self.state = Mutex(State(limits: limits))
        self.observer = observer
        self.handler = handler
    }

    deinit {
        // Without this, a server dropped while running would leave its loop thread behind.
        shutdown()
    }

    /// Binds, starts the event loop threads and returns the bound port.
    @discardableResult
    public func start() throws(HTTPServerError) -> UInt16 {
        try state.withLock { (state: inout State) throws(HTTPServerError) -> UInt16 in
            guard case .notStarted = state.lifecycle else { throw .alreadyStarted }
            let reserved = DescriptorBudget.reserved(eventLoops: eventLoops)
            let softLimit = DescriptorBudget.raiseSoftLimit(toCover: state.limits.maxConnections + reserved)
            state.limits.maxConnections = min(state.limits.maxConnections, DescriptorBudget.connectionsThatFit(softLimit, eventLoops: eventLoops))
            let limits = state.limits
            let listener: Int32
            let boundPort: UInt16
            if let path = unixSocketPath {
                switch SocketCalls.listenUnix(path: path, backlog: Int32(clamping: limits.listenBacklog)) {
                case .success(let bound):
                    (listener, boundPort) = (bound.descriptor, 0)
                    state.socketFile = bound.file
                case .failure(let error): throw .unixSocketFailed(path: path, errno: error.code)
                }
            } else {
                switch SocketCalls.listen(host: host, port: port, backlog: Int32(clamping: limits.listenBacklog)) {
                case .success(let bound): (listener, boundPort) = bound
                case .failure(let error): throw .bindFailed(host: host, port: port, errno: error.code)
                }
            }
            var loops: [EventLoop] = []
            let group: EventLoopGroup
            do throws(HTTPServerError) { group = try EventLoopGroup(count: eventLoops, observer: observer) } catch {
                SocketCalls.close(listener)
                removeSocketFile(&state)
                throw error
            }
            do throws(HTTPServerError) {
                for index in group.mailboxes.indices {
                    loops.append(try EventLoop(index: index, group: group, listenDescriptor: index == 0 ? listener : -1,
                                               limits: limits, handler: handler, observer: observer,
                                               onStopped: { [weak self] in self?.loopStopped() }))
                }
            } catch {
                // Nothing was handed over yet; the loops built so far close their own epoll and spare.
                for mailbox in group.mailboxes { _ = mailbox.close() }
                SocketCalls.close(listener)
                removeSocketFile(&state)
                throw error
            }
            state.runningLoops = loops.count
            for (index, loop) in loops.enumerated() {
                let thread = Thread { loop.run() }
                thread.name = "http-loop-\(index)"  // within the 15 characters a Linux thread name holds
                thread.start()
            }
            state.lifecycle = .running(group: group, port: boundPort)
            return boundPort
        }
    }

    /// The port actually bound while running, else nil.
    public var boundPort: UInt16? {
        state.withLock { state in
            if case .running(_, let port) = state.lifecycle { return port }
            return nil
        }
    }

    /// Starts the server and returns once it has stopped after `shutdown()`.
    public func run() async throws(HTTPServerError) {
        try start()
        await waitUntilStopped()
    }

    /// Begins a graceful shutdown: stop accepting, close idle connections, let in-flight requests
    /// finish (up to `limits.drainTimeout`), then stop. Idempotent; returns immediately.
    public func shutdown() {
        let (group, finished) = state.withLock { state -> (EventLoopGroup?, Bool) in
            switch state.lifecycle {
            case .notStarted:
                state.lifecycle = .stopped
                return (nil, true)
            case .running(let group, _):
                // No new client finds the socket once draining starts (the listener closes too).
                removeSocketFile(&state)
                return (group, false)
            case .stopped: return (nil, false)
            }
        }
        // The accepting loop first, so it stops taking connections as early as it can; a loop
        // that is draining still serves a connection handed to it (and closes it after one answer).
        for mailbox in group?.mailboxes ?? [] { mailbox.requestShutdown() }
        if finished { markStopped() }
    }

    /// Returns once the server has stopped (immediately if it already has).
    public func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyStopped = state.withLock { state -> Bool in
                if case .stopped = state.lifecycle { return true }
                state.waiters.append(continuation)
                return false
            }
            if alreadyStopped { continuation.resume() }
        }
    }

    private func loopStopped() {
        let last = state.withLock { state -> Bool in
            state.runningLoops -= 1
            return state.runningLoops == 0
        }
        if last {
            state.withLock { removeSocketFile(&$0) }
            markStopped()
        }
    }

    /// Removes the Unix socket file this server bound, if it is still there (another process
    /// may have put its own at the path since).
    private func removeSocketFile(_ state: inout State) {
        if let unixSocketPath, let file = state.socketFile { file.removeIfStill(at: unixSocketPath) }
        state.socketFile = nil
    }

    private func markStopped() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.lifecycle = .stopped
            let waiters = state.waiters
            state.waiters = []
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
