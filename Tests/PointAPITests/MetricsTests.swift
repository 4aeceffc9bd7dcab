import Foundation
import Testing
@testable import PointAPI

/// A strict reader of the Prometheus text format, enough to check what the registry renders.
struct ExpositionSample: Equatable {
    var name: String
    var labels: [String: String]
    var value: Double
}

struct ExpositionParseError: Error, CustomStringConvertible {
    var description: String
}

func parseExposition(_ text: String) throws -> (samples: [ExpositionSample], types: [String: String], helps: [String: String]) {
    var samples: [ExpositionSample] = []
    var types: [String: String] = [:]
    var helps: [String: String] = [:]
    guard text.hasSuffix("\n") else { throw ExpositionParseError(description: "output must end with a newline") }
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
        if line.hasPrefix("# HELP ") {
            let rest = line.dropFirst(7)
            guard let space = rest.firstIndex(of: " ") else { throw ExpositionParseError(description: "bad HELP: \(line)") }
            helps[String(rest[..<space])] = String(rest[rest.index(after: space)...])
            continue
        }
        if line.hasPrefix("# TYPE ") {
            let parts = line.dropFirst(7).split(separator: " ")
            guard parts.count == 2, ["counter", "gauge", "histogram"].contains(parts[1]) else {
                throw ExpositionParseError(description: "bad TYPE: \(line)")
            }
            guard types[String(parts[0])] == nil else { throw ExpositionParseError(description: "TYPE repeated: \(line)") }
            types[String(parts[0])] = String(parts[1])
            continue
        }
        var characters = Array(line.unicodeScalars)[...]
        var name = ""
        while let first = characters.first, first.properties.isAlphabetic || ("0"..."9").contains(first) || first == "_" || first == ":" {
            name.unicodeScalars.append(first)
            characters = characters.dropFirst()
        }
        guard !name.isEmpty else { throw ExpositionParseError(description: "no metric name: \(line)") }
        var labels: [String: String] = [:]
        if characters.first == "{" {
            characters = characters.dropFirst()
            while characters.first != "}" {
                var labelName = ""
                while let first = characters.first, first != "=" {
                    labelName.unicodeScalars.append(first)
                    characters = characters.dropFirst()
                }
                characters = characters.dropFirst()
                guard characters.first == "\"" else { throw ExpositionParseError(description: "label value not quoted: \(line)") }
                characters = characters.dropFirst()
                var value = ""
                while let first = characters.first, first != "\"" {
                    characters = characters.dropFirst()
                    if first == "\\" {
                        guard let escaped = characters.first else { throw ExpositionParseError(description: "dangling escape") }
                        characters = characters.dropFirst()
                        switch escaped {
                        case "\\": value += "\\"
                        case "\"": value += "\""
                        case "n": value += "\n"
                        default: throw ExpositionParseError(description: "bad escape in \(line)")
                        }
                    } else {
                        value.unicodeScalars.append(first)
                    }
                }
                characters = characters.dropFirst()
                guard labels[labelName] == nil else { throw ExpositionParseError(description: "label repeated: \(line)") }
                labels[labelName] = value
                if characters.first == "," { characters = characters.dropFirst() }
                guard !characters.isEmpty else { throw ExpositionParseError(description: "unterminated labels: \(line)") }
            }
            characters = characters.dropFirst()
        }
        guard characters.first == " " else { throw ExpositionParseError(description: "no space before value: \(line)") }
        let valueText = String(String.UnicodeScalarView(characters.dropFirst()))
        let value: Double
        switch valueText {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default:
            guard let parsed = Double(valueText) else { throw ExpositionParseError(description: "bad value: \(line)") }
            value = parsed
        }
        samples.append(ExpositionSample(name: name, labels: labels, value: value))
    }
    return (samples, types, helps)
}

