#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PointAPI
import PointCore
import PointJSON
import PointLedger

/// What the load phase needs from the server, found or created before timing starts.
struct HTTPBenchmarkTarget: Sendable {
    var host: String
    var port: UInt16
    var unixSocketPath: String?
    var channelID: String
    var channelSecret: String
    var scenarioID: String
    var memberIDs: [String]
    var run: UInt32
    var serverNow: String
}

/// Setup: reads the sandbox defaults, checks readiness and the scenario, binds the members.
/// Members and LINE users carry a per-run id, so every run binds fresh members and never meets
/// a previous run's bindings or monthly caps; re-running setup with the same `--run-id` only replays.
enum HTTPBenchmarkSetup {
    static func prepare(_ configuration: HTTPBenchmarkConfiguration, log: (String) -> Void) throws -> HTTPBenchmarkTarget {
        guard let defaultsBytes = FileManager.default.contents(atPath: configuration.defaultsPath) else {
            throw UsageError("can't read the sandbox defaults at \(configuration.defaultsPath); pass --defaults FILE")
        }
        let defaults = try SandboxDefaults(json: Array(defaultsBytes))
        let merchant: SandboxDefaults.MerchantDefaults
        if let wanted = configuration.merchantID {
            guard let found = defaults.merchants.first(where: { $0.channelID == wanted || $0.register.merchantID == wanted }) else {
                throw UsageError("no merchant \(wanted) in \(configuration.defaultsPath)")
            }
            merchant = found
        } else {
            guard let first = defaults.merchants.first else { throw UsageError("no merchants in \(configuration.defaultsPath)") }
            merchant = first
        }
        let builder = HTTPBenchmarkRequestBuilder(channelID: merchant.channelID, channelSecret: merchant.channelSecret,
                                                  host: configuration.host, port: configuration.port)
        var random = HTTPBenchmarkRandom()
        let connection = HTTPBenchmarkConnection(host: configuration.host, port: configuration.port, unixSocketPath: configuration.unixSocketPath)

        // Readiness and the server's clock (the sandbox may run on an overridden one).
        let ready = try exchangeJSON(connection, builder.plainGet("/readyz"), what: "GET /readyz")
        guard let nowText = ready["now"]?.stringValue, let nowMicros = CivilTime.parseRFC3339(nowText) else {
            throw HTTPBenchmarkClientError("GET /readyz has no parsable \"now\"")
        }

        // The scenario: given, or the merchant's first approved purchase_cashback one.
        let listed = try exchangeJSON(connection, builder.get("/v1/scenarios", random: &random), what: "GET /v1/scenarios")
        let scenarios = listed["scenarios"]?.arrayValue ?? []
        let scenario: JSONValue?
        if let wanted = configuration.scenarioID {
            scenario = scenarios.first { $0["scenarioId"]?.stringValue == wanted }
            guard scenario != nil else { throw UsageError("scenario \(wanted) is not one of merchant \(merchant.channelID)'s") }
        } else {
            scenario = scenarios.first { $0["purpose"]?.stringValue == "purchase_cashback" && $0["status"]?.stringValue == "approved" }
                ?? scenarios.first { $0["status"]?.stringValue == "approved" }
        }
        guard let scenario, let scenarioID = scenario["scenarioId"]?.stringValue else {
            throw UsageError("merchant \(merchant.channelID) has no approved scenario; pass --scenario ID")
        }
        guard scenario["status"]?.stringValue == "approved" else { throw UsageError("scenario \(scenarioID) is not approved") }
        let perGrantCap = scenario["caps"]?["maxPointsPerGrant"]?.intValue
        let monthlyCap = scenario["caps"]?["maxPointsPerUserPerMonth"]?.intValue
        if let perGrantCap, perGrantCap < Int64(configuration.points) {
            throw UsageError("--points \(configuration.points) exceeds scenario \(scenarioID)'s maxPointsPerGrant \(perGrantCap)")
        }
        log("setup: server clock \(nowText), merchant \(merchant.channelID), scenario \(scenarioID) "
            + "(\(scenario["purpose"]?.stringValue ?? "?"), maxPointsPerGrant \(perGrantCap.map(String.init) ?? "none"), "
            + "maxPointsPerUserPerMonth \(monthlyCap.map(String.init) ?? "none"))")

        // Bindings, in parallel over a few connections.
        let run = configuration.runID ?? UInt32(truncatingIfNeeded: random.next())
        let runText = String(run, radix: 16)
        let memberIDs = (0..<configuration.members).map { "bench-\(runText)-m\($0)" }
        let nowSeconds = nowMicros / 1_000_000
        let threads = min(16, max(1, configuration.connections), configuration.members)
        let started = MonotonicClock.micros()
        let outcome = HTTPBenchmarkBindingOutcome()
        let group = DispatchGroup()
        for thread in 0..<threads {
            group.enter()
            let worker = Thread {
                defer { group.leave() }
                var threadRandom = HTTPBenchmarkRandom()
                let threadConnection = HTTPBenchmarkConnection(host: configuration.host, port: configuration.port,
                                                               unixSocketPath: configuration.unixSocketPath)
                var member = thread
                while member < memberIDs.count {
                    let token = HTTPBenchmarkRequestBuilder.idToken(
                        lineUserID: HTTPBenchmarkRequestBuilder.lineUserID(run: run, member: member),
                        loginChannelID: merchant.loginChannelID, loginChannelSecret: merchant.loginChannelSecret, nowSeconds: nowSeconds)
                    let request = builder.post("/v1/bindings", body: HTTPBenchmarkRequestBuilder.bindingBody(memberID: memberIDs[member], idToken: token),
                                               random: &threadRandom)
                    do {
                        let response = try threadConnection.exchange(request)
                        if response.status == 200 || response.status == 201 {
                            outcome.succeeded(replay: response.status == 200)
                        } else {
                            outcome.failed("POST /v1/bindings \(memberIDs[member]) → \(response.status): "
                                + String(decoding: threadConnection.body(response).prefix(600), as: UTF8.self))
                        }
                    } catch {
                        outcome.failed("POST /v1/bindings \(memberIDs[member]): \(error)")
                    }
                    member += threads
                }
                threadConnection.close()
            }
            worker.stackSize = 1 << 20
            worker.start()
        }
        group.wait()
        let seconds = Double(MonotonicClock.micros() - started) / 1e6
        let result = outcome.snapshot()
        log(String(format: "setup: bound %d members (%d new, %d replayed) of run %@ in %.2f s (%.0f bindings/s)",
                   result.created + result.replayed, result.created, result.replayed, runText, seconds,
                   Double(result.created + result.replayed) / max(seconds, 1e-9)))
        if !result.failures.isEmpty {
            throw HTTPBenchmarkClientError("\(result.failureCount) bindings failed; first: \(result.failures.joined(separator: "\n  "))")
        }
        connection.close()
        return HTTPBenchmarkTarget(host: configuration.host, port: configuration.port, unixSocketPath: configuration.unixSocketPath,
                                   channelID: merchant.channelID,
                                   channelSecret: merchant.channelSecret, scenarioID: scenarioID, memberIDs: memberIDs, run: run,
                                   serverNow: nowText)
    }

    /// One request whose answer must be 2xx JSON.
    static func exchangeJSON(_ connection: HTTPBenchmarkConnection, _ request: [UInt8], what: String) throws -> JSONValue {
        let response = try connection.exchange(request)
        let body = connection.body(response)
        guard (200..<300).contains(response.status) else {
            throw HTTPBenchmarkClientError("\(what) answered \(response.status): \(String(decoding: body.prefix(600), as: UTF8.self))")
        }
        return try JSONParser.parse(body)
    }
}

/// Binding results gathered from the setup threads.
final class HTTPBenchmarkBindingOutcome: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var created = 0
    private var replayed = 0
    private var failureCount = 0
    private var failures: [String] = []

    func succeeded(replay: Bool) {
        lock.lock()
        if replay { replayed += 1 } else { created += 1 }
        lock.unlock()
    }

    func failed(_ message: String) {
        lock.lock()
        failureCount += 1
        if failures.count < 3 { failures.append(message) }
        lock.unlock()
    }

    func snapshot() -> (created: Int, replayed: Int, failureCount: Int, failures: [String]) {
        lock.lock()
        defer { lock.unlock() }
        return (created, replayed, failureCount, failures)
    }
}
