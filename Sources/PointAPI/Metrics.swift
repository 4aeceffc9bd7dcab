import Synchronization

/// A monotonically increasing count; lock-free.
public final class Counter: Sendable {
    private let storage = Atomic<UInt64>(0)

    init() {}

    /// Adds `amount` (default 1).
    public func increment(by amount: UInt64 = 1) {
        storage.wrappingAdd(amount, ordering: .relaxed)
    }

    /// The current count.
    public var value: UInt64 { storage.load(ordering: .relaxed) }
}

/// A value that goes up and down; lock-free.
public final class Gauge: Sendable {
    private let bits = Atomic<UInt64>(0.0.bitPattern)

    init() {}

    /// Sets the value.
    public func set(_ value: Double) {
        bits.store(value.bitPattern, ordering: .relaxed)
    }

    /// Adds `delta` (may be negative).
    public func add(_ delta: Double) {
        var current = bits.load(ordering: .relaxed)
        while true {
            let next = (Double(bitPattern: current) + delta).bitPattern
            let (exchanged, original) = bits.compareExchange(expected: current, desired: next, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// The current value.
    public var value: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }
}

/// Counts observations into buckets with fixed upper bounds; lock-free.
public final class Histogram: Sendable {
    /// The finite upper bounds, ascending (`+Inf` is implicit).
    public let upperBounds: [Double]
    private let bucketCounts: [Counter]
    private let sumBits = Atomic<UInt64>(0.0.bitPattern)

    init(upperBounds: [Double]) {
        self.upperBounds = upperBounds
        self.bucketCounts = (0...upperBounds.count).map { _ in Counter() }
    }

    /// Records one observation (NaN is ignored).
    public func observe(_ value: Double) {
        guard !value.isNaN else { return }
        var low = 0
        var high = upperBounds.count
        while low < high {
            let middle = (low + high) / 2
            if value <= upperBounds[middle] { high = middle } else { low = middle + 1 }
        }
        bucketCounts[low].increment()
        var current = sumBits.load(ordering: .relaxed)
        while true {
            let next = (Double(bitPattern: current) + value).bitPattern
            let (exchanged, original) = sumBits.compareExchange(expected: current, desired: next, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// Per-bucket (non-cumulative) counts, the last one for `+Inf`.
    var counts: [UInt64] { bucketCounts.map(\.value) }
    /// Sum of all observations.
    public var sum: Double { Double(bitPattern: sumBits.load(ordering: .relaxed)) }
    /// Number of observations.
    public var count: UInt64 { counts.reduce(0, &+) }
}

/// A metric with a fixed set of label names and one series per distinct label-value list.
///
/// Resolve a series once and keep it when the labels are known ahead (cheapest: one atomic add);
/// ``labels(_:)`` costs a lock and a dictionary lookup. At most `maxSeries` series exist; further
/// label combinations (or a wrong number of values) share one series whose values are all
/// `_overflow`, so hostile input cannot grow memory.
public final class MetricFamily<Series: Sendable & AnyObject>: Sendable {
    /// The metric name.
    public let name: String
    /// The help text.
    public let help: String
    /// The label names, in order.
    public let labelNames: [String]
    /// Most distinct series.
    public let maxSeries: Int

    let kind: String
    private let makeSeries: @Sendable () -> Series
    private let table: Mutex<Table>
    private let overflowSeries: Series

    private struct Table {
        var byValues: [[String]: Series] = [:]
        var order: [([String], Series)] = []
        var overflowUsed = false
    }

    init(name: String, help: String, labelNames: [String], maxSeries: Int, kind: String, makeSeries: @escaping @Sendable () -> Series) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.maxSeries = max(1, maxSeries)
        self.kind = kind
        self.makeSeries = makeSeries
        self.overflowSeries = makeSeries()
        self.table = Mutex(Table())
    }

    /// The series for `values` (one per label name, in order), created on first use.
    public func labels(_ values: String...) -> Series { labels(values) }

    /// The series for `values`, created on first use.
    public func labels(_ values: [String]) -> Series {
        let maxSeries = self.maxSeries
        let overflow = overflowSeries
        return table.withLock { table in
            if let series = table.byValues[values] { return series }
            guard values.count == labelNames.count, table.order.count < maxSeries else {
                table.overflowUsed = true
                return overflow
            }
            let series = makeSeries()
            table.byValues[values] = series
            table.order.append((values, series))
            return series
        }
    }

    /// Every series with its label values, in creation order (the overflow series last, if used).
    var snapshot: [([String], Series)] {
        let overflowValues = labelNames.map { _ in "_overflow" }
        return table.withLock { table in
            table.order + (table.overflowUsed ? [(overflowValues, overflowSeries)] : [])
        }
    }
}

/// Counters, keyed by label values.
public typealias CounterFamily = MetricFamily<Counter>
/// Gauges, keyed by label values.
public typealias GaugeFamily = MetricFamily<Gauge>
/// Histograms, keyed by label values.
public typealias HistogramFamily = MetricFamily<Histogram>
