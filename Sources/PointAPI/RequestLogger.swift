import Foundation
import PointHTTP
import PointJSON
import Synchronization

/// What is logged about one request. Holds no bodies, query strings, raw paths, headers or
/// tokens: the route is the matched pattern, never the path the client sent.
public struct RequestLogEntry: Sendable, Hashable {
    /// Unix time the response was sent, in milliseconds.
    public var unixMilliseconds: Int64
    /// The `X-Line-Request-Id` answered.
    public var requestId: String
    /// The key id of an **authenticated** caller; nil when authentication did not succeed (a
    /// refused header could hold anything, even a pasted secret, so it is never logged).
    public var keyId: String?
    /// The route pattern (``RouteMatch/routeLabel``).
    public var route: String
    /// The request method.
    public var method: HTTPMethod
    /// The response status code.
    public var status: Int
    /// Time from the request's arrival to its response, in microseconds.
    public var latencyMicroseconds: Int64
    /// The resolved client address.
    public var remoteAddress: String
    /// The error code answered, if any.
    public var errorCode: String?

    public init(
        unixMilliseconds: Int64, requestId: String, keyId: String?, route: String, method: HTTPMethod,
        status: Int, latencyMicroseconds: Int64, remoteAddress: String, errorCode: String? = nil
    ) {
        self.unixMilliseconds = unixMilliseconds
        self.requestId = requestId
        self.keyId = keyId
        self.route = route
        self.method = method
        self.status = status
        self.latencyMicroseconds = latencyMicroseconds
        self.remoteAddress = remoteAddress
        self.errorCode = errorCode
    }

    /// Longest text field written, in UTF-8 bytes; longer values are cut (and marked with `…`).
    public static let maxFieldBytes = 128

    /// One JSON object and a newline, fields in a fixed order.
    public var jsonLine: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        output.append(contentsOf: #"{"time":"#.utf8)
        CanonicalJSON.appendInteger(unixMilliseconds, to: &output)
        appendField("requestId", requestId, to: &output)
        output.append(contentsOf: #","keyId":"#.utf8)
        if let keyId { CanonicalJSON.appendString(Self.bounded(keyId), to: &output) } else { output.append(contentsOf: "null".utf8) }
        appendField("route", route, to: &output)
        appendField("method", method.rawValue, to: &output)
        output.append(contentsOf: #","status":"#.utf8)
        CanonicalJSON.appendInteger(Int64(status), to: &output)
        output.append(contentsOf: #","latencyUs":"#.utf8)
        CanonicalJSON.appendInteger(latencyMicroseconds, to: &output)
        appendField("remoteAddress", remoteAddress, to: &output)
        if let errorCode { appendField("errorCode", errorCode, to: &output) }
        output.append(contentsOf: "}\n".utf8)
        return output
    }

    private func appendField(_ name: String, _ value: String, to output: inout [UInt8]) {
        output.append(contentsOf: ",\"\(name)\":".utf8)
        CanonicalJSON.appendString(Self.bounded(value), to: &output)
    }

    static func bounded(_ value: String) -> String {
        guard value.utf8.count > maxFieldBytes else { return value }
        var scalars = String.UnicodeScalarView()
        var bytes = 0
        for scalar in value.unicodeScalars {
            bytes += UTF8.width(scalar)
            if bytes > maxFieldBytes - 3 { break }
            scalars.append(scalar)
        }
        return String(scalars) + "…"
    }
}

/// Writes one JSON line per request to a sink.
///
/// The sink receives complete lines, one call per request, serialised by the logger. Writing is
/// synchronous; a sink that fails drops the line and counts it in ``droppedLines``.
public final class RequestLogger: Sendable {
    /// A destination for lines; returns false if the line could not be written.
    public typealias Sink = @Sendable ([UInt8]) -> Bool

    private let sink: Sink
    private let writeLock = Mutex(())
    private let dropped = Atomic<UInt64>(0)

    /// A logger writing to `sink`.
    public init(sink: @escaping Sink) {
        self.sink = sink
    }

    /// A logger appending to `handle` (e.g. `FileHandle.standardOutput`).
    public static func writing(to handle: FileHandle) -> RequestLogger {
        RequestLogger { line in
            do {
                try handle.write(contentsOf: line)
                return true
            } catch {
                return false
            }
        }
    }

    /// Writes `entry` as one line.
    public func log(_ entry: RequestLogEntry) {
        let line = entry.jsonLine
        let written = writeLock.withLock { _ in sink(line) }
        if !written { dropped.wrappingAdd(1, ordering: .relaxed) }
    }

    /// Lines the sink failed to write.
    public var droppedLines: UInt64 { dropped.load(ordering: .relaxed) }
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
public final class BufferedLineLogger: Sendable {
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
        line.withUTF8 { bytes in enqueue(UnsafeRawBufferPointer(bytes), newline: true) }
    }

    /// Appends bytes that already form whole lines (each ending in a newline), e.g. ``RequestLogEntry/jsonLine``.
    public func append(lineBytes: [UInt8]) {
        lineBytes.withUnsafeBytes { enqueue($0, newline: false) }
    }

    /// This logger as a ``RequestLogger`` sink (it never refuses a line; drops are counted here).
    public var requestLoggerSink: RequestLogger.Sink {
        { [self] line in
            self.append(lineBytes: line)
            return true
        }
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
            writeDirectlyLocked(line, newline: true)
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

    private func enqueue(_ bytes: UnsafeRawBufferPointer, newline: Bool) {
        let size = bytes.count + (newline ? 1 : 0)
        let condition = shared.condition
        condition.lock()
        defer { condition.unlock() }
        if shared.writerDone {
            writeDirectlyLocked([UInt8](bytes), newline: newline)
            return
        }
        guard shared.buffer.count + size <= capacity else {
            dropped.wrappingAdd(1, ordering: .relaxed)
            return
        }
        shared.buffer.append(contentsOf: bytes)
        if newline { shared.buffer.append(0x0A) }
        lineBufferedLocked()
    }

    /// After close: the buffer is drained, so writing here (under the lock) keeps the order.
    private func writeDirectlyLocked(_ bytes: [UInt8], newline: Bool) {
        var line = bytes
        if newline { line.append(0x0A) }
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
