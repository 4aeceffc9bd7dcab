#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PointAPI
import PointCore
import PointCrypto
import PointHTTP

/// `pointconnect sandbox …` and `pointconnect serve …`: run the API until SIGTERM or SIGINT,
/// then stop accepting, finish in-flight requests and close the ledger synced.
enum ServeCommand {
    /// `pointconnect sandbox [--host H] [--port P | --unix-socket PATH] [--event-loops N] [--data-dir DIR] [--defaults FILE] [--now TIME]`
    static func runSandbox(_ options: CommandLineOptions) async throws -> Int32 {
        let host = options.value("host") ?? "127.0.0.1"
        let port = try options.integer("port", default: 8080, range: 0...65_535)
        let unixSocket = try unixSocketPath(options)
        let loops = try eventLoops(options)
        let dataDirectory = options.value("data-dir") ?? "sandbox/data"
        let defaultsPath = options.value("defaults") ?? "sandbox/sandbox.json"
        guard let defaultsBytes = FileManager.default.contents(atPath: defaultsPath) else {
            throw UsageError("can't read the sandbox defaults at \(defaultsPath); run from the repository root or pass --defaults FILE")
        }
        let defaults = try SandboxDefaults(json: Array(defaultsBytes))
        var clock = ServiceClock.system
        if let now = options.value("now") {
            guard let start = CivilTime.parseRFC3339(now) else {
                throw UsageError("--now must be an RFC 3339 time with an offset, like 2026-10-15T10:00:00+08:00, not \"\(now)\"")
            }
            clock = .starting(at: start)
        }
        let metrics = ServiceMetrics()
        let log = requestLog()
        defer { log.close() }
        let application = try await ServiceAssembly.sandbox(dataDirectory: dataDirectory, defaults: defaults, clock: clock,
                                                           metrics: metrics, requestLines: log, log: logLine(log))
        let server = HTTPServer(host: host, port: UInt16(port), unixSocketPath: unixSocket, eventLoops: loops, observer: metrics,
                                handler: application)
        let bound = try server.start()
        noteConnectionLimit(server)
        // Merchants that opened production in this data directory bind with its Login channel now.
        let productionLogin = application.service.read { domain in
            Dictionary(uniqueKeysWithValues: defaults.merchants.compactMap { merchant -> (String, String)? in
                guard let found = domain.merchant(merchant.register.merchantID), found.activeEnvironment == .production,
                      let access = found.access(.production) else { return nil }
                return (merchant.channelID, access.loginChannelID)
            })
        }
        FileHandleOutput.standardError(banner(host: host, port: bound, unixSocket: unixSocket, dataDirectory: dataDirectory, defaults: defaults,
                                              defaultsPath: defaultsPath, clock: clock, overridden: options.value("now") != nil,
                                              productionLogin: productionLogin))
        noteClockBehindLedger(application, clock: clock, dataDirectory: dataDirectory, overridden: options.value("now") != nil)
        return await serveUntilSignalled(server, application, log)
    }

