#if canImport(Glibc)
import Glibc
#endif

/// Several closed-loop connections on one thread, the way `pgbench -j` drives its clients: each
/// connection sends its next request as soon as its answer is in, and the thread sleeps in
/// `poll` until one of the answers it waits for arrives. Fewer threads than connections keep the
/// load generator's own scheduling off the two cores it shares with the server.
final class HTTPBenchmarkMultiplexer {
    /// A connection whose send failed waits this long before trying again.
    static let retryNanoseconds: UInt64 = 10_000_000
    /// Longest sleep in `poll`, so the end of the window is noticed without an answer.
    static let pollMilliseconds: Int32 = 10

    private let workers: [HTTPBenchmarkWorker]

    init(workers: [HTTPBenchmarkWorker]) {
        self.workers = workers
    }

    /// Connects every connection, waits for the common start, then keeps one request in flight
    /// on each until the window ends and the last answer is in.
    func run(gate: HTTPBenchmarkStartGate) {
        guard let configuration = workers.first?.configuration else { return }
        for worker in workers { worker.connect() }
        let window = HTTPBenchmarkWorker.Window(start: gate.arriveAndWait(), configuration: configuration)
        var inFlight = [Bool](repeating: false, count: workers.count)
        var retryAt = [UInt64](repeating: 0, count: workers.count)
        var done = [Bool](repeating: false, count: workers.count)
        var polled: [pollfd] = []
        var polledWorkers: [Int] = []
        polled.reserveCapacity(workers.count)
        polledWorkers.reserveCapacity(workers.count)
        while true {
            let now = HTTPBenchmarkClock.nanos()
            for index in workers.indices where !done[index] && !inFlight[index] {
                if now >= window.end {
                    done[index] = true
                } else if now >= retryAt[index] {
                    if workers[index].startExchange(intended: now, window: window) {
                        inFlight[index] = true
                    } else {
                        retryAt[index] = now + Self.retryNanoseconds
                    }
                }
            }
            polled.removeAll(keepingCapacity: true)
            polledWorkers.removeAll(keepingCapacity: true)
            for index in workers.indices where inFlight[index] {
                polled.append(pollfd(fd: workers[index].connection.descriptor, events: Int16(POLLIN), revents: 0))
                polledWorkers.append(index)
            }
            if polled.isEmpty {
                if done.allSatisfy({ $0 }) { break }
                usleep(1_000)   // only connections waiting to retry
                continue
            }
            let ready = poll(&polled, nfds_t(polled.count), Self.pollMilliseconds)
            guard ready > 0 else { continue }
            for (slot, entry) in polled.enumerated() where entry.revents != 0 {
                let index = polledWorkers[slot]
                inFlight[index] = false
                if !workers[index].finishExchange(window: window) {
                    retryAt[index] = HTTPBenchmarkClock.nanos() + Self.retryNanoseconds
                }
            }
        }
        for worker in workers { worker.finishRun() }
    }
}
