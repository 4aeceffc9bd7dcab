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
