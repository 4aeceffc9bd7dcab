import Foundation
import Synchronization

/// Where request log lines go, written straight into the destination (``BufferedLineLogger``).
public protocol RequestLineSink: Sendable {
    /// Appends one line that `write` appends to the given bytes (without its newline), and ends
    /// it. `write` may run under the sink's lock: it must be short and must not log.
    func appendLine(writing write: (inout [UInt8]) -> Void)
}

/// Log lines kept off the request path: ``append(_:)`` copies a line into a bounded in-memory
/// buffer under a lock and returns; a thread of the logger's own writes the buffer to the sink
/// at least every ``flushInterval``, as soon as ``flushThreshold`` bytes have accumulated, on
/// ``flush()`` and on ``close()``. Lines reach the sink whole and in the order they were
/// appended.
///
/// The buffer holds at most ``capacity`` bytes: a line that does not fit while the writer is
/// behind is dropped and counted in ``droppedLines`` (the request is never held up by a slow
/// log reader). After ``close()`` the buffer has been drained and later lines are written
/// directly, so nothing appended during shutdown is lost.
public final class BufferedLineLogger: RequestLineSink {
    /// A destination for a chunk of whole lines; returns false if they could not be written.
    public typealias Sink = @Sendable (UnsafeRawBufferPointer) -> Bool

    public static let defaultCapacity = 1 << 20
    public static let defaultFlushThreshold = 64 << 10
    public static let defaultFlushInterval: Duration = .milliseconds(100)

    /// Most bytes held in memory waiting for the writer.
    public let capacity: Int
    /// Bytes that wake the writer before its interval.
    public let flushThreshold: Int
    /// Longest a line waits in memory while the writer keeps up.
    public let flushInterval: Duration

    private let sink: Sink
    private let shared: Shared
    private let dropped = Atomic<UInt64>(0)
    private let failed = Atomic<UInt64>(0)

    /// State guarded by `condition`'s lock.
    private final class Shared: @unchecked Sendable {
        let condition = NSCondition()
        var buffer: [UInt8] = []
        /// An emptied buffer handed back by the writer, reused to avoid reallocating.
        var spare: [UInt8] = []
        /// Lines appended, and lines handed to the sink: `flush()` waits for the second to reach the first.
        var appendedLines: UInt64 = 0
        var writtenLines: UInt64 = 0
        var bufferedLines: UInt64 = 0
        var wakeRequested = false
        var closing = false
        var writerDone = false
    }

    /// A logger writing through `sink`; the writer thread starts at once.
    public init(capacity: Int = BufferedLineLogger.defaultCapacity, flushThreshold: Int = BufferedLineLogger.defaultFlushThreshold,
                flushInterval: Duration = BufferedLineLogger.defaultFlushInterval, sink: @escaping Sink) {
        precondition(capacity > 0 && flushThreshold > 0 && flushInterval > .zero)
        self.capacity = capacity
        self.flushThreshold = min(flushThreshold, capacity)
        self.flushInterval = flushInterval
        self.sink = sink
        shared = Shared()
        shared.buffer.reserveCapacity(min(capacity, self.flushThreshold * 2))
        let thread = Thread { [self] in self.runWriter() }
        thread.name = "pointconnect-log"
        thread.start()
    }