    /// `pointconnect serve --data-dir DIR [--host H] [--port P | --unix-socket PATH] [--event-loops N] [--jwks FILE] [--trusted-proxies CIDR,…]`
    static func runProduction(_ options: CommandLineOptions) async throws -> Int32 {
        if options.value("now") != nil { throw UsageError("--now is a sandbox option; production always runs on the system clock") }
        let dataDirectory = try options.required("data-dir")
        let host = options.value("host") ?? "0.0.0.0"
        let port = try options.integer("port", default: 8080, range: 0...65_535)
        let unixSocket = try unixSocketPath(options)
        let loops = try eventLoops(options)
        var jwks: JSONWebKeySet?
        if let path = options.value("jwks") {
            guard let bytes = FileManager.default.contents(atPath: path) else { throw UsageError("can't read the JWKS file \(path)") }
            jwks = try JSONWebKeySet(json: Array(bytes))
        }
        let proxies = (options.value("trusted-proxies") ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        let trusted = try IPAllowlist(proxies.filter { !$0.isEmpty })
        let metrics = ServiceMetrics()
        let log = requestLog()
        defer { log.close() }
        let application = try ServiceAssembly.production(dataDirectory: dataDirectory, jwks: jwks, trustedProxies: trusted,
                                                         metrics: metrics, requestLines: log, log: logLine(log))
        let server = HTTPServer(host: host, port: UInt16(port), unixSocketPath: unixSocket, eventLoops: loops, observer: metrics,
                                handler: application)
        let bound = try server.start()
        noteConnectionLimit(server)
        let place = unixSocket.map { "the Unix socket \($0) (its peers count as 127.0.0.1)" } ?? "http://\(host):\(bound)"
        FileHandleOutput.standardError("pointconnect: serving \(dataDirectory) on \(place) (ledger at seq \(application.service.ledger.durableSeq)); SIGTERM or Ctrl-C stops gracefully\n")
        noteClockBehindLedger(application, clock: .system, dataDirectory: dataDirectory, overridden: false)
        return await serveUntilSignalled(server, application, log)
    }

    /// `--unix-socket PATH`: listen on a Unix-domain socket instead of TCP (for a reverse proxy
    /// on the same host); refused together with `--host` or `--port`, which it replaces.
    static func unixSocketPath(_ options: CommandLineOptions) throws -> String? {
        guard let path = options.value("unix-socket") else { return nil }
        if options.value("host") != nil || options.value("port") != nil {
            throw UsageError("--unix-socket replaces --host and --port: give one or the other")
        }
        guard !path.isEmpty else { throw UsageError("--unix-socket needs a path, like /run/pointconnect/http.sock") }
        return path
    }

    /// `--event-loops N`: HTTP event loop threads (default: one per two processors).
    static func eventLoops(_ options: CommandLineOptions) throws -> Int? {
        guard options.value("event-loops") != nil else { return nil }
        return try options.integer("event-loops", default: 1, range: 1...64)
    }

    /// Record times never go back, so while the clock is behind the ledger's newest record every
    /// new record takes that record's time — and with it possibly a later billing month than the
    /// clock shows. Said at start, with what to do.
    static func noteClockBehindLedger(_ application: APIApplication, clock: ServiceClock, dataDirectory: String, overridden: Bool) {
        let lastRecord = application.service.read { $0.lastTime }
        guard let message = ServiceClock.behindLedgerMessage(lastRecord: lastRecord, now: clock.now(), dataDirectory: dataDirectory,
                                                              overridden: overridden) else { return }
        FileHandleOutput.standardError(message)
    }

    /// Says so when the open-file limit holds the server below its configured connections.
    private static func noteConnectionLimit(_ server: HTTPServer) {
        let configured = HTTPServerLimits().maxConnections
        let effective = server.limits.maxConnections
        guard effective < configured else { return }
        FileHandleOutput.standardError("pointconnect: the open-file limit (ulimit -n) allows \(effective) connections instead of \(configured); clients beyond them are answered 503. Raise the limit to at least \(configured + DescriptorBudget.reserved(eventLoops: server.eventLoops)) to serve \(configured).\n")
    }

    private static func serveUntilSignalled(_ server: HTTPServer, _ application: APIApplication, _ log: BufferedLineLogger) async -> Int32 {
        let signals = server.installShutdownSignalHandlers()
        await server.waitUntilStopped()
        signals.cancel()
        application.service.close()
        // Every request has been answered and the ledger is closed: write out the last log lines.
        log.close()
        let dropped = log.droppedLines
        FileHandleOutput.standardError("pointconnect: stopped; ledger closed at seq \(application.service.ledger.durableSeq)"
                                       + (dropped > 0 ? "; \(dropped) log lines dropped (standard output fell behind)" : "") + "\n")
        return 0
    }

    /// The request log on standard output: one JSON line per request, security events (fraud
    /// signals) and service messages, in order. Buffered (at most 1 MiB, written by its own thread
    /// every 100 ms or per 64 KiB) so a request never waits for a `write(2)`; a line that does not
    /// fit while standard output is behind is dropped and counted.
    static func requestLog() -> BufferedLineLogger {
        BufferedLineLogger.writing(toDescriptor: 1, capacity: BufferedLineLogger.defaultCapacity)
    }

    /// The log function handed to the service: appends one line to `log`.
    static func logLine(_ log: BufferedLineLogger) -> @Sendable (String) -> Void {
        { line in log.append(line) }
    }

    /// - Parameter productionLogin: the production Login channel of each test merchant that opened
    ///   production in this data directory (its users bind with that channel's ID tokens now).
    static func banner(host: String, port: UInt16, unixSocket: String? = nil, dataDirectory: String, defaults: SandboxDefaults,
                       defaultsPath: String, clock: ServiceClock, overridden: Bool, productionLogin: [String: String] = [:]) -> String {
        let executable = CommandLine.arguments.first ?? "pointconnect"
        let base = unixSocket == nil ? "http://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(port)" : "http://localhost"
        let curl = unixSocket.map { "curl --unix-socket '\($0)'" } ?? "curl"
        // The walkthrough speaks TCP (PC_URL): offered only when the sandbox listens on it.
        let demo = unixSocket != nil ? "" : "\n  PC_URL=\(base) PC_DEFAULTS='\(defaultsPath)' sandbox/demo\n"
            + "                                bind a user, grant, replay, revoke, prove — with curl, openssl and jq only"
        var text = """

        PointConnect sandbox on \(unixSocket.map { "the Unix socket \($0) (its peers count as 127.0.0.1)" } ?? base)
          data:   \(dataDirectory) (delete it to start over)
          clock:  \(CivilTime.formatUTC(clock.now()))\(overridden ? " (overridden with --now; it runs on from there)" : "")

        Test merchants (sign requests with channelId + channelSecret; see sandbox/sandbox.json):

        """
        for merchant in defaults.merchants {
            if let production = productionLogin[merchant.channelID] {
                text += "  \(merchant.channelID)  \(merchant.register.name)  in production here: login channel \(production) (sandbox \(merchant.loginChannelID) no longer binds)\n"
            } else {
                text += "  \(merchant.channelID)  \(merchant.register.name)  login channel \(merchant.loginChannelID)\n"
            }
        }
        text += "\nStaff keys: " + defaults.staff.map { "\($0.keyID) (\($0.role))" }.joined(separator: ", ") + "\n"
        text += """

        Try first:
          \(curl) -s \(base)/healthz\(demo)
          export PC_SECRET=$(jq -r '.merchants[0].channelSecret' '\(defaultsPath)')
          eval \(curl) -s \(base)/v1/scenarios $(\(executable) sign --key-id \(defaults.merchants.first?.channelID ?? "CHANNEL") --secret-env PC_SECRET --method GET --path /v1/scenarios --curl)

        Ctrl-C stops it gracefully.

        """
        return text
    }
}
