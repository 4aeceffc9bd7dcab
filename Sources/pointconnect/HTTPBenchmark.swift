#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// `pointconnect bench http`: load a running PointConnect API with signed grant requests over
/// keep-alive connections (our own HTTP/1.1 client, one OS thread per connection) and report
/// throughput, status counts and latency percentiles.
///
/// Setup binds `--members` fresh members (a per-run id keeps runs apart), then the load phase runs
/// `--warmup` + `--duration` seconds in a closed loop (each connection sends when answered) or an
/// open loop (`--rate` requests/s on a fixed schedule; latency from the scheduled send time, so a
/// stalled server shows up in the percentiles instead of slowing the generator down).
enum HTTPBenchmark {
    static func run(_ options: CommandLineOptions) throws -> Int32 {
        let configuration = try HTTPBenchmarkConfiguration(options)
        var serverPID: Int32?
        if let text = options.value("server-pid") {
            guard let pid = Int32(text), pid > 0 else { throw UsageError("--server-pid must be a process id, not \"\(text)\"") }
            serverPID = pid
        }
        let log: (String) -> Void = { FileHandleOutput.standardError($0 + "\n") }
        let target = try HTTPBenchmarkSetup.prepare(configuration, log: log)
        let shape = configuration.batch == 0 ? "single grants" : "batches of \(configuration.batch)"
        log(String(format: "load: %@, %d connections, %@ loop, %.1f s warm-up + %.1f s measured…", shape, configuration.connections,
                   configuration.mode.rawValue, configuration.warmupSeconds, configuration.durationSeconds))
        let outcome = HTTPBenchmarkLoad.run(configuration, target: target, serverPID: serverPID)
        let report = HTTPBenchmarkReport(configuration: configuration, target: target, outcome: outcome, machine: .current(),
                                         commandLine: CommandLine.arguments.joined(separator: " "))
        print(configuration.json ? report.json : report.text)
        return report.failed ? 1 : 0
    }
}
