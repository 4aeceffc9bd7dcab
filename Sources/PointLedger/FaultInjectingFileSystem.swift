#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A file system that fails on purpose, for deterministic tests of the ledger's failure handling.
///
/// Faults are counted per kind of call over the lifetime of the instance (the first write is
/// call 1). A fault, once triggered, stays until ``heal()``, except short writes, which happen once.
public final class FaultInjectingFileSystem: ForwardingFileSystem {
    /// One planned failure.
    public enum Fault: Sendable, Equatable {
        /// The n-th write call (and every later one) fails with `errno`.
        case writeError(onCall: Int, errno: Int32)
        /// The n-th write call writes at most `maxBytes` bytes and reports so (a short write).
        case shortWrite(onCall: Int, maxBytes: Int)
        /// The n-th data sync (and every later one) fails with `errno`.
        case syncError(onCall: Int, errno: Int32)
        /// Writes beyond `capacityBytes` in total fail with ENOSPC, after a short write that fills the space.
        case diskFull(capacityBytes: Int)
    }

    private struct State {
        var faults: [Fault]
        var writeCalls = 0
        var syncCalls = 0
        var bytesWritten = 0
        var healed = false
    }

    /// The file system the calls that don't fail go to.
    public let base: any LedgerFileSystem
    private let state: Mutex<State>

    /// Wraps `base` with the given planned faults.
    public init(base: any LedgerFileSystem = PosixFileSystem(), faults: [Fault]) {
        self.base = base
        self.state = Mutex(State(faults: faults))
    }

    /// Removes every fault (as if space returned or the disk was replaced).
    public func heal() {
        state.withLock { $0.healed = true }
    }

    /// Replaces the planned faults; call and byte counts start again from zero, so `onCall: 1`
    /// is the next call. For a fault that begins in the middle of a run.
    public func arm(_ faults: [Fault]) {
        state.withLock { state in
            state = State(faults: faults)
        }
    }

    /// Total bytes written through this file system (since it was made or last armed).
    public var bytesWritten: Int { state.withLock { $0.bytesWritten } }

    public func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) -> Int {
        let decision: Result<Int, SystemError> = state.withLock { state in
            state.writeCalls += 1
            var allowed = bytes.count
            if !state.healed {
                for fault in state.faults {
                    switch fault {
                    case .writeError(let call, let code) where state.writeCalls >= call:
                        return .failure(SystemError(code))
                    case .shortWrite(let call, let maxBytes) where state.writeCalls == call:
                        allowed = min(allowed, maxBytes)
                    case .diskFull(let capacity):
                        let room = capacity - state.bytesWritten
                        if room <= 0 { return .failure(SystemError(ENOSPC)) }
                        allowed = min(allowed, room)
                    default:
                        break
                    }
                }
            }
            return .success(allowed)
        }
        let allowed = try decision.get()
        let written = try base.write(descriptor, UnsafeRawBufferPointer(rebasing: bytes.prefix(allowed)))
        state.withLock { $0.bytesWritten += written }
        return written
    }

    public func synchronizeData(_ descriptor: Int32) throws(SystemError) {
        let failure: SystemError? = state.withLock { state in
            state.syncCalls += 1
            guard !state.healed else { return nil }
            for case .syncError(let call, let code) in state.faults where state.syncCalls >= call {
                return SystemError(code)
            }
            return nil
        }
        if let failure { throw failure }
        try base.synchronizeData(descriptor)
    }
}
