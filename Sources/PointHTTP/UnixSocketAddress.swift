import Glibc

/// The socket address (`sockaddr_un`) of a Unix-domain socket path: what the server binds and
/// its clients (the load generator, tests) connect to.
public struct UnixSocketAddress {
    private var address = sockaddr_un()

    /// Nil when `path` is empty, holds a NUL byte or is longer than a socket address holds
    /// (107 bytes on Linux).
    public init?(path: String) {
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, !bytes.contains(0), bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
    }

    /// `connect(2)` of `descriptor` to this address: 0, or -1 with errno set.
    public func connect(_ descriptor: Int32) -> Int32 {
        withSocketAddress { Glibc.connect(descriptor, $0, $1) }
    }

    /// `bind(2)` of `descriptor` to this address: 0, or -1 with errno set.
    func bind(_ descriptor: Int32) -> Int32 {
        withSocketAddress { Glibc.bind(descriptor, $0, $1) }
    }

    private func withSocketAddress(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        withUnsafePointer(to: address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
