#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PointJSON

/// The machine a figure was measured on.
struct HTTPBenchmarkMachine: Sendable {
    var processors: Int
    var cpuModel: String
    var kernel: String
    var memoryMiB: Int
    var date: String

    static func current() -> HTTPBenchmarkMachine {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        var names = utsname()
        uname(&names)
        let release = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        let totalKiB = meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }
            .flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) } ?? 0
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return HTTPBenchmarkMachine(processors: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), cpuModel: model, kernel: "Linux \(release)",
                                    memoryMiB: totalKiB / 1024, date: formatter.string(from: Date()))
    }
}

/// Renders the result as text or JSON.
struct HTTPBenchmarkReport {
    let configuration: HTTPBenchmarkConfiguration
    let target: HTTPBenchmarkTarget
    let outcome: HTTPBenchmarkLoad.Outcome
    let machine: HTTPBenchmarkMachine
    let commandLine: String

    static let percentiles: [(label: String, value: Double)] = [("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9), ("max", 100)]

    var tally: HTTPBenchmarkTally { outcome.tally }
    var requestsPerSecond: Double { Double(tally.requests) / configuration.durationSeconds }
    var grantsPerSecond: Double { Double(tally.grants) / configuration.durationSeconds }
    var failed: Bool { tally.failures > 0 || tally.refusedGrants > 0 || tally.requests == 0 }

    private static func milliseconds(_ nanos: UInt64) -> String { String(format: "%.3f", Double(nanos) / 1e6) }

    var text: String {
        var lines: [String] = []
        let loop = configuration.mode == .closed
            ? "closed loop"
            : String(format: "open loop at %.0f requests/s (%.1f per connection)", configuration.rate, configuration.rate / Double(configuration.connections))
        let shape = configuration.batch == 0 ? "POST /v1/grants (1 grant per request)" : "POST /v1/grants/batch (\(configuration.batch) grants per request)"
        lines.append("pointconnect bench http — \(configuration.url)")
        lines.append("  machine:    \(machine.processors) CPUs, \(machine.cpuModel), \(machine.memoryMiB) MiB, \(machine.kernel); \(machine.date)")
        lines.append("  command:    \(commandLine)")
        let threads = configuration.clientThreads == 0 ? "a client thread per connection" : "\(configuration.clientThreads) client thread(s) sharing them"
        lines.append("  load:       \(shape), \(configuration.connections) keep-alive connections (\(threads)), \(loop)")
        lines.append(String(format: "  window:     %.1f s measured after %.1f s warm-up; scenario %@, %d members of run %@, %d point(s) per grant",
                            configuration.durationSeconds, configuration.warmupSeconds, target.scenarioID, target.memberIDs.count,
                            String(target.run, radix: 16), configuration.points))
        lines.append(String(format: "  throughput: %.0f requests/s, %.0f grants/s", requestsPerSecond, grantsPerSecond))
        let statuses = tally.statusCounts.keys.sorted().map { "\($0): \(tally.statusCounts[$0]!)" }.joined(separator: ", ")
        lines.append("  statuses:   \(statuses.isEmpty ? "none" : statuses)\(tally.clientErrors > 0 ? ", client errors: \(tally.clientErrors)" : "")"
            + "; failures \(tally.failures)\(configuration.batch > 0 ? ", refused grants in batches \(tally.refusedGrants)" : "")")
        let label = configuration.mode == .open ? "latency from the scheduled send time (ms)" : "latency (ms)"
        lines.append("  \(label):")
        lines.append("    " + Self.percentiles.map { "\($0.label) \(Self.milliseconds(tally.latency.value(atPercentile: $0.value)))" }.joined(separator: "  ")
            + String(format: "  mean %.3f", tally.latency.mean / 1e6))
        if configuration.mode == .open {
            lines.append("  service time from the actual send (ms):")
            lines.append("    " + Self.percentiles.map { "\($0.label) \(Self.milliseconds(tally.service.value(atPercentile: $0.value)))" }.joined(separator: "  "))
            lines.append("  sends later than 1 ms behind schedule: \(tally.lateSends) of \(tally.requests)")
        }
        var cpu: [String] = []
        if let client = outcome.clientCPUSeconds { cpu.append(String(format: "load generator %.2f cores", client / configuration.durationSeconds)) }
        if let server = outcome.serverCPUSeconds { cpu.append(String(format: "server %.2f cores", server / configuration.durationSeconds)) }
        if let machine = outcome.machineCPUSeconds {
            cpu.append(String(format: "whole machine %.2f of %d cores", machine / configuration.durationSeconds, self.machine.processors))
            let others = machine - (outcome.clientCPUSeconds ?? 0) - (outcome.serverCPUSeconds ?? 0)
            if outcome.serverCPUSeconds != nil && others / configuration.durationSeconds > 0.15 {
                cpu.append(String(format: "OTHER PROCESSES %.2f cores — the figures are contaminated", others / configuration.durationSeconds))
            }
        }
        if !cpu.isEmpty { lines.append("  CPU in the window: " + cpu.joined(separator: ", ")) }
        if tally.connects > configuration.connections {
            lines.append("  reconnects: \(tally.connects - configuration.connections) during warm-up + window (the server closes a connection after its 1,000th request)")
        }
        if !tally.errorSamples.isEmpty {
            lines.append("  first errors:")
            for sample in tally.errorSamples { lines.append("    " + sample.replacingOccurrences(of: "\n", with: " ")) }
        }
        return lines.joined(separator: "\n")
    }

    var json: String {
        let writer = HTTPBenchmarkJSONWriter()
        writer.object {
            writer.field("tool", string: "pointconnect bench http")
            writer.field("date", string: machine.date)
            writer.field("command", string: commandLine)
            writer.key("machine"); writer.object {
                writer.field("nproc", int: machine.processors)
                writer.field("cpuModel", string: machine.cpuModel)
                writer.field("memoryMiB", int: machine.memoryMiB)
                writer.field("kernel", string: machine.kernel)
            }
            writer.key("configuration"); writer.object {
                writer.field("url", string: configuration.url)
                writer.field("mode", string: configuration.mode.rawValue)
                writer.field("connections", int: configuration.connections)
                writer.field("clientThreads", int: configuration.clientThreads)
                writer.field("durationSeconds", number: configuration.durationSeconds)
                writer.field("warmupSeconds", number: configuration.warmupSeconds)
                if configuration.mode == .open { writer.field("rate", number: configuration.rate) }
                writer.field("batch", int: configuration.batch)
                writer.field("members", int: target.memberIDs.count)
                writer.field("points", int: configuration.points)
                writer.field("scenarioId", string: target.scenarioID)
                writer.field("merchant", string: target.channelID)
                writer.field("run", string: String(target.run, radix: 16))
            }
            writer.field("requests", int: tally.requests)
            writer.field("grants", int: tally.grants)
            writer.field("requestsPerSecond", number: requestsPerSecond)
            writer.field("grantsPerSecond", number: grantsPerSecond)
            writer.key("statusCounts"); writer.object {
                for status in tally.statusCounts.keys.sorted() { writer.field(String(status), int: tally.statusCounts[status]!) }
            }
            writer.field("clientErrors", int: tally.clientErrors)
            writer.field("failures", int: tally.failures)
            writer.field("refusedGrants", int: tally.refusedGrants)
            writer.key("latencyMs"); latencyObject(writer, tally.latency)
            if configuration.mode == .open {
                writer.key("serviceTimeMs"); latencyObject(writer, tally.service)
                writer.field("lateSends", int: tally.lateSends)
            }
            if let client = outcome.clientCPUSeconds { writer.field("loadGeneratorCores", number: client / configuration.durationSeconds) }
            if let server = outcome.serverCPUSeconds { writer.field("serverCores", number: server / configuration.durationSeconds) }
            if let machine = outcome.machineCPUSeconds { writer.field("machineBusyCores", number: machine / configuration.durationSeconds) }
            writer.key("errorSamples"); writer.array {
                for sample in tally.errorSamples { writer.element(string: sample) }
            }
        }
        return writer.output
    }

    private func latencyObject(_ writer: HTTPBenchmarkJSONWriter, _ histogram: HTTPBenchmarkHistogram) {
        writer.object {
            for (label, value) in Self.percentiles { writer.field(label, number: Double(histogram.value(atPercentile: value)) / 1e6) }
            writer.field("mean", number: histogram.mean / 1e6)
            writer.field("count", int: Int(histogram.total))
        }
    }
}

/// A tiny JSON writer for the report (PointJSON's values have no floating point numbers by design).
final class HTTPBenchmarkJSONWriter {
    private(set) var output = ""
    private var needsComma = false

    func object(_ body: () -> Void) {
        separate()
        output += "{"
        needsComma = false
        body()
        output += "}"
        needsComma = true
    }

    func array(_ body: () -> Void) {
        separate()
        output += "["
        needsComma = false
        body()
        output += "]"
        needsComma = true
    }

    func key(_ name: String) {
        separate()
        output += Self.quoted(name) + ":"
        needsComma = false
    }

    func field(_ name: String, string: String) { key(name); raw(Self.quoted(string)) }
    func field(_ name: String, int: Int) { key(name); raw(String(int)) }
    func field(_ name: String, number: Double) {
        key(name)
        raw(number.isFinite ? String(format: "%.3f", number) : "null")
    }
    func element(string: String) { separate(); output += Self.quoted(string); needsComma = true }

    private func raw(_ text: String) { output += text; needsComma = true }

    private func separate() {
        if needsComma { output += "," }
    }

    /// A JSON string literal, escaped exactly as PointJSON's canonical writer escapes it.
    static func quoted(_ text: String) -> String {
        String(decoding: CanonicalJSON.encode(.string(text)), as: UTF8.self)
    }
}
