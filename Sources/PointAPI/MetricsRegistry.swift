import Synchronization

/// Why a metric could not be registered (a programming error at start-up).
public struct MetricsRegistrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public let message: String

    public var description: String { message }
}

/// The set of metrics rendered on `/metrics` in the Prometheus text exposition format 0.0.4.
///
/// ```swift
/// let registry = MetricsRegistry()
/// let requests = try registry.counter("pointconnect_http_requests_total", help: "Requests served.", labelNames: ["route", "method", "status"])
/// let latency = try registry.histogram("pointconnect_http_request_duration_seconds", help: "…", labelNames: ["route"], buckets: MetricsRegistry.latencyBucketsSeconds)
/// requests.labels(route, "POST", "201").increment()
/// latency.labels(route).observe(seconds)
/// return HTTPResponse(status: .ok, headers: ["Content-Type": MetricsRegistry.contentType], body: Array(registry.render().utf8))
/// ```
public final class MetricsRegistry: Sendable {
    /// The `Content-Type` of ``render()``'s output.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
    /// Request latency buckets from 100 µs to 10 s, in seconds.
    public static let latencyBucketsSeconds: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]
    /// Most metric families in one registry.
    public static let maxFamilies = 512

    private let families: Mutex<[any RenderableFamily]>

    public init() {
        families = Mutex([])
    }

    /// Registers a counter family (names ending in `_total` by convention).
    public func counter(_ name: String, help: String, labelNames: [String] = [], maxSeries: Int = 1000) throws(MetricsRegistrationError) -> CounterFamily {
        let family = CounterFamily(name: name, help: help, labelNames: labelNames, maxSeries: maxSeries, kind: "counter") { Counter() }
        try register(family)
        return family
    }

    /// Registers a gauge family.
    public func gauge(_ name: String, help: String, labelNames: [String] = [], maxSeries: Int = 1000) throws(MetricsRegistrationError) -> GaugeFamily {
        let family = GaugeFamily(name: name, help: help, labelNames: labelNames, maxSeries: maxSeries, kind: "gauge") { Gauge() }
        try register(family)
        return family
    }

    /// Registers a histogram family with finite, strictly increasing `buckets` (`+Inf` is added).
    public func histogram(
        _ name: String, help: String, labelNames: [String] = [], buckets: [Double], maxSeries: Int = 1000
    ) throws(MetricsRegistrationError) -> HistogramFamily {
        guard !buckets.isEmpty, buckets.allSatisfy(\.isFinite), zip(buckets, buckets.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw MetricsRegistrationError(message: "\(name): buckets must be finite, strictly increasing and not empty")
        }
        guard !labelNames.contains("le") else {
            throw MetricsRegistrationError(message: "\(name): a histogram may not have a label named le")
        }
        let family = HistogramFamily(name: name, help: help, labelNames: labelNames, maxSeries: maxSeries, kind: "histogram") {
            Histogram(upperBounds: buckets)
        }
        try register(family)
        return family
    }

    /// The exposition text of every family, in registration order.
    public func render() -> String {
        let families = self.families.withLock { $0 }
        var output = ""
        output.reserveCapacity(4096)
        for family in families { family.render(into: &output) }
        return output
    }

    private func register(_ family: some RenderableFamily) throws(MetricsRegistrationError) {
        guard Self.isMetricName(family.name) else {
            throw MetricsRegistrationError(message: "\(family.name) is not a valid metric name")
        }
        for label in family.labelNames where !Self.isLabelName(label) {
            throw MetricsRegistrationError(message: "\(family.name): \(label) is not a valid label name")
        }
        guard Set(family.labelNames).count == family.labelNames.count else {
            throw MetricsRegistrationError(message: "\(family.name): label names repeat")
        }
        let failure: MetricsRegistrationError? = families.withLock { families in
            if families.contains(where: { $0.name == family.name }) {
                return MetricsRegistrationError(message: "\(family.name) is registered already")
            }
            if families.count >= MetricsRegistry.maxFamilies {
                return MetricsRegistrationError(message: "more than \(MetricsRegistry.maxFamilies) metric families")
            }
            families.append(family)
            return nil
        }
        if let failure { throw failure }
    }

    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.utf8.first, isLetter(first) || first == UInt8(ascii: "_") || first == UInt8(ascii: ":") else { return false }
        return name.utf8.allSatisfy { isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ":") }
    }

    static func isLabelName(_ name: String) -> Bool {
        guard let first = name.utf8.first, isLetter(first) || first == UInt8(ascii: "_"), !name.hasPrefix("__") else { return false }
        return name.utf8.allSatisfy { isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") }
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
}

/// A family the registry can render.
protocol RenderableFamily: Sendable {
    var name: String { get }
    var labelNames: [String] { get }
    func render(into output: inout String)
}

extension MetricFamily: RenderableFamily {
    func render(into output: inout String) {
        output += "# HELP \(name) \(ExpositionText.escapeHelp(help))\n# TYPE \(name) \(kind)\n"
        for (values, series) in snapshot {
            let labels = ExpositionText.labels(names: labelNames, values: values)
            switch series {
            case let counter as Counter:
                output += "\(name)\(labels) \(counter.value)\n"
            case let gauge as Gauge:
                output += "\(name)\(labels) \(ExpositionText.number(gauge.value))\n"
            case let histogram as Histogram:
                let counts = histogram.counts
                var cumulative: UInt64 = 0
                for (index, count) in counts.enumerated() {
                    cumulative &+= count
                    let bound = index < histogram.upperBounds.count ? ExpositionText.number(histogram.upperBounds[index]) : "+Inf"
                    let bucketLabels = ExpositionText.labels(names: labelNames + ["le"], values: values + [bound])
                    output += "\(name)_bucket\(bucketLabels) \(cumulative)\n"
                }
                output += "\(name)_sum\(labels) \(ExpositionText.number(histogram.sum))\n"
                output += "\(name)_count\(labels) \(cumulative)\n"
            default:
                break
            }
        }
    }
}

/// Escaping and number formatting of the text exposition format.
enum ExpositionText {
    /// HELP text: `\\` and `\n` escaped; other control characters become spaces.
    static func escapeHelp(_ text: String) -> String { escape(text, quotes: false) }

    /// Label values: `\\`, `\"` and `\n` escaped; other control characters become spaces.
    static func escapeLabelValue(_ text: String) -> String { escape(text, quotes: true) }

    private static func escape(_ text: String, quotes: Bool) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": result.append(contentsOf: "\\n".unicodeScalars)
            case "\"" where quotes: result.append(contentsOf: "\\\"".unicodeScalars)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: result.append(" ")
            default: result.append(scalar)
            }
        }
        return String(result)
    }

    static func labels(names: [String], values: [String]) -> String {
        guard !names.isEmpty else { return "" }
        let pairs = zip(names, values).map { "\($0)=\"\(escapeLabelValue($1))\"" }
        return "{" + pairs.joined(separator: ",") + "}"
    }

    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
