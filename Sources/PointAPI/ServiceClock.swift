import Foundation
import PointCore

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

    /// What to say at start when the clock (`now`) is more than a second behind the ledger's
    /// newest record (`lastRecord`): record times never go back, so new records take that time and
    /// possibly a later billing month than the clock shows. Nil when the clock is not behind.
    /// `overridden`: the sandbox's `--now` set the clock.
    public static func behindLedgerMessage(lastRecord: Int64, now: Int64, dataDirectory: String, overridden: Bool) -> String? {
        guard lastRecord > now + 1_000_000 else { return nil }
        let behind = "the ledger in \(dataDirectory) already runs to \(CivilTime.formatUTC(lastRecord)), later than "
        if overridden {
            return "pointconnect: note: \(behind)--now; new records keep that time until the clock passes it. "
                + "Use a fresh --data-dir to demonstrate a month end.\n"
        }
        return "pointconnect: warning: \(behind)this host's clock (\(CivilTime.formatUTC(now))); new records keep the ledger's "
            + "time until the clock passes it, so they may fall in a later billing month than the clock shows. "
            + "Check the host's time synchronisation (NTP) before taking requests.\n"
    }

    static func systemMicros() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }
}

extension ServiceClock: APIClock {
    public func unixMilliseconds() -> Int64 { now() / 1_000 }
}
