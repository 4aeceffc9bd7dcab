import Glibc

/// Level-triggered epoll, called through libc. Swift's Glibc module does not import
/// <sys/epoll.h>, and the CLinuxShim module exports only its umbrella header, so the three
/// functions are resolved once from the already-loaded C library with dlsym; the constants and
/// the `struct epoll_event` layout are the stable Linux ABI.
struct Epoll: ~Copyable {
    /// Readiness bits, as registered and as reported.
    struct Events: OptionSet, Sendable {
        let rawValue: UInt32
        static let readable = Events(rawValue: 0x001 | 0x002)  // EPOLLIN | EPOLLPRI
        static let writable = Events(rawValue: 0x004)  // EPOLLOUT
        static let error = Events(rawValue: 0x008)  // EPOLLERR (reported only)
        static let hangup = Events(rawValue: 0x010)  // EPOLLHUP (reported only)
    }

    private typealias CreateFunction = @convention(c) (Int32) -> Int32
    private typealias ControlFunction = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    private typealias WaitFunction = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32

    private struct Functions: @unchecked Sendable {  // Immutable C function pointers.
        let create: CreateFunction
        let control: ControlFunction
        let wait: WaitFunction
    }

    private static let functions: Functions? = {
        let libc = UnsafeMutableRawPointer(bitPattern: 0)  // RTLD_DEFAULT
        guard let create = dlsym(libc, "epoll_create1"), let control = dlsym(libc, "epoll_ctl"),
              let wait = dlsym(libc, "epoll_wait") else { return nil }
        return Functions(create: unsafeBitCast(create, to: CreateFunction.self),
                         control: unsafeBitCast(control, to: ControlFunction.self),
                         wait: unsafeBitCast(wait, to: WaitFunction.self))
    }()

    private static let closeOnExec: Int32 = 0x80000  // EPOLL_CLOEXEC == O_CLOEXEC
    private static let controlAdd: Int32 = 1
    private static let controlDelete: Int32 = 2
    private static let controlModify: Int32 = 3

    #if arch(x86_64)
    /// `struct epoll_event` is packed on x86-64: events at 0, data at 4.
    static let eventStride = 12
    static let eventDataOffset = 4
    #else
    static let eventStride = 16
    static let eventDataOffset = 8
    #endif

    let descriptor: Int32
    private let functions: Functions

    /// A new close-on-exec epoll instance.
    init() throws(HTTPServerError) {
        guard let functions = Epoll.functions else { throw .eventLoopSetupFailed(errno: ENOSYS) }
        let descriptor = functions.create(Epoll.closeOnExec)
        guard descriptor >= 0 else { throw .eventLoopSetupFailed(errno: errno) }
        self.descriptor = descriptor
        self.functions = functions
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
        var event = (UInt64(0), UInt64(0))  // 16 zeroed bytes: room for either layout.
        return withUnsafeMutableBytes(of: &event) { raw in
            raw.storeBytes(of: interest.rawValue, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: token, toByteOffset: Epoll.eventDataOffset, as: UInt64.self)
            return functions.control(descriptor, operation, fd, raw.baseAddress) < 0 ? -errno : 0
        }
    }

    /// Waits up to `timeoutMilliseconds`; returns the number of events stored in `buffer`
    /// (0 on EINTR) or -errno.
    func wait(into buffer: inout EpollEventBuffer, timeoutMilliseconds: Int32) -> Int {
        let count = functions.wait(descriptor, buffer.storage.baseAddress, Int32(buffer.capacity), timeoutMilliseconds)
        if count < 0 { return errno == EINTR ? 0 : -Int(errno) }
        return Int(count)
    }
}

/// Reusable storage for the events one `epoll_wait` returns.
struct EpollEventBuffer: ~Copyable {
    let capacity: Int
    fileprivate let storage: UnsafeMutableRawBufferPointer

    init(capacity: Int) {
        self.capacity = capacity
        storage = .allocate(byteCount: capacity * Epoll.eventStride, alignment: 8)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit {
        storage.deallocate()
    }

    /// The token and readiness bits of event `index`.
    func event(at index: Int) -> (token: UInt64, events: Epoll.Events) {
        let base = index * Epoll.eventStride
        let bits = storage.loadUnaligned(fromByteOffset: base, as: UInt32.self)
        let token = storage.loadUnaligned(fromByteOffset: base + Epoll.eventDataOffset, as: UInt64.self)
        return (token, Epoll.Events(rawValue: bits))
    }
}
