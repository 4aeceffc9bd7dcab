import Foundation
import Synchronization

/// The wall clock used for nonce freshness and replay expiry, injectable for tests and the sandbox.
public protocol APIClock: Sendable {
    /// Milliseconds since the Unix epoch.
    func unixMilliseconds() -> Int64
}

/// The system's real-time clock.
public struct SystemAPIClock: APIClock {
    public init() {}

    public func unixMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// A clock that only moves when told to; thread-safe.
public final class ManualAPIClock: APIClock {
    private let now: Mutex<Int64>

    /// A clock reading `unixMilliseconds`.
    public init(unixMilliseconds: Int64) {
        now = Mutex(unixMilliseconds)
    }

    public func unixMilliseconds() -> Int64 { now.withLock { $0 } }

    /// Moves the clock by `milliseconds` (may be negative).
    public func advance(milliseconds: Int64) { now.withLock { $0 += milliseconds } }

    /// Sets the clock.
    public func set(unixMilliseconds: Int64) { now.withLock { $0 = unixMilliseconds } }
}

extension Duration {
    /// The duration in whole milliseconds (truncated), saturating at Int64 bounds.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? .min : .max }
        return product + attoseconds / 1_000_000_000_000_000
    }
}
