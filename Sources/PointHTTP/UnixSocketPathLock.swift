import Glibc

/// Serializes, across processes, what servers do to one Unix socket path: a start's look at
/// the file there, its removal of a stale socket, its bind and listen, and a stop's removal of
/// its own socket file. Without it, two servers starting at once on a stale path could each
/// remove the file and the later removal would take the other's fresh socket away.
///
/// The lock is an exclusive `flock(2)` on a companion file, `<socket path>.lock` (mode 0600),
/// held for those few system calls only and removed before it is released, so nothing is left
/// beside the socket. A process that dies holding it releases it with its descriptors.
struct UnixSocketPathLock {
    /// What is appended to the socket path to name the lock file.
    static let fileSuffix = ".lock"
    /// How long a start or a stop waits for another server's turn at the path before giving up.
    static let defaultWaitNanoseconds: UInt64 = 2_000_000_000

    private let descriptor: Int32
    private let lockPath: String

    /// Takes the lock for `socketPath`, waiting at most `waitNanoseconds` while another process
    /// holds it: EBUSY then; ELOOP when the lock path is a symbolic link, another errno when the
    /// lock file can't be opened or created.
    static func acquire(for socketPath: String, waitNanoseconds: UInt64 = defaultWaitNanoseconds) -> Result<Self, SystemCallError> {
        let lockPath = socketPath + fileSuffix
        let deadline = SocketCalls.monotonicNanoseconds() &+ waitNanoseconds
        while true {
            let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard descriptor >= 0 else { return .failure(SystemCallError(code: errno)) }
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
                // The holder before us removed the file it locked: a lock on a removed file
                // guards nothing, so start over on whatever the path names now.
                if Self.names(lockPath, descriptor) { return .success(Self(descriptor: descriptor, lockPath: lockPath)) }
                _ = close(descriptor)
                continue
            }
            let failure = errno
            _ = close(descriptor)
            guard failure == EWOULDBLOCK else { return .failure(SystemCallError(code: failure)) }
            guard SocketCalls.monotonicNanoseconds() < deadline else { return .failure(SystemCallError(code: EBUSY)) }
            usleep(1_000)
        }
    }

    /// Removes the lock file, then releases the lock.
    func release() {
        _ = unlink(lockPath)
        _ = close(descriptor)
    }

    /// Whether `path` still names the file open as `descriptor`.
    private static func names(_ path: String, _ descriptor: Int32) -> Bool {
        var held = stat()
        var named = stat()
        return fstat(descriptor, &held) == 0 && lstat(path, &named) == 0
            && held.st_dev == named.st_dev && held.st_ino == named.st_ino
    }
}
