#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Nanoseconds on CLOCK_MONOTONIC.
enum HTTPBenchmarkClock {
    static func nanos() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// Sleeps until the monotonic time `deadline` (absolute, so oversleeping doesn't accumulate).
    static func sleep(until deadline: UInt64) {
        var spec = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &spec, nil) == EINTR {}
    }
}

/// What one connection measured inside the window (after warm-up, before the end).
struct HTTPBenchmarkTally: Sendable {
    var requests = 0
    var grants = 0
    /// Grants refused inside otherwise successful batch answers.
    var refusedGrants = 0
    var statusCounts: [Int: Int] = [:]
    var clientErrors = 0
    var errorSamples: [String] = []
    /// Latency as the user sees it: from the intended send time (open loop: the schedule) to the last response byte.
    var latency = HTTPBenchmarkHistogram()
    /// From the actual send to the response (equals `latency` in a closed loop).
    var service = HTTPBenchmarkHistogram()
    /// Open loop: sends that left more than 1 ms after their scheduled time.
    var lateSends = 0
    var connects = 0

    var failures: Int { statusCounts.filter { !(200..<300).contains($0.key) }.values.reduce(0, +) + clientErrors }

    mutating func merge(_ other: HTTPBenchmarkTally, keepingSamples limit: Int) {
        requests += other.requests
        grants += other.grants
        refusedGrants += other.refusedGrants
        for (status, count) in other.statusCounts { statusCounts[status, default: 0] += count }
        clientErrors += other.clientErrors
        for sample in other.errorSamples where errorSamples.count < limit { errorSamples.append(sample) }
        latency.merge(other.latency)
        service.merge(other.service)
        lateSends += other.lateSends
        connects += other.connects
    }
}

/// The shared start signal: workers connect, report ready, then wait for the common start time.
final class HTTPBenchmarkStartGate: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var ready = 0
    private var start: UInt64?

    func arriveAndWait() -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        ready += 1
        condition.broadcast()
        while start == nil { condition.wait() }
        return start!
    }

    func waitForAll(_ count: Int) {
        condition.lock()
        while ready < count { condition.wait() }
        condition.unlock()
    }

    func open(at time: UInt64) {
        condition.lock()
        start = time
        condition.broadcast()
        condition.unlock()
    }
}

/// One load connection: a closed or open loop of signed grant requests, on its own OS thread
/// (``run(gate:)``) or sharing one with others (``HTTPBenchmarkMultiplexer``).
final class HTTPBenchmarkWorker: @unchecked Sendable {
    let index: Int
    let configuration: HTTPBenchmarkConfiguration
    let target: HTTPBenchmarkTarget
    let builder: HTTPBenchmarkRequestBuilder
    /// Written by the worker thread only; read after it has finished.
    private(set) var tally = HTTPBenchmarkTally()

    private var random = HTTPBenchmarkRandom()
    private var sequence = 0
    private let orderPrefix: [UInt8]
    private let memberBytes: [[UInt8]]
    private let grantSuffix: [UInt8]

    init(index: Int, configuration: HTTPBenchmarkConfiguration, target: HTTPBenchmarkTarget) {
        self.index = index
        self.configuration = configuration
        self.target = target
        builder = HTTPBenchmarkRequestBuilder(channelID: target.channelID, channelSecret: target.channelSecret, host: target.host, port: target.port)
        orderPrefix = Array("bench-\(String(target.run, radix: 16))-c\(index)-".utf8)
        memberBytes = target.memberIDs.map { Array($0.utf8) }
        grantSuffix = Array("\",\"points\":\(configuration.points),\"scenarioId\":\"\(target.scenarioID)\"}".utf8)
        connection = HTTPBenchmarkConnection(host: target.host, port: target.port, unixSocketPath: target.unixSocketPath)
    }

