#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The exclusive lock on a ledger directory (`flock` on its `LOCK` file): held by the service for
/// as long as its ledger is open, and by tools that change files the running service owns, so
/// that the two never write the same data directory at once.
public final class LedgerDirectoryLock: Sendable {
    /// Lock attempts 10 ms apart (2 s in all) before the directory is reported as in use.
    static let attempts = 200

    /// The lock file's descriptor; -1 once released (taken under the mutex, so it is closed once).
    private let descriptor: Mutex<Int32>

    private init(descriptor: Int32) {
        self.descriptor = Mutex(descriptor)
    }

    /// Takes the lock of the ledger directory `directory` (which must exist); throws
    /// ``LedgerError/locked(_:)`` when another process holds it.
    public static func acquire(_ directory: String) throws(LedgerError) -> LedgerDirectoryLock {
        let path = directory + "/LOCK"
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw LedgerError.io(operation: "opening lock file", path: path, errno: errno) }
        // A child process forked by this process (a test spawning a tool, say) holds a copy of
        // the descriptor until it reaches exec, where O_CLOEXEC closes it: retry briefly before
        // concluding that another process owns the directory.
        for attempt in 0..<attempts {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return LedgerDirectoryLock(descriptor: descriptor) }
            guard errno == EWOULDBLOCK, attempt + 1 < attempts else { break }
            usleep(10_000)
        }
        closeDescriptor(descriptor)
        throw LedgerError.locked(directory)
    }

    /// Releases the lock (closing its descriptor); later calls do nothing.
    public func release() {
        let taken = descriptor.withLock { held in
            defer { held = -1 }
            return held
        }
        if taken >= 0 { closeDescriptor(taken) }
    }

    deinit { release() }
}
