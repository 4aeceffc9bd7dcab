import Foundation
import Synchronization

/// A strict HTTP/1.1 server: one epoll event loop on its own thread, handlers run in Tasks.
///
///     let server = HTTPServer(host: "0.0.0.0", port: 8080, handler: api)
///     let signals = server.installShutdownSignalHandlers()
///     try await server.run()
public final class HTTPServer: Sendable {
    private enum Lifecycle {
        case notStarted
        case running(mailbox: EventLoopMailbox, port: UInt16)
        case stopped
    }

    private struct State {
        var lifecycle: Lifecycle = .notStarted
        var limits: HTTPServerLimits
        /// Callers of `waitUntilStopped()`; one entry per waiting call.
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// The host (name or numeric address) to listen on.
    public let host: String
    /// The requested port; 0 picks a free one (see `boundPort`).
    public let port: UInt16
    /// The limits enforced on every client. `maxConnections` is lowered at start when the
    /// process's open-file limit can't cover it (see ``DescriptorBudget``).
    public var limits: HTTPServerLimits { state.withLock { $0.limits } }
    private let handler: any HTTPHandler
    private let observer: (any HTTPServerObserver)?
    private let state: Mutex<State>

    /// A server that will listen on `host:port` once started.
    public init(host: String = "127.0.0.1", port: UInt16 = 8080, limits: HTTPServerLimits = HTTPServerLimits(),
                observer: (any HTTPServerObserver)? = nil, handler: any HTTPHandler) {
        self.host = host
        self.port = port
        self.state = Mutex(State(limits: limits))
        self.observer = observer
        self.handler = handler
    }

    deinit {
        // Without this, a server dropped while running would leave its loop thread behind.
        shutdown()
    }

    /// Binds, starts the event loop thread and returns the bound port.
    @discardableResult
    public func start() throws(HTTPServerError) -> UInt16 {
        try state.withLock { (state: inout State) throws(HTTPServerError) -> UInt16 in
            guard case .notStarted = state.lifecycle else { throw .alreadyStarted }
            let softLimit = DescriptorBudget.raiseSoftLimit(toCover: state.limits.maxConnections + DescriptorBudget.reserved)
            state.limits.maxConnections = min(state.limits.maxConnections, DescriptorBudget.connectionsThatFit(softLimit))
            let limits = state.limits
            let listener: Int32
            let boundPort: UInt16
            switch SocketCalls.listen(host: host, port: port, backlog: Int32(clamping: limits.listenBacklog)) {
            case .success(let bound): (listener, boundPort) = bound
            case .failure(let error): throw .bindFailed(host: host, port: port, errno: error.code)
            }
            let loop: EventLoop
            do throws(HTTPServerError) {
                loop = try EventLoop(listenDescriptor: listener, limits: limits, handler: handler,
                                     observer: observer, onStopped: { [weak self] in self?.markStopped() })
            } catch {
                SocketCalls.close(listener)
                throw error
            }
            let thread = Thread { loop.run() }
            thread.name = "PointHTTP.EventLoop"
            thread.start()
            state.lifecycle = .running(mailbox: loop.mailbox, port: boundPort)
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
        let (mailbox, finished) = state.withLock { state -> (EventLoopMailbox?, Bool) in
            switch state.lifecycle {
            case .notStarted:
                state.lifecycle = .stopped
                return (nil, true)
            case .running(let mailbox, _): return (mailbox, false)
            case .stopped: return (nil, false)
            }
        }
        mailbox?.requestShutdown()
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
