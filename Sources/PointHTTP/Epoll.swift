import CLinuxShim
import Glibc

/// Level-triggered epoll through the CLinuxShim C target (Swift's Glibc module does not import
/// <sys/epoll.h>).
struct Epoll: ~Copyable {
    /// Readiness bits, as registered and as reported.
    struct Events: OptionSet, Sendable {
        let rawValue: UInt32
        static let readable = Events(rawValue: 0x001 | 0x002)  // EPOLLIN | EPOLLPRI
        static let writable = Events(rawValue: 0x004)  // EPOLLOUT
        static let error = Events(rawValue: 0x008)  // EPOLLERR (reported only)
        static let hangup = Events(rawValue: 0x010)  // EPOLLHUP (reported only)
    }

    private static let controlAdd: Int32 = 1
    private static let controlDelete: Int32 = 2
    private static let controlModify: Int32 = 3

    let descriptor: Int32

    /// A new close-on-exec epoll instance.
    init() throws(HTTPServerError) {
        let descriptor = pc_epoll_create()
        guard descriptor >= 0 else { throw .eventLoopSetupFailed(errno: errno) }
        self.descriptor = descriptor
    }

    deinit {
        _ = Glibc.close(descriptor)
    }

    /// Registers `fd`; 0 or -errno.
    func add(_ fd: Int32, interest: Events, token: UInt64) -> Int32 {
        control(Epoll.controlAdd, fd, interest, token)
    }

    /// Changes the interest of a registered `fd`; 0 or -errno.
    func modify(_ fd: Int32, interest: Events, token: UInt64) -> Int32 {
        control(Epoll.controlModify, fd, interest, token)
    }

    /// Unregisters `fd`; 0 or -errno.
    func remove(_ fd: Int32) -> Int32 {
        control(Epoll.controlDelete, fd, [], 0)
    }

    private func control(_ operation: Int32, _ fd: Int32, _ interest: Events, _ token: UInt64) -> Int32 {
        pc_epoll_control(descriptor, operation, fd, interest.rawValue, token) < 0 ? -errno : 0
    }

    /// Waits up to `timeoutMilliseconds`; returns the number of events stored in `buffer`
    /// (0 on EINTR) or -errno.
    func wait(into buffer: inout EpollEventBuffer, timeoutMilliseconds: Int32) -> Int {
        let count = pc_epoll_wait(descriptor, buffer.storage.baseAddress, Int32(buffer.capacity), timeoutMilliseconds)
        if count < 0 { return errno == EINTR ? 0 : -Int(errno) }
        return Int(count)
    }
}

/// Reusable storage for the events one `epoll_wait` returns (at most 1,024).
struct EpollEventBuffer: ~Copyable {
    let capacity: Int
    fileprivate let storage: UnsafeMutableBufferPointer<pc_epoll_event>

    init(capacity: Int) {
        self.capacity = min(max(capacity, 1), 1024)
        storage = .allocate(capacity: self.capacity)
        storage.initialize(repeating: pc_epoll_event(token: 0, events: 0))
    }

    deinit {
        storage.deallocate()
    }

    /// The token and readiness bits of event `index`.
    func event(at index: Int) -> (token: UInt64, events: Epoll.Events) {
        let event = storage[index]
        return (event.token, Epoll.Events(rawValue: event.events))
    }
}
