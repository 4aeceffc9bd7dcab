#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's open-file limit against the client connections the server may hold: every
/// connection is a descriptor, and one the kernel refuses (EMFILE) leaves a client waiting in
/// the backlog instead of answered. So the server raises its soft limit as far as the hard
/// limit allows and holds no more connections than fit beside the descriptors everything else
/// needs; clients beyond that get the over-capacity 503.
public enum DescriptorBudget {
    /// Descriptors kept for everything but client connections and event loops: the listener,
    /// the ledger's segment, checkpoint and lock files, logs and a spare.
    public static let reserved = 64
    /// Descriptors each event loop holds: its epoll instance and the two ends of its wake pipe.
    public static let perEventLoop = 3

    /// Descriptors kept for everything but client connections, with `eventLoops` loops.
    public static func reserved(eventLoops: Int) -> Int {
        reserved + perEventLoop * max(1, eventLoops)
    }

    /// Raises the soft `RLIMIT_NOFILE` towards `wanted` (never above the hard limit, never
    /// lowering it) and returns the soft limit in force afterwards.
    public static func raiseSoftLimit(toCover wanted: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return wanted }
        let current = Int(clamping: limit.rlim_cur)
        let hard = Int(clamping: limit.rlim_max)
        guard current < wanted else { return current }
        limit.rlim_cur = rlim_t(min(wanted, hard))
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { return Int(clamping: limit.rlim_cur) }
        return current
    }

    /// The connections that fit under a soft limit of `softLimit` descriptors beside
    /// `eventLoops` loops (at least one).
    public static func connectionsThatFit(_ softLimit: Int, eventLoops: Int) -> Int {
        max(1, softLimit - reserved(eventLoops: eventLoops))
    }
}
