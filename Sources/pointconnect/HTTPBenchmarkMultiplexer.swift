import CLinuxShim
#if canImport(Glibc)
import Glibc
#endif

/// Several closed-loop connections on one thread, the way `pgbench -j` drives its clients: each
/// connection sends its next request as soon as its answer is in, and the thread sleeps in
/// `epoll_wait` until one of the answers it waits for arrives. Fewer threads than connections
/// keep the load generator's own scheduling off the two cores it shares with the server, and
/// epoll (each socket registered once per connect) keeps a wake-up from re-polling every socket.
final class HTTPBenchmarkMultiplexer {
    /// A connection whose send failed waits this long before trying again.
    static let retryNanoseconds: UInt64 = 10_000_000
    /// Longest sleep in `epoll_wait`, so the end of the window is noticed without an answer.
    static let pollMilliseconds: Int32 = 10
    /// `EPOLLIN`.
    private static let readable: UInt32 = 0x001

    private let workers: [HTTPBenchmarkWorker]

    init(workers: [HTTPBenchmarkWorker]) {
        self.workers = workers
    }

    /// Connects every connection, waits for the common start, then keeps one request in flight
    /// on each until the window ends and the last answer is in.
    func run(gate: HTTPBenchmarkStartGate) {
        guard let configuration = workers.first?.configuration else { return }
        for worker in workers { worker.connect() }
        let epollDescriptor = pc_epoll_create()
        defer { if epollDescriptor >= 0 { close(epollDescriptor) } }
        let window = HTTPBenchmarkWorker.Window(start: gate.arriveAndWait(), configuration: configuration)
        var inFlight = [Bool](repeating: false, count: workers.count)
        var inFlightCount = 0
        var retryAt = [UInt64](repeating: 0, count: workers.count)
        var done = [Bool](repeating: false, count: workers.count)
        // The connect count each socket was registered at: a reconnect (a new socket) registers again.
        var registeredAt = [Int](repeating: 0, count: workers.count)
        let capacity = max(workers.count, 1)
        let events = UnsafeMutableBufferPointer<pc_epoll_event>.allocate(capacity: capacity)
        events.initialize(repeating: pc_epoll_event(token: 0, events: 0))
        defer { events.deallocate() }
        while true {
            let now = HTTPBenchmarkClock.nanos()
            for index in workers.indices where !done[index] && !inFlight[index] {
                if now >= window.end {
                    done[index] = true
                } else if now >= retryAt[index] {
                    if workers[index].startExchange(intended: now, window: window) {
                        inFlight[index] = true
                        inFlightCount += 1
                        let connection = workers[index].connection
                        if registeredAt[index] != connection.connects {
                            registeredAt[index] = connection.connects
                            if pc_epoll_control(epollDescriptor, 1, connection.descriptor, Self.readable, UInt64(index)) < 0 && errno == EEXIST {
                                _ = pc_epoll_control(epollDescriptor, 3, connection.descriptor, Self.readable, UInt64(index))
                            }
                        }
                    } else {
                        retryAt[index] = now + Self.retryNanoseconds
                    }
                }
            }
            if inFlightCount == 0 {
                if done.allSatisfy({ $0 }) { break }
                usleep(1_000)   // only connections waiting to retry
                continue
            }
            let ready = pc_epoll_wait(epollDescriptor, events.baseAddress, Int32(capacity), Self.pollMilliseconds)
            guard ready > 0 else { continue }
            for slot in 0..<Int(ready) {
                let index = Int(events[slot].token)
                guard inFlight[index] else {
                    // Readable with nothing asked: the server closed an idle connection. Closing
                    // it drops the registration; the next request reconnects.
                    workers[index].connection.close()
                    continue
                }
                inFlight[index] = false
                inFlightCount -= 1
                if !workers[index].finishExchange(window: window) {
                    retryAt[index] = HTTPBenchmarkClock.nanos() + Self.retryNanoseconds
                }
            }
        }
        for worker in workers { worker.finishRun() }
    }
}