    /// `{"memberId":"…","orderId":"…","points":P,"scenarioId":"…"}` appended without string formatting.
    private func appendNextGrant(to body: inout [UInt8]) {
        let number = sequence
        sequence += 1
        let member = (index + number * configuration.connections) % memberBytes.count
        body.append(contentsOf: #"{"memberId":""#.utf8)
        body.append(contentsOf: memberBytes[member])
        body.append(contentsOf: #"","orderId":""#.utf8)
        body.append(contentsOf: orderPrefix)
        Self.appendDecimal(number, to: &body)
        body.append(contentsOf: grantSuffix)
    }

    static func appendDecimal(_ value: Int, to body: inout [UInt8]) {
        if value >= 10 { appendDecimal(value / 10, to: &body) }
        body.append(UInt8(0x30 + value % 10))
    }

    private func nextRequest() -> [UInt8] {
        var body = [UInt8]()
        if configuration.batch == 0 {
            body.reserveCapacity(160)
            appendNextGrant(to: &body)
            return builder.post("/v1/grants", body: body, random: &random)
        }
        body.reserveCapacity(configuration.batch * 130 + 16)
        body.append(contentsOf: #"{"grants":["#.utf8)
        for item in 0..<configuration.batch {
            if item > 0 { body.append(0x2C) }
            appendNextGrant(to: &body)
        }
        body.append(contentsOf: "]}".utf8)
        return builder.post("/v1/grants/batch", body: body, random: &random)
    }

    /// The top-level `"granted":N` of a batch answer (canonical JSON sorts it before `"results"`;
    /// inside results `"granted"` is only ever a value, never followed by a colon).
    static func grantedCount(_ body: UnsafeBufferPointer<UInt8>) -> Int? {
        let key = Array(#""granted":"#.utf8)
        guard body.count > key.count else { return nil }
        var index = 0
        let last = body.count - key.count
        outer: while index <= last {
            for offset in 0..<key.count where body[index + offset] != key[offset] {
                index += 1
                continue outer
            }
            var value = 0
            var cursor = index + key.count
            var digits = 0
            while cursor < body.count, body[cursor] >= 0x30, body[cursor] <= 0x39 {
                value = value * 10 + Int(body[cursor] - 0x30)
                cursor += 1
                digits += 1
            }
            return digits > 0 ? value : nil
        }
        return nil
    }

    /// The measuring window, fixed when the workers start together.
    struct Window {
        let start: UInt64
        let measureFrom: UInt64
        let end: UInt64

        init(start: UInt64, configuration: HTTPBenchmarkConfiguration) {
            self.start = start
            measureFrom = start + UInt64(configuration.warmupSeconds * 1e9)
            end = measureFrom + UInt64(configuration.durationSeconds * 1e9)
        }
    }

    /// The exchange in flight: when it was meant to go, when it went, whether it counts.
    private var intended: UInt64 = 0
    private var sent: UInt64 = 0
    private var counted = true
    private var request: [UInt8] = []
    let connection: HTTPBenchmarkConnection

    /// Connects (a failure is counted and retried at the first send).
    func connect() {
        do { try connection.connect() } catch { record(clientError: "\(error)") }
        request = nextRequest()
    }

    /// Runs the loop on this thread until the window ends; counts what completes (closed) or
    /// was scheduled (open) inside it.
    func run(gate: HTTPBenchmarkStartGate) {
        connect()
        let window = Window(start: gate.arriveAndWait(), configuration: configuration)
        var intervalNanos: UInt64 = 0
        var scheduled = window.start
        if configuration.mode == .open {
            let perConnection = configuration.rate / Double(configuration.connections)
            intervalNanos = UInt64(1e9 / perConnection)
            // Spread the connections' phases over one interval so the aggregate stream is even.
            scheduled = window.start + intervalNanos * UInt64(index) / UInt64(configuration.connections)
        }
        while true {
            var intendedSend: UInt64
            if configuration.mode == .open {
                if scheduled >= window.end { break }
                let now = HTTPBenchmarkClock.nanos()
                if now < scheduled { HTTPBenchmarkClock.sleep(until: scheduled) }
                intendedSend = scheduled
                scheduled += intervalNanos
            } else {
                intendedSend = HTTPBenchmarkClock.nanos()
                if intendedSend >= window.end { break }
            }
            if !startExchange(intended: intendedSend, window: window) || !finishExchange(window: window) { usleep(10_000) }
        }
        finishRun()
    }

    /// Sends the next request; false when it could not be sent (counted as a client error).
    func startExchange(intended intendedSend: UInt64, window: Window) -> Bool {
        intended = intendedSend
        sent = HTTPBenchmarkClock.nanos()
        counted = configuration.mode == .open ? intended >= window.measureFrom : true
        do {
            try connection.begin(request)
            return true
        } catch {
            if counted { record(clientError: "\(error)") }
            request = nextRequest()
            return false
        }
    }

    /// Reads the response of the request in flight and counts it; false when that failed.
    func finishExchange(window: Window) -> Bool {
        defer { request = nextRequest() }
        let response: HTTPBenchmarkResponse
        do { response = try connection.finish() } catch {
            if counted { record(clientError: "\(error)") }
            return false
        }
        let done = HTTPBenchmarkClock.nanos()
        let inWindow = configuration.mode == .open ? counted : (done >= window.measureFrom && done <= window.end)
        guard inWindow else { return true }
        tally.requests += 1
        tally.statusCounts[response.status, default: 0] += 1
        tally.latency.record(nanoseconds: done - intended)
        tally.service.record(nanoseconds: done - sent)
        if configuration.mode == .open && sent > intended + 1_000_000 { tally.lateSends += 1 }
        if (200..<300).contains(response.status) {
            if configuration.batch == 0 {
                tally.grants += 1
            } else {
                let granted = connection.withBody(response) { Self.grantedCount($0) } ?? 0
                tally.grants += granted
                if granted < configuration.batch {
                    tally.refusedGrants += configuration.batch - granted
                    if tally.errorSamples.count < configuration.errorSamples {
                        let text = String(decoding: connection.body(response), as: UTF8.self)
                        let refusal = text.range(of: "{\"error\":").map { String(text[$0.lowerBound...].prefix(600)) } ?? String(text.prefix(600))
                        tally.errorSamples.append("batch granted \(granted) of \(configuration.batch): …\(refusal)")
                    }
                }
            }
        } else if tally.errorSamples.count < configuration.errorSamples {
            tally.errorSamples.append("\(response.status): " + String(decoding: connection.body(response).prefix(800), as: UTF8.self))
        }
        return true
    }

    /// Records the connection count and closes the connection.
    func finishRun() {
        tally.connects = connection.connects
        connection.close()
    }

    private func record(clientError: String) {
        tally.clientErrors += 1
        if tally.errorSamples.count < configuration.errorSamples { tally.errorSamples.append("client: " + clientError) }
    }
}

/// CPU seconds (user + system) of a process, from /proc/PID/stat, or of this process.
enum HTTPBenchmarkCPU {
    static func processSeconds(_ pid: Int32?) -> Double? {
        guard let pid else {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let closing = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: closing)...].split(separator: " ")
        // After ")": state is field 3 of the full line; utime and stime are fields 14 and 15.
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

extension HTTPBenchmarkCPU {
    /// Busy CPU seconds of the whole machine (all CPUs, everything but idle and iowait), from /proc/stat.
    static func machineBusySeconds() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 5 else { return nil }
        // user nice system idle iowait irq softirq steal …
        let busy = ticks.enumerated().filter { $0.offset != 3 && $0.offset != 4 && $0.offset < 8 }.map(\.element).reduce(0, +)
        return busy / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// Runs all workers and merges what they measured.
enum HTTPBenchmarkLoad {
    struct Outcome: Sendable {
        var tally: HTTPBenchmarkTally
        var clientCPUSeconds: Double?
        var serverCPUSeconds: Double?
        /// Busy CPU seconds of the whole machine in the window (to see other processes competing).
        var machineCPUSeconds: Double?
    }

    static func run(_ configuration: HTTPBenchmarkConfiguration, target: HTTPBenchmarkTarget, serverPID: Int32?) -> Outcome {
        let gate = HTTPBenchmarkStartGate()
        let workers = (0..<configuration.connections).map { HTTPBenchmarkWorker(index: $0, configuration: configuration, target: target) }
        let group = DispatchGroup()
        // Either a thread per connection, or `clientThreads` threads sharing the connections.
        let shares: [[HTTPBenchmarkWorker]] = configuration.clientThreads == 0
            ? workers.map { [$0] }
            : (0..<configuration.clientThreads).map { thread in workers.enumerated().filter { $0.offset % configuration.clientThreads == thread }.map(\.element) }
        for share in shares where !share.isEmpty {
            group.enter()
            let thread = Thread {
                if configuration.clientThreads == 0 {
                    share[0].run(gate: gate)
                } else {
                    HTTPBenchmarkMultiplexer(workers: share).run(gate: gate)
                }
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        gate.waitForAll(shares.filter { !$0.isEmpty }.count)
        let start = HTTPBenchmarkClock.nanos() + 50_000_000
        gate.open(at: start)
        let measureFrom = start + UInt64(configuration.warmupSeconds * 1e9)
        let end = measureFrom + UInt64(configuration.durationSeconds * 1e9)
        HTTPBenchmarkClock.sleep(until: measureFrom)
        let clientBefore = HTTPBenchmarkCPU.processSeconds(nil)
        let serverBefore = serverPID.flatMap { HTTPBenchmarkCPU.processSeconds($0) }
        let machineBefore = HTTPBenchmarkCPU.machineBusySeconds()
        HTTPBenchmarkClock.sleep(until: end)
        let machineAfter = HTTPBenchmarkCPU.machineBusySeconds()
        let clientAfter = HTTPBenchmarkCPU.processSeconds(nil)
        let serverAfter = serverPID.flatMap { HTTPBenchmarkCPU.processSeconds($0) }
        group.wait()
        var total = HTTPBenchmarkTally()
        for worker in workers { total.merge(worker.tally, keepingSamples: configuration.errorSamples) }
        var clientCPU: Double?
        if let clientBefore, let clientAfter { clientCPU = clientAfter - clientBefore }
        var serverCPU: Double?
        if let serverBefore, let serverAfter { serverCPU = serverAfter - serverBefore }
        var machineCPU: Double?
        if let machineBefore, let machineAfter { machineCPU = machineAfter - machineBefore }
        return Outcome(tally: total, clientCPUSeconds: clientCPU, serverCPUSeconds: serverCPU, machineCPUSeconds: machineCPU)
    }
}
