import Glibc

/// An errno value from a failed system call.
struct SystemCallError: Error, Equatable {
    let code: Int32
}

/// Which file a Unix socket path named when the server bound it (device and inode), so the
/// server removes its own socket file and never one another process has put at the same path.
struct SocketFileIdentity: Equatable {
    let device: UInt64
    let inode: UInt64

    /// The identity of the file now at `path` (not following a symbolic link); nil when none.
    init?(path: String) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }

    /// Removes the file at `path` when it is still this one, holding the path's
    /// ``UnixSocketPathLock`` so that no server starting there meanwhile loses its new socket.
    /// When the lock can't be had, the file stays: a stale socket file is replaced by the next start.
    func removeIfStill(at path: String, lockWaitNanoseconds: UInt64 = UnixSocketPathLock.defaultWaitNanoseconds) {
        guard case .success(let lock) = UnixSocketPathLock.acquire(for: path, waitNanoseconds: lockWaitNanoseconds) else { return }
        defer { lock.release() }
        if SocketFileIdentity(path: path) == self { _ = unlink(path) }
    }
}

/// The POSIX socket calls the server uses, returning negative errno values on failure.
enum SocketCalls {
    /// A non-blocking listening TCP socket with SO_REUSEADDR on `host:port` (0 picks a free port),
    /// with the port actually bound. Fails with -errno (-EINVAL when `host` does not resolve).
    static func listen(host: String, port: UInt16, backlog: Int32) -> Result<(descriptor: Int32, port: UInt16), SystemCallError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let first = found else { return .failure(SystemCallError(code: EINVAL)) }
        defer { freeaddrinfo(first) }
        var lastError = EADDRNOTAVAIL
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errno; continue }
            var one: Int32 = 1
            if setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) < 0
                || bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) < 0
                || Glibc.listen(fd, backlog) < 0
                || !configureDescriptor(fd) {
                lastError = errno
                _ = Glibc.close(fd)
                continue
            }
            var local = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let named = withUnsafeMutablePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard named == 0 else { lastError = errno; _ = Glibc.close(fd); continue }
            return .success((fd, peerEndpoint(local).port))
        }
        return .failure(SystemCallError(code: lastError))
    }

    /// A non-blocking listening Unix-domain stream socket at `path`, its file mode 0660 (the
    /// service's user and group may connect). A socket file left there by a process that no
    /// longer listens is replaced; a path where a server still listens (or whose backlog is full)
    /// fails with EADDRINUSE, a path holding anything but a socket with EEXIST (nothing is
    /// removed), an empty path, one holding a NUL byte or one longer than a socket address holds
    /// with ENAMETOOLONG, and with EBUSY when another server kept the path's
    /// ``UnixSocketPathLock`` for longer than `lockWaitNanoseconds`. Returns the descriptor and
    /// the file's identity (see ``SocketFileIdentity``).
    ///
    /// `readying` makes the bound socket usable — mode 0660, `listen`, non-blocking — and is
    /// replaceable so that tests can fail it; when it fails (errno set), the file is removed.
    static func listenUnix(path: String, backlog: Int32,
                           lockWaitNanoseconds: UInt64 = UnixSocketPathLock.defaultWaitNanoseconds,
                           readying: (_ descriptor: Int32, _ path: String, _ backlog: Int32) -> Bool = readyUnixListener)
        -> Result<(descriptor: Int32, file: SocketFileIdentity), SystemCallError> {
        guard let address = UnixSocketAddress(path: path) else { return .failure(SystemCallError(code: ENAMETOOLONG)) }
        let lock: UnixSocketPathLock
        switch UnixSocketPathLock.acquire(for: path, waitNanoseconds: lockWaitNanoseconds) {
        case .success(let acquired): lock = acquired
        case .failure(let error): return .failure(error)
        }
        defer { lock.release() }
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else { return .failure(SystemCallError(code: EEXIST)) }
            // Non-blocking, so a server whose backlog is full answers EAGAIN instead of holding the start.
            let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard probe >= 0 else { return .failure(SystemCallError(code: errno)) }
            let connected = address.connect(probe)
            let failure = errno
            _ = Glibc.close(probe)
            if connected == 0 || failure == EAGAIN || failure == EINPROGRESS { return .failure(SystemCallError(code: EADDRINUSE)) }
            guard failure == ECONNREFUSED || failure == ENOENT else { return .failure(SystemCallError(code: failure)) }
            if unlink(path) != 0 && errno != ENOENT { return .failure(SystemCallError(code: errno)) }
        } else if errno != ENOENT {
            return .failure(SystemCallError(code: errno))
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .failure(SystemCallError(code: errno)) }
        guard address.bind(fd) == 0 else {
            let failure = errno
            _ = Glibc.close(fd)
            return .failure(SystemCallError(code: failure))
        }
        guard readying(fd, path, backlog), let file = SocketFileIdentity(path: path) else {
            let failure = errno
            _ = Glibc.close(fd)
            _ = unlink(path)
            return .failure(SystemCallError(code: failure))
        }
        return .success((fd, file))
    }

    /// Mode 0660, then `listen`, then non-blocking and close-on-exec; false with errno set.
    /// Nobody can connect before `listen`: the mode is set while the file is still unusable.
    static func readyUnixListener(_ fd: Int32, path: String, backlog: Int32) -> Bool {
        chmod(path, 0o660) == 0 && Glibc.listen(fd, backlog) == 0 && configureDescriptor(fd)
    }

    /// Accepts one connection as a non-blocking, close-on-exec socket (with TCP_NODELAY on TCP),
    /// with the peer's numeric address and port; -EAGAIN when none is pending. A peer on a Unix
    /// socket is a process of this host: it reads as 127.0.0.1, port 0 (see ``HTTPServer``).
    static func accept(_ listenDescriptor: Int32) -> Result<(descriptor: Int32, address: String, port: UInt16), SystemCallError> {
        var peer = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(listenDescriptor, $0, &length) }
        }
        guard fd >= 0 else { return .failure(SystemCallError(code: errno)) }
        guard configureDescriptor(fd) else {
            let error = errno
            _ = Glibc.close(fd)
            return .failure(SystemCallError(code: error))
        }
        let family = Int32(peer.ss_family)
        if family == AF_INET || family == AF_INET6 {
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        let endpoint = peerEndpoint(peer)
        return .success((fd, endpoint.address, endpoint.port))
    }

    /// Makes `fd` non-blocking and close-on-exec.
    static func configureDescriptor(_ fd: Int32) -> Bool {
        let flags = fcntl(fd, F_GETFL)
        return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) == 0
    }

    private static func peerEndpoint(_ storage: sockaddr_storage) -> (address: String, port: UInt16) {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = Int32(storage.ss_family)
        return withUnsafeBytes(of: storage) { raw -> (String, UInt16) in
            switch family {
            case AF_INET:
                var address = raw.loadUnaligned(as: sockaddr_in.self)
                _ = inet_ntop(AF_INET, &address.sin_addr, &text, socklen_t(text.count))
                return (decode(text), UInt16(bigEndian: address.sin_port))
            case AF_INET6:
                var address = raw.loadUnaligned(as: sockaddr_in6.self)
                _ = inet_ntop(AF_INET6, &address.sin6_addr, &text, socklen_t(text.count))
                return (decode(text), UInt16(bigEndian: address.sin6_port))
            case AF_UNIX:
                return ("127.0.0.1", 0)
            default:
                return ("", 0)
            }
        }
    }

    private static func decode(_ text: [CChar]) -> String {
        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// send(2) with MSG_NOSIGNAL: bytes written or -errno.
    static func send(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        let written = Glibc.send(fd, bytes, count, Int32(MSG_NOSIGNAL))
        return written < 0 ? -Int(errno) : written
    }

    /// recv(2): bytes read, 0 at end of stream, or -errno.
    static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let received = recv(fd, buffer.baseAddress, buffer.count, 0)
        return received < 0 ? -Int(errno) : received
    }

    /// Half-closes the sending direction; 0 or -errno.
    static func shutdownWrite(_ fd: Int32) -> Int32 {
        shutdown(fd, Int32(SHUT_WR)) < 0 ? -errno : 0
    }

    static func close(_ fd: Int32) {
        let closed = Glibc.close(fd)
        // A descriptor closed twice may by then be another thread's socket or file: stop debug
        // builds at the faulty call.
        assert(closed == 0 || errno != EBADF, "closing descriptor \(fd), which is not open (closed twice?)")
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }
}
