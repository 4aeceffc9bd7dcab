/// A ``LedgerFileSystem`` that wraps another and passes every call through, so a wrapper — one
/// injecting faults, holding syncs or recording calls — implements only the calls it changes.
public protocol ForwardingFileSystem: LedgerFileSystem {
    /// The file system the calls go to.
    var base: any LedgerFileSystem { get }
}

extension ForwardingFileSystem {
    public func open(_ path: String, flags: Int32, mode: UInt32) throws(SystemError) -> Int32 {
        try base.open(path, flags: flags, mode: mode)
    }

    public func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) -> Int {
        try base.write(descriptor, bytes)
    }

    public func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        try base.read(descriptor, into: buffer)
    }

    public func synchronizeData(_ descriptor: Int32) throws(SystemError) {
        try base.synchronizeData(descriptor)
    }

    public func synchronizeAll(_ descriptor: Int32) throws(SystemError) {
        try base.synchronizeAll(descriptor)
    }

    public func truncate(_ descriptor: Int32, length: Int64) throws(SystemError) {
        try base.truncate(descriptor, length: length)
    }

    public func size(_ descriptor: Int32) throws(SystemError) -> Int64 {
        try base.size(descriptor)
    }

    public func close(_ descriptor: Int32) {
        base.close(descriptor)
    }

    public func listDirectory(_ path: String) throws(SystemError) -> [String] {
        try base.listDirectory(path)
    }

    public func makeDirectory(_ path: String) throws(SystemError) {
        try base.makeDirectory(path)
    }

    public func dropCachedPages(_ descriptor: Int32) {
        base.dropCachedPages(descriptor)
    }

    public func dropCachedPages(_ descriptor: Int32, offset: Int, length: Int) {
        base.dropCachedPages(descriptor, offset: offset, length: length)
    }
}
