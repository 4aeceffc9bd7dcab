#if canImport(Glibc)
import Glibc
#endif
/// Why the server could not start.
public enum HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The listening socket could not be created or bound (errno; EINVAL when the host does not resolve).
    case bindFailed(host: String, port: UInt16, errno: Int32)
    /// The Unix-domain socket could not be created or bound at `path` (errno).
    case unixSocketFailed(path: String, errno: Int32)
    /// epoll or eventfd could not be set up.
    case eventLoopSetupFailed(errno: Int32)
    /// `start()` was called on a server that was already started or stopped.
    case alreadyStarted

    public var description: String {
        switch self {
        case .bindFailed(let host, let port, let errno):
            switch errno {
            case EADDRINUSE: return "cannot listen on \(host):\(port): another process already listens there (EADDRINUSE); stop it or pick another --port"
            case EACCES: return "cannot listen on \(host):\(port): not permitted (EACCES); ports below 1024 need privileges — pick another --port"
            case EADDRNOTAVAIL: return "cannot listen on \(host):\(port): no such local address (EADDRNOTAVAIL); check --host"
            case EINVAL: return "cannot listen on \(host):\(port): the host does not resolve to an address of this machine; check --host"
            default: return "cannot listen on \(host):\(port) (errno \(errno))"
            }
        case .unixSocketFailed(let path, let errno):
            let place = "cannot listen on the Unix socket \(path)"
            switch errno {
            case EADDRINUSE: return "\(place): a server already listens there (EADDRINUSE); stop it or pick another --unix-socket"
            case EEXIST: return "\(place): the path exists and is not a socket (EEXIST); it was left alone — remove it or pick another --unix-socket"
            case ENAMETOOLONG: return "\(place): the path is empty, holds a NUL byte or is longer than a socket address holds (at most 107 bytes); pick another --unix-socket"
            case ENOENT: return "\(place): its directory does not exist (ENOENT)"
            case EACCES: return "\(place): not permitted (EACCES); check the directory's permissions"
            case EBUSY: return "\(place): another server kept its lock file \(path)\(UnixSocketPathLock.fileSuffix) for over 2 seconds while starting or stopping there (EBUSY); try again, or pick another --unix-socket"
            case ELOOP, EISDIR: return "\(place): its lock file \(path)\(UnixSocketPathLock.fileSuffix) is a symbolic link or a directory (\(errno == ELOOP ? "ELOOP" : "EISDIR")); it was left alone — remove it or pick another --unix-socket"
            default: return "\(place): \(String(cString: strerror(errno))) (errno \(errno))"
            }
        case .eventLoopSetupFailed(let errno): return "cannot set up the event loop (errno \(errno))"
        case .alreadyStarted: return "the server was already started"
        }
    }
}
