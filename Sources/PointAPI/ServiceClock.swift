import Foundation

/// The service's clock: microseconds since the epoch, optionally shifted so the sandbox can
/// start at a chosen instant (`--now`) and run on from there. Production never shifts it.
public struct ServiceClock: Sendable {
    private let offsetMicros: Int64

    /// The system clock.
    public static let system = ServiceClock(offsetMicros: 0)

    /// A clock that reads `start` now and runs on from there.
    public static func starting(at start: Int64) -> ServiceClock {
        ServiceClock(offsetMicros: start - systemMicros())
    }

    private init(offsetMicros: Int64) {
        self.offsetMicros = offsetMicros
    }

    public func now() -> Int64 { Self.systemMicros() + offsetMicros }

    static func systemMicros() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }
}

extension ServiceClock: APIClock {
    public func unixMilliseconds() -> Int64 { now() / 1_000 }
}
