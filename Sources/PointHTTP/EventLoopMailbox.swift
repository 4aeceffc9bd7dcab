import Glibc
import Synchronization

/// The only way other threads talk to the event loop: handler Tasks post responses, `shutdown()`
/// posts a request to stop, and each post writes a byte to a pipe that wakes `epoll_wait`.
/// Bounded: each connection has at most one request in flight, so there are never more pending
/// deliveries than `HTTPServerLimits.maxConnections`.
final class EventLoopMailbox: Sendable {
    struct Delivery: Sendable {
        var connectionID: UInt64
        var response: HTTPResponse
    }

    private struct Contents: ~Copyable {
        var deliveries: [Delivery] = []
        var shutdownRequested = false
        var closed = false
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

    /// Queues a handler's response and wakes the loop; dropped once the loop has stopped. Only
    /// the first post after the loop took the queue writes to the pipe: the loop takes every
    /// delivery queued by then, so later ones ride on that wake-up (a commit that completes many
    /// requests at once wakes the loop once, not once per request).
    func deliver(_ delivery: Delivery) {
        contents.withLock { contents in
            guard !contents.closed else { return }
            contents.deliveries.append(delivery)
            if contents.deliveries.count == 1 { signal() }
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
    func takeAll() -> (deliveries: [Delivery], shutdownRequested: Bool) {
        var scratch = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        while withUnsafeMutableBytes(of: &scratch, { read(wakeDescriptor, $0.baseAddress, $0.count) }) > 0 {}
        return contents.withLock { contents in
            let taken = contents.deliveries
            contents.deliveries.removeAll(keepingCapacity: true)
            return (taken, contents.shutdownRequested)
        }
    }

    /// Stops accepting posts and closes the pipe; under the lock, so no post can write to a
    /// descriptor number that has been closed and reused.
    func close() {
        contents.withLock { contents in
            guard !contents.closed else { return }
            contents.closed = true
            contents.deliveries.removeAll()
            SocketCalls.close(wakeDescriptor)
            SocketCalls.close(signalDescriptor)
        }
    }
}
