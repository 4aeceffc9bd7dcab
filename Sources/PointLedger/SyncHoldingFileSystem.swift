import Foundation
import Synchronization

/// A file system whose data syncs can be held until released, so a test keeps a write "in
/// flight" for as long as it needs (beside ``FaultInjectingFileSystem``). With a path filter,
/// only syncs of files whose path it accepts are held (the checkpoint log, or the segments, say).
public final class SyncHoldingFileSystem: ForwardingFileSystem, @unchecked Sendable {
    public let base: any LedgerFileSystem
    private let pathFilter: (@Sendable (String) -> Bool)?
    private let gate = DispatchSemaphore(value: 0)
    private let state = Mutex((holding: false, held: 0, paths: [Int32: String]()))

    public init(base: any LedgerFileSystem = PosixFileSystem(), holdingOnlyPathsEndingWith pathSuffix: String? = nil) {
        self.base = base
        if let pathSuffix {
            self.pathFilter = { @Sendable path in path.hasSuffix(pathSuffix) }
        } else {
            self.pathFilter = nil
        }
    }

    /// Holds only syncs of files whose path `holdingOnly` accepts.
    public init(base: any LedgerFileSystem = PosixFileSystem(), holdingOnly pathFilter: @escaping @Sendable (String) -> Bool) {
        self.base = base
        self.pathFilter = pathFilter
    }

    /// From now on every (matching) data sync waits for ``release()``.
    public func hold() { state.withLock { $0.holding = true } }

    /// Lets every held and later sync through.
    public func release() {
        let waiting = state.withLock { state -> Int in
            state.holding = false
            return state.held
        }
        for _ in 0..<max(waiting, 1) { gate.signal() }
    }

    /// Syncs held so far.
    public var heldSyncs: Int { state.withLock { $0.held } }

    public func open(_ path: String, flags: Int32, mode: UInt32) throws(SystemError) -> Int32 {
        let descriptor = try base.open(path, flags: flags, mode: mode)
        if pathFilter != nil { state.withLock { $0.paths[descriptor] = path } }
        return descriptor
    }

    public func synchronizeData(_ descriptor: Int32) throws(SystemError) {
        let mustWait = state.withLock { state -> Bool in
            guard state.holding else { return false }
            if let pathFilter, !(state.paths[descriptor].map(pathFilter) ?? false) { return false }
            state.held += 1
            return true
        }
        if mustWait { gate.wait() }
        try base.synchronizeData(descriptor)
    }
}