    /// A logger writing to a file descriptor (standard output is 1), retrying short writes.
    public static func writing(toDescriptor descriptor: Int32, capacity: Int = BufferedLineLogger.defaultCapacity) -> BufferedLineLogger {
        BufferedLineLogger(capacity: capacity) { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
    }

    /// Appends `line` and a newline.
    public func append(_ line: String) {
        var line = line
        line.withUTF8 { bytes in enqueue(UnsafeRawBufferPointer(bytes)) }
    }

    /// Appends one line that `write` writes straight into the buffer, and a newline: no copy of
    /// the line is made first. `write` runs under the logger's lock, so it must be short and
    /// must not log; it appends the line's bytes (no newline) and nothing else. A line that
    /// does not fit is taken back out and counted as dropped.
    public func appendLine(writing write: (inout [UInt8]) -> Void) {
        let condition = shared.condition
        condition.lock()
        defer { condition.unlock() }
        if shared.writerDone {
            var line: [UInt8] = []
            write(&line)
            writeDirectlyLocked(line)
            return
        }
        let start = shared.buffer.count
        write(&shared.buffer)
        shared.buffer.append(0x0A)
        guard shared.buffer.count <= capacity else {
            shared.buffer.removeSubrange(start...)
            dropped.wrappingAdd(1, ordering: .relaxed)
            return
        }
        lineBufferedLocked()
    }

    private func enqueue(_ bytes: UnsafeRawBufferPointer) {
        let size = bytes.count + 1
        let condition = shared.condition
        condition.lock()
        defer { condition.unlock() }
        if shared.writerDone {
            writeDirectlyLocked([UInt8](bytes))
            return
        }
        guard shared.buffer.count + size <= capacity else {
            dropped.wrappingAdd(1, ordering: .relaxed)
            return
        }
        shared.buffer.append(contentsOf: bytes)
        shared.buffer.append(0x0A)
        lineBufferedLocked()
    }

    /// After close: the buffer is drained, so writing here (under the lock) keeps the order.
    private func writeDirectlyLocked(_ bytes: [UInt8]) {
        var line = bytes
        line.append(0x0A)
        if !line.withUnsafeBytes({ sink($0) }) { failed.wrappingAdd(1, ordering: .relaxed) }
    }

    /// Counts a line just added to the buffer and wakes the writer once the buffer is worth writing.
    private func lineBufferedLocked() {
        shared.appendedLines += 1
        shared.bufferedLines += 1
        if shared.buffer.count >= flushThreshold && !shared.wakeRequested {
            shared.wakeRequested = true
            shared.condition.signal()
        }
    }

    /// Writes everything appended so far and returns once the sink has it.
    public func flush() {
        let condition = shared.condition
        condition.lock()
        defer { condition.unlock() }
        let target = shared.appendedLines
        guard !shared.writerDone else { return }
        shared.wakeRequested = true
        condition.broadcast()
        while shared.writtenLines < target && !shared.writerDone { condition.wait() }
    }

    /// Flushes, stops the writer thread and waits for it. Idempotent; lines appended later are
    /// written directly.
    public func close() {
        let condition = shared.condition
        condition.lock()
        defer { condition.unlock() }
        shared.closing = true
        condition.broadcast()
        while !shared.writerDone { condition.wait() }
    }

    /// Lines refused because the buffer was full.
    public var droppedLines: UInt64 { dropped.load(ordering: .relaxed) }

    /// Writes (chunks of lines) the sink failed.
    public var failedWrites: UInt64 { failed.load(ordering: .relaxed) }

    /// Bytes waiting for the writer.
    public var bufferedBytes: Int {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        return shared.buffer.count
    }

    private func runWriter() {
        let condition = shared.condition
        let interval = Double(flushInterval.components.seconds) + Double(flushInterval.components.attoseconds) / 1e18
        condition.lock()
        while true {
            // Sleep one interval unless a full buffer, a flush or close asked for the writer already.
            if !shared.wakeRequested && !shared.closing { _ = condition.wait(until: Date(timeIntervalSinceNow: interval)) }
            shared.wakeRequested = false
            if !shared.buffer.isEmpty {
                var chunk = shared.buffer
                shared.buffer = shared.spare
                shared.spare = []
                let lines = shared.bufferedLines
                shared.bufferedLines = 0
                condition.unlock()
                if !chunk.withUnsafeBytes({ sink($0) }) { failed.wrappingAdd(1, ordering: .relaxed) }
                chunk.removeAll(keepingCapacity: true)
                condition.lock()
                shared.spare = chunk
                shared.writtenLines += lines
                condition.broadcast()
            }
            if shared.closing && shared.buffer.isEmpty { break }
        }
        shared.writerDone = true
        condition.broadcast()
        condition.unlock()
    }
}
