/// The options of `pointconnect bench http`.
struct HTTPBenchmarkConfiguration: Sendable {
    enum Mode: String, Sendable {
        /// Each connection sends its next request as soon as the previous one is answered.
        case closed
        /// Requests leave on a fixed schedule (`rate` in total); latency counts from the scheduled time.
        case open
    }

    var host: String
    var port: UInt16
    var url: String
    /// Connect over this Unix-domain socket; the URL then only names the Host.
    var unixSocketPath: String?
    var connections: Int
    /// Threads of the load generator: 0 = one per connection (blocking sockets); N = N threads
    /// sharing the connections (closed loop only), as `pgbench -j N` shares its clients.
    var clientThreads: Int
    var durationSeconds: Double
    var warmupSeconds: Double
    var mode: Mode
    /// Requests per second in total (open loop only).
    var rate: Double
    /// Grants per request: 0 = one grant per POST /v1/grants; N = POST /v1/grants/batch of N.
    var batch: Int
    var members: Int
    var points: Int
    var defaultsPath: String
    var merchantID: String?
    var scenarioID: String?
    var runID: UInt32?
    var json: Bool
    /// Error bodies kept for the report.
    var errorSamples: Int

    static let help = """
    bench http [--url http://127.0.0.1:8080] [--unix-socket PATH] [--connections 64] [--client-threads 2|0] [--duration 10] [--warmup 2]
               [--mode closed|open] [--rate N] [--batch 0|N] [--members 2000] [--points 1]
               [--defaults sandbox/sandbox.json] [--merchant ID] [--scenario ID] [--run-id HEX] [--json]
    """

    init(_ options: CommandLineOptions) throws {
        url = options.value("url") ?? "http://127.0.0.1:8080"
        var rest = Substring(url)
        guard rest.hasPrefix("http://") else { throw UsageError("--url must start with http:// (no TLS in the benchmark client), not \"\(url)\"") }
        rest = rest.dropFirst("http://".count)
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            port = after.hasPrefix(":") ? UInt16(after.dropFirst()) ?? 0 : 80
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            port = UInt16(rest[rest.index(after: colon)...]) ?? 0
        } else {
            host = String(rest)
            port = 80
        }
        guard !host.isEmpty, port != 0 else { throw UsageError("--url \(url) has no usable host:port") }
        unixSocketPath = options.value("unix-socket")
        if unixSocketPath?.isEmpty == true { throw UsageError("--unix-socket needs the path the server listens on") }
        connections = try options.integer("connections", default: 64, range: 1...4_096)
        durationSeconds = try Self.seconds(options, "duration", default: 10)
        warmupSeconds = try Self.seconds(options, "warmup", default: 2, allowZero: true)
        let modeText = options.value("mode") ?? (options.value("rate") == nil ? "closed" : "open")
        guard let parsedMode = Mode(rawValue: modeText) else { throw UsageError("--mode is closed or open, not \"\(modeText)\"") }
        mode = parsedMode
        rate = 0
        if mode == .open {
            guard let rateText = options.value("rate"), let parsed = Double(rateText), parsed > 0, parsed <= 10_000_000 else {
                throw UsageError("--mode open needs --rate N (requests per second in total, all connections together)")
            }
            rate = parsed
        } else if options.value("rate") != nil {
            throw UsageError("--rate is for --mode open")
        }
        // Closed loop: two threads share the connections, like the PostgreSQL baseline's `pgbench -j 2`;
        // open loop: a thread per connection, each keeping its own schedule.
        clientThreads = try options.integer("client-threads", default: mode == .closed ? min(2, connections) : 0, range: 0...connections)
        if mode == .open && clientThreads != 0 {
            throw UsageError("--client-threads is for --mode closed; an open loop runs a thread per connection to keep each one's schedule")
        }
        batch = try options.integer("batch", default: 0, range: 0...1_000)
        members = try options.integer("members", default: 2_000, range: 1...1_000_000)
        points = try options.integer("points", default: 1, range: 1...5_000)
        defaultsPath = options.value("defaults") ?? "sandbox/sandbox.json"
        merchantID = options.value("merchant")
        scenarioID = options.value("scenario")
        if let text = options.value("run-id") {
            guard let parsed = UInt32(text, radix: 16) else { throw UsageError("--run-id is up to 8 hex digits, not \"\(text)\"") }
            runID = parsed
        }
        json = options.flag("json")
        errorSamples = try options.integer("error-samples", default: 5, range: 0...100)
    }

    private static func seconds(_ options: CommandLineOptions, _ name: String, default value: Double, allowZero: Bool = false) throws -> Double {
        guard let text = options.value(name) else { return value }
        guard let parsed = Double(text), parsed.isFinite, allowZero ? parsed >= 0 : parsed > 0, parsed <= 86_400 else {
            throw UsageError("--\(name) must be a number of seconds\(allowZero ? "" : " above 0"), not \"\(text)\"")
        }
        return parsed
    }

    /// Grants carried by one successful request.
    var grantsPerRequest: Int { batch == 0 ? 1 : batch }
}