@Suite struct MetricsTests {
    @Test func rendersValidExposition() throws {
        let registry = MetricsRegistry()
        let requests = try registry.counter("pointconnect_http_requests_total", help: "Requests served.\nBy route.", labelNames: ["route", "status"])
        let connections = try registry.gauge("pointconnect_open_connections", help: "Open connections.")
        let latency = try registry.histogram("pointconnect_request_seconds", help: "Latency.", labelNames: ["route"], buckets: [0.001, 0.01, 0.1])
        requests.labels("/v1/grants", "201").increment()
        requests.labels("/v1/grants", "201").increment(by: 2)
        requests.labels("/v1/grants/{orderId}", "404").increment()
        requests.labels("we\"ird\\\nvalue", "500").increment()
        connections.labels().set(3)
        connections.labels().add(-1.5)
        let grants = latency.labels("/v1/grants")
        for value in [0.0005, 0.001, 0.002, 0.05, 3.0] { grants.observe(value) }

        let text = registry.render()
        let (samples, types, helps) = try parseExposition(text)
        #expect(types == ["pointconnect_http_requests_total": "counter", "pointconnect_open_connections": "gauge", "pointconnect_request_seconds": "histogram"])
        #expect(helps["pointconnect_http_requests_total"] == "Requests served.\\nBy route.")
        func value(_ name: String, _ labels: [String: String]) -> Double? {
            samples.first { $0.name == name && $0.labels == labels }?.value
        }
        #expect(value("pointconnect_http_requests_total", ["route": "/v1/grants", "status": "201"]) == 3)
        #expect(value("pointconnect_http_requests_total", ["route": "/v1/grants/{orderId}", "status": "404"]) == 1)
        #expect(value("pointconnect_http_requests_total", ["route": "we\"ird\\\nvalue", "status": "500"]) == 1)
        #expect(value("pointconnect_open_connections", [:]) == 1.5)
        #expect(value("pointconnect_request_seconds_bucket", ["route": "/v1/grants", "le": "0.001"]) == 2)
        #expect(value("pointconnect_request_seconds_bucket", ["route": "/v1/grants", "le": "0.01"]) == 3)
        #expect(value("pointconnect_request_seconds_bucket", ["route": "/v1/grants", "le": "0.1"]) == 4)
        #expect(value("pointconnect_request_seconds_bucket", ["route": "/v1/grants", "le": "+Inf"]) == 5)
        #expect(value("pointconnect_request_seconds_count", ["route": "/v1/grants"]) == 5)
        let sum = try #require(value("pointconnect_request_seconds_sum", ["route": "/v1/grants"]))
        #expect(abs(sum - 3.0535) < 1e-9)
        // Every sample belongs to a declared family.
        for sample in samples {
            let family = ["_bucket", "_sum", "_count"].reduce(sample.name) { name, suffix in
                types[name] == nil && name.hasSuffix(suffix) ? String(name.dropLast(suffix.count)) : name
            }
            #expect(types[family] != nil, "\(sample.name) has no TYPE")
        }
    }

    @Test func refusesBadRegistrations() throws {
        let registry = MetricsRegistry()
        _ = try registry.counter("a_total", help: "x")
        #expect(throws: MetricsRegistrationError.self) { try registry.counter("a_total", help: "again") }
        #expect(throws: MetricsRegistrationError.self) { try registry.counter("1bad", help: "x") }
        #expect(throws: MetricsRegistrationError.self) { try registry.counter("ok", help: "x", labelNames: ["__reserved"]) }
        #expect(throws: MetricsRegistrationError.self) { try registry.counter("ok2", help: "x", labelNames: ["a", "a"]) }
        #expect(throws: MetricsRegistrationError.self) { try registry.histogram("h", help: "x", buckets: [1, 1]) }
        #expect(throws: MetricsRegistrationError.self) { try registry.histogram("h2", help: "x", buckets: []) }
        #expect(throws: MetricsRegistrationError.self) { try registry.histogram("h3", help: "x", labelNames: ["le"], buckets: [1]) }
    }

    @Test func seriesAreBoundedByAnOverflowSeries() throws {
        let registry = MetricsRegistry()
        let family = try registry.counter("c_total", help: "x", labelNames: ["route"], maxSeries: 2)
        for index in 0..<10 { family.labels("r\(index)").increment() }
        family.labels("a", "too many values").increment()
        let samples = try parseExposition(registry.render()).samples
        #expect(samples.count == 3)
        #expect(samples.last == ExpositionSample(name: "c_total", labels: ["route": "_overflow"], value: 9))
    }

    @Test func concurrentUpdatesAreNotLost() async throws {
        let registry = MetricsRegistry()
        let counters = try registry.counter("c_total", help: "x", labelNames: ["worker"])
        let histograms = try registry.histogram("h_seconds", help: "x", buckets: [0.5])
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    let shared = counters.labels("shared")
                    let histogram = histograms.labels()
                    for _ in 0..<10_000 {
                        shared.increment()
                        counters.labels("w\(worker % 2)").increment()
                        histogram.observe(1)
                    }
                }
            }
        }
        #expect(counters.labels("shared").value == 40_000)
        #expect(counters.labels("w0").value == 20_000)
        #expect(histograms.labels().count == 40_000)
        #expect(histograms.labels().sum == 40_000)
    }

    @Test func hotPathCostIsSmall() throws {
        let registry = MetricsRegistry()
        let family = try registry.counter("c_total", help: "x", labelNames: ["route", "status"])
        let histogram = try registry.histogram("h_seconds", help: "x", buckets: MetricsRegistry.latencyBucketsSeconds).labels()
        let counter = family.labels("/v1/grants", "201")
        let iterations = 200_000
        let clock = ContinuousClock()
        let preResolved = clock.measure { for _ in 0..<iterations { counter.increment() } }
        let lookedUp = clock.measure { for _ in 0..<iterations { family.labels("/v1/grants", "201").increment() } }
        let observed = clock.measure { for index in 0..<iterations { histogram.observe(Double(index % 1000) / 10_000) } }
        func nanoseconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
        }
        let perIncrement = nanoseconds(preResolved) / Double(iterations)
        let perLookup = nanoseconds(lookedUp) / Double(iterations)
        let perObserve = nanoseconds(observed) / Double(iterations)
        print("metrics cost (ns/op): pre-resolved increment \(Int(perIncrement)), labels()+increment \(Int(perLookup)), histogram observe \(Int(perObserve))")
        // Generous bounds for a shared machine running debug builds; they catch accidental O(n) work.
        #expect(perIncrement < 2_000)
        #expect(perLookup < 20_000)
        #expect(perObserve < 20_000)
    }
}
