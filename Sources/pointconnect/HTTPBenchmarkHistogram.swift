/// A log-linear latency histogram in the style of HdrHistogram: values (nanoseconds) are kept in
/// buckets whose width doubles every power of two, each power split into `subBuckets` linear
/// slots, so any recorded value is reported within 1/`subBuckets` (≈ 0.8 %) of its true value.
/// Fixed memory (a few tens of KB), O(1) record, mergeable across threads; the maximum is exact.
struct HTTPBenchmarkHistogram: Sendable {
    /// Linear slots per power of two (a power of two itself).
    static let subBucketBits = 7
    static let subBuckets = 1 << subBucketBits
    /// Largest trackable value: 2^40 ns ≈ 18 minutes; larger values are clamped (and counted).
    static let maxExponent = 40

    private(set) var counts: [UInt64]
    private(set) var total: UInt64 = 0
    private(set) var maximum: UInt64 = 0
    private(set) var minimum: UInt64 = .max
    private(set) var sum: Double = 0
    private(set) var clamped: UInt64 = 0

    init() {
        counts = [UInt64](repeating: 0, count: (Self.maxExponent - Self.subBucketBits + 2) * Self.subBuckets)
    }

    /// Bucket index of `value`: values below `subBuckets` map one to one; above, the top
    /// `subBucketBits + 1` significant bits select the slot.
    static func index(of value: UInt64) -> Int {
        if value < UInt64(subBuckets) { return Int(value) }
        let magnitude = 63 - value.leadingZeroBitCount          // ≥ subBucketBits
        let shift = magnitude - subBucketBits
        let slot = Int(value >> UInt64(shift)) - subBuckets        // 0 ..< subBuckets
        return (shift + 1) * subBuckets + slot
    }

    /// The highest value that maps to bucket `index` (what percentiles report: never optimistic).
    static func highestValue(at index: Int) -> UInt64 {
        if index < subBuckets { return UInt64(index) }
        let shift = index / subBuckets - 1
        let slot = index % subBuckets
        let low = UInt64(subBuckets + slot) << UInt64(shift)
        return low + (UInt64(1) << UInt64(shift)) - 1
    }

    mutating func record(nanoseconds: UInt64) {
        var value = nanoseconds
        let limit = UInt64(1) << UInt64(Self.maxExponent)
        if value >= limit {
            value = limit - 1
            clamped += 1
        }
        counts[Self.index(of: value)] += 1
        total += 1
        sum += Double(nanoseconds)
        if nanoseconds > maximum { maximum = nanoseconds }
        if nanoseconds < minimum { minimum = nanoseconds }
    }

    mutating func merge(_ other: HTTPBenchmarkHistogram) {
        for index in other.counts.indices where other.counts[index] != 0 { counts[index] += other.counts[index] }
        total += other.total
        sum += other.sum
        clamped += other.clamped
        maximum = max(maximum, other.maximum)
        minimum = min(minimum, other.minimum)
    }

    /// The value at `percentile` (0…100): the upper edge of the bucket holding that rank, capped at the exact maximum.
    func value(atPercentile percentile: Double) -> UInt64 {
        guard total > 0 else { return 0 }
        if percentile >= 100 { return maximum }
        let rank = max(1, UInt64((percentile / 100 * Double(total)).rounded(.up)))
        var seen: UInt64 = 0
        for index in counts.indices {
            seen += counts[index]
            if seen >= rank { return min(Self.highestValue(at: index), maximum) }
        }
        return maximum
    }

    var mean: Double { total == 0 ? 0 : sum / Double(total) }
}
