#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLinuxShim

/// The failed system call's errno.
public struct SystemError: Error, Sendable, Equatable {
    /// The errno value.
    public let code: Int32
    public init(_ code: Int32) { self.code = code }
}

/// The few file operations the ledger performs, behind a protocol so tests can inject faults.
///
/// Every call is blocking; the ledger calls them from its own writer thread or while opening,
/// never from Swift's cooperative thread pool.
public protocol LedgerFileSystem: Sendable {
    /// Opens (and with `O_CREAT`, creates) a file; returns the descriptor.
    func open(_ path: String, flags: Int32, mode: UInt32) throws(SystemError) -> Int32
    /// Writes up to `bytes.count` bytes; returns how many were written (may be fewer).
    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) -> Int
    /// Reads up to `buffer.count` bytes; returns how many were read, 0 at end of file.
    func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int
    /// `fdatasync`: the file's data is on stable storage when this returns.
    func synchronizeData(_ descriptor: Int32) throws(SystemError)
    /// `fsync`: data and metadata; used on directories after creating a file.
    func synchronizeAll(_ descriptor: Int32) throws(SystemError)
    /// Shrinks a file to `length` bytes.
    func truncate(_ descriptor: Int32, length: Int64) throws(SystemError)
    /// The file's size in bytes.
    func size(_ descriptor: Int32) throws(SystemError) -> Int64
    /// Closes a descriptor (errors are ignored: durability is decided by the sync calls).
    func close(_ descriptor: Int32)
    /// The names in a directory (without `.` and `..`).
    func listDirectory(_ path: String) throws(SystemError) -> [String]
    /// Creates a directory; succeeds when it already exists.
    func makeDirectory(_ path: String) throws(SystemError)
    /// Drops the file's clean pages from the page cache, so the next read comes from the device.
    func dropCachedPages(_ descriptor: Int32)
    /// Drops the clean pages of bytes `offset ..< offset + length` from the page cache.
    func dropCachedPages(_ descriptor: Int32, offset: Int, length: Int)
}

extension LedgerFileSystem {
    /// Writes all of `bytes`, looping over short writes.
    public func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let written = try write(descriptor, UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            guard written > 0 else { throw SystemError(EIO) }
            offset += written
        }
    }

    /// Fsyncs a directory so that a file created in it survives a crash.
    public func synchronizeDirectory(_ path: String) throws(SystemError) {
        let descriptor = try open(path, flags: O_RDONLY | O_DIRECTORY, mode: 0)
        defer { close(descriptor) }
        try synchronizeAll(descriptor)
    }
}

/// The real file system through POSIX calls.
public struct PosixFileSystem: LedgerFileSystem {
    public init() {}

    public func open(_ path: String, flags: Int32, mode: UInt32) throws(SystemError) -> Int32 {
        while true {
            let descriptor = Glibc.open(path, flags | O_CLOEXEC, mode)
            if descriptor >= 0 { return descriptor }
            if errno != EINTR { throw SystemError(errno) }
        }
    }

    public func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) -> Int {
        while true {
            let written = Glibc.write(descriptor, bytes.baseAddress, bytes.count)
            if written >= 0 { return written }
            if errno != EINTR { throw SystemError(errno) }
        }
    }

    public func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        while true {
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno != EINTR { throw SystemError(errno) }
        }
    }

    public func synchronizeData(_ descriptor: Int32) throws(SystemError) {
        // Never retried: after a failed fsync the kernel may have dropped the dirty pages.
        if pc_fdatasync(descriptor) != 0 { throw SystemError(errno) }
    }

    public func synchronizeAll(_ descriptor: Int32) throws(SystemError) {
        if Glibc.fsync(descriptor) != 0 { throw SystemError(errno) }
    }

    public func truncate(_ descriptor: Int32, length: Int64) throws(SystemError) {
        if Glibc.ftruncate(descriptor, off_t(length)) != 0 { throw SystemError(errno) }
    }

    public func size(_ descriptor: Int32) throws(SystemError) -> Int64 {
        var status = stat()
        if Glibc.fstat(descriptor, &status) != 0 { throw SystemError(errno) }
        return Int64(status.st_size)
    }

    public func close(_ descriptor: Int32) {
        closeDescriptor(descriptor)
    }

    public func listDirectory(_ path: String) throws(SystemError) -> [String] {
        guard let directory = opendir(path) else { throw SystemError(errno) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func makeDirectory(_ path: String) throws(SystemError) {
        if mkdir(path, 0o750) != 0 && errno != EEXIST { throw SystemError(errno) }
    }

    public func dropCachedPages(_ descriptor: Int32) {
        #if os(Linux)
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED)
        #endif
    }

    public func dropCachedPages(_ descriptor: Int32, offset: Int, length: Int) {
        #if os(Linux)
        _ = posix_fadvise(descriptor, off_t(offset), off_t(length), POSIX_FADV_DONTNEED)
        #endif
    }
}

/// Closes a descriptor. A descriptor closed twice may by then be another thread's file: debug
/// builds stop at the faulty call instead of failing that thread's read later.
func closeDescriptor(_ descriptor: Int32) {
    let closed = Glibc.close(descriptor)
    assert(closed == 0 || errno != EBADF, "closing descriptor \(descriptor), which is not open (closed twice?)")
}
