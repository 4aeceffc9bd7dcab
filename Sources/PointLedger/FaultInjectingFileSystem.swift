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
        /// A positional write uses space only where it grows the file (overwriting uses none).
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

    /// New space used through this file system (since it was made or last armed): appended bytes,
    /// and the bytes of positional writes past the end of their file.
    public var bytesWritten: Int { state.withLock { $0.bytesWritten } }

    public func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) -> Int {
        let allowed = try admit(bytes.count, growing: bytes.count)
        let written = try base.write(descriptor, UnsafeRawBufferPointer(rebasing: bytes.prefix(allowed)))
        state.withLock { $0.bytesWritten += written }
        return written
    }

    public func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SystemError) -> Int {
        let size = try base.size(descriptor)
        let overwritten = Int(max(0, min(Int64(bytes.count), size - offset)))
        let allowed = try admit(bytes.count, growing: bytes.count - overwritten)
        let written = try base.write(descriptor, UnsafeRawBufferPointer(rebasing: bytes.prefix(allowed)), at: offset)
        state.withLock { $0.bytesWritten += max(0, written - overwritten) }
        return written
    }

    /// How many of `count` bytes the next write may write, of which the last `growing` would use
    /// new space; or the planned failure.
    private func admit(_ count: Int, growing: Int) throws(SystemError) -> Int {
        let decision: Result<Int, SystemError> = state.withLock { state in
            state.writeCalls += 1
            var allowed = count
            if !state.healed {
                for fault in state.faults {
                    switch fault {
                    case .writeError(let call, let code) where state.writeCalls >= call:
                        return .failure(SystemError(code))
                    case .shortWrite(let call, let maxBytes) where state.writeCalls == call:
                        allowed = min(allowed, maxBytes)
                    case .diskFull(let capacity):
                        let room = max(0, capacity - state.bytesWritten)
                        let overwritten = count - growing
                        if room == 0 && overwritten == 0 { return .failure(SystemError(ENOSPC)) }
                        allowed = min(allowed, overwritten + room)
                    default:
                        break
                    }
                }
            }
            return .success(allowed)
        }
        return try decision.get()
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
