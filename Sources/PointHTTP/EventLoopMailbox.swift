import Glibc
import Synchronization

/// The only way other threads talk to an event loop: handlers post responses, the accepting
/// loop hands over new connections, `shutdown()` posts a request to stop, and each post that
/// finds the mailbox empty writes a byte to a pipe that wakes `epoll_wait`.
/// Bounded: each connection has at most one request in flight, and a connection is counted
/// against `HTTPServerLimits.maxConnections` before it is handed over, so there are never more
/// pending deliveries or handed-over connections than that limit.
final class EventLoopMailbox: Sendable {
    struct Delivery: Sendable {
        /// A response, or what makes it on the loop's thread.
        enum Content: Sendable {
            case response(HTTPResponse)
            case deferred(any HTTPDeferredResponse)
        }

        var connectionID: UInt64
        var content: Content

        /// The response (made now, on the calling thread, when it is deferred).
        var response: HTTPResponse {
            switch content {
            case .response(let response): return response
            case .deferred(let deferred): return deferred.makeResponse()
            }
        }
    }

    /// A connection accepted by another loop for this one to serve.
    struct HandedOverConnection: Sendable {
        var descriptor: Int32
        var remoteAddress: String
        var remotePort: UInt16
    }

    /// Everything taken by one ``takeAll()``.
    struct Posts {
        var deliveries: [Delivery]
        var connections: [HandedOverConnection]
        var shutdownRequested: Bool
    }

    private struct Contents: ~Copyable {
        var deliveries: [Delivery] = []
        var connections: [HandedOverConnection] = []
        var shutdownRequested = false
        var closed = false

        var isEmpty: Bool { deliveries.isEmpty && connections.isEmpty }
    }

    /// The pipe's read end, registered with the loop's epoll instance.
    let wakeDescriptor: Int32
    private let signalDescriptor: Int32
    private let contents = Mutex(Contents())

    /// A mailbox with a fresh non-blocking wake pipe.
    init() throws(HTTPServerError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw .eventLoopSetupFailed(errno: errno) }
        guard SocketCalls.configureDescriptor(ends[0]), SocketCalls.configureDescriptor(ends[1]) else {
            let error = errno
            SocketCalls.close(ends[0])
            SocketCalls.close(ends[1])
            throw .eventLoopSetupFailed(errno: error)
        }
        wakeDescriptor = ends[0]
        signalDescriptor = ends[1]
    }

    /// Wakes the loop. A full pipe (EAGAIN) already guarantees a wake-up, so errors are ignored.
    private func signal() {
        var byte: UInt8 = 1
        _ = write(signalDescriptor, &byte, 1)
    }

    /// Queues a handler's response and wakes the loop. Once the loop has stopped, the response
    /// is made here (a deferred one is made, which may log) and dropped. Only
    /// the first post after the loop took the queue writes to the pipe: the loop takes every
    /// post queued by then, so later ones ride on that wake-up (a commit that completes many
    /// requests at once wakes the loop once, not once per request).
    func deliver(_ delivery: Delivery) {
        let queued = contents.withLock { contents -> Bool in
            guard !contents.closed else { return false }
            let wasEmpty = contents.isEmpty
            contents.deliveries.append(delivery)
            if wasEmpty { signal() }
            return true
        }
        if !queued { _ = delivery.response }
    }

    /// Hands a newly accepted connection to the loop. False once the loop has stopped: the
    /// caller still owns the descriptor.
    func handOver(_ connection: HandedOverConnection) -> Bool {
        contents.withLock { contents in
            guard !contents.closed else { return false }
            let wasEmpty = contents.isEmpty
            contents.connections.append(connection)
            if wasEmpty { signal() }
            return true
        }
    }

    /// Asks the loop to begin a graceful shutdown.
    func requestShutdown() {
        contents.withLock { contents in
            guard !contents.closed else { return }
            contents.shutdownRequested = true
            signal()
        }
    }

    /// Takes everything posted so far (loop thread only).
    func takeAll() -> Posts {
        var scratch = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        while withUnsafeMutableBytes(of: &scratch, { read(wakeDescriptor, $0.baseAddress, $0.count) }) > 0 {}
        return contents.withLock { contents in
            let posts = Posts(deliveries: contents.deliveries, connections: contents.connections,
                              shutdownRequested: contents.shutdownRequested)
            contents.deliveries.removeAll(keepingCapacity: true)
            contents.connections.removeAll(keepingCapacity: true)
            return posts
        }
    }

    /// Stops accepting posts and closes the pipe; under the lock, so no post can write to a
    /// descriptor number that has been closed and reused. Returns what was posted but never
    /// taken: connections for the caller to close, deliveries for it to make and drop.
    func close() -> (connections: [HandedOverConnection], deliveries: [Delivery]) {
        contents.withLock { contents in
            guard !contents.closed else { return ([], []) }
            contents.closed = true
            let untaken = (contents.connections, contents.deliveries)
            contents.deliveries.removeAll()
            contents.connections.removeAll()
            SocketCalls.close(wakeDescriptor)
            SocketCalls.close(signalDescriptor)
            return untaken
        }
    }
}
