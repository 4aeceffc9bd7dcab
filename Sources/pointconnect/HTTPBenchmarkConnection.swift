#if canImport(Glibc)
import Glibc
#endif
import PointHTTP

/// A failure of the load generator's own HTTP client (not an HTTP error status).
struct HTTPBenchmarkClientError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One parsed HTTP/1.1 response. `body` is a slice of the connection's reusable buffer,
/// valid only until the next request on the same connection.
struct HTTPBenchmarkResponse {
    var status: Int
    var bodyStart: Int
    var bodyEnd: Int
    var closeRequested: Bool
}

/// A minimal HTTP/1.1 client on one blocking POSIX TCP socket, kept alive across requests.
/// It writes a request as prepared bytes and reads exactly one response: status line,
/// headers (only `Content-Length` and `Connection` matter), then a Content-Length body.
/// No chunked encoding, no TLS, no redirects: just what the benchmark needs, with nothing in between.
final class HTTPBenchmarkConnection {
    let host: String
    let port: UInt16
    /// A Unix-domain socket to connect to instead of `host:port` (which then only name the Host).
    let unixSocketPath: String?
    /// The socket (-1 when not connected), for a caller that waits on several connections.
    private(set) var descriptor: Int32 = -1
    /// Bytes received and not yet consumed; responses are parsed in place.
    private(set) var buffer: [UInt8] = []
    private var filled = 0
    private var consumed = 0
    /// Connections (re)opened, for the report.
    private(set) var connects = 0

    init(host: String, port: UInt16, unixSocketPath: String? = nil) {
        self.host = host
        self.port = port
        self.unixSocketPath = unixSocketPath
        buffer = [UInt8](repeating: 0, count: 64 * 1024)
    }

    deinit { close() }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
        filled = 0
        consumed = 0
    }

    func connect() throws(HTTPBenchmarkClientError) {
        close()
        if let unixSocketPath { return try connectUnix(unixSocketPath) }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else { throw HTTPBenchmarkClientError("cannot resolve \(host): \(String(cString: gai_strerror(status)))") }
        defer { freeaddrinfo(list) }
        var lastErrno: Int32 = 0
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let candidate = entry {
            let socketDescriptor = socket(candidate.pointee.ai_family, candidate.pointee.ai_socktype, candidate.pointee.ai_protocol)
            if socketDescriptor >= 0 {
                if Glibc.connect(socketDescriptor, candidate.pointee.ai_addr, candidate.pointee.ai_addrlen) == 0 {
                    var one: Int32 = 1
                    setsockopt(socketDescriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                    descriptor = socketDescriptor
                    connects += 1
                    return
                }
                lastErrno = errno
                Glibc.close(socketDescriptor)
            } else {
                lastErrno = errno
            }
            entry = candidate.pointee.ai_next
        }
        throw HTTPBenchmarkClientError("cannot connect to \(host):\(port): \(String(cString: strerror(lastErrno)))")
    }

    private func connectUnix(_ path: String) throws(HTTPBenchmarkClientError) {
        guard let address = UnixSocketAddress(path: path) else {
            throw HTTPBenchmarkClientError("--unix-socket \(path) is empty, holds a NUL byte or is longer than a socket address holds (107 bytes)")
        }
        let socketDescriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { throw HTTPBenchmarkClientError("cannot open a Unix socket: \(String(cString: strerror(errno)))") }
        guard address.connect(socketDescriptor) == 0 else {
            let failure = errno
            Glibc.close(socketDescriptor)
            throw HTTPBenchmarkClientError("cannot connect to the Unix socket \(path): \(String(cString: strerror(failure)))")
        }
        descriptor = socketDescriptor
        connects += 1
    }

    /// Sends `request` (a complete HTTP/1.1 request) and reads its response, connecting first if needed.
    func exchange(_ request: [UInt8]) throws(HTTPBenchmarkClientError) -> HTTPBenchmarkResponse {
        try begin(request)
        return try finish()
    }

    /// The first half of ``exchange(_:)``: connects if needed and sends `request`.
    func begin(_ request: [UInt8]) throws(HTTPBenchmarkClientError) {
        if descriptor < 0 { try connect() }
        try send(request)
    }

    /// The second half: reads the response (blocking until it is complete).
    func finish() throws(HTTPBenchmarkClientError) -> HTTPBenchmarkResponse {
        let response = try readResponse()
        if response.closeRequested { closeAfterConsuming() }
        return response
    }

    /// The body bytes of `response` (copied out).
    func body(_ response: HTTPBenchmarkResponse) -> [UInt8] {
        Array(buffer[response.bodyStart..<response.bodyEnd])
    }

    /// Runs `body` over the response's body bytes without copying.
    func withBody<Result>(_ response: HTTPBenchmarkResponse, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        buffer.withUnsafeBufferPointer { all in
            body(UnsafeBufferPointer(rebasing: all[response.bodyStart..<response.bodyEnd]))
        }
    }

    private var pendingClose = false
    private func closeAfterConsuming() { pendingClose = true }

    private func send(_ request: [UInt8]) throws(HTTPBenchmarkClientError) {
        if pendingClose {
            pendingClose = false
            try connect()
        }
        var offset = 0
        var failure: Int32 = 0
        request.withUnsafeBytes { raw in
            while offset < raw.count {
                let sent = Glibc.send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent > 0 {
                    offset += sent
                } else if sent < 0 && errno == EINTR {
                    continue
                } else {
                    failure = sent < 0 ? errno : EPIPE
                    return
                }
            }
        }
        if failure != 0 {
            close()
            throw HTTPBenchmarkClientError("send failed: \(String(cString: strerror(failure)))")
        }
    }

    /// Reads more bytes into the buffer (compacting and growing it as needed); false at end of stream.
    private func fill(minimumFree: Int = 16 * 1024) throws(HTTPBenchmarkClientError) -> Bool {
        if consumed > 0 && (consumed == filled || buffer.count - filled < minimumFree) {
            let remaining = filled - consumed
            if remaining > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    _ = memmove(raw.baseAddress!, raw.baseAddress! + consumed, remaining)
                }
            }
            filled = remaining
            consumed = 0
        }
        if buffer.count - filled < minimumFree {
            buffer.append(contentsOf: [UInt8](repeating: 0, count: max(buffer.count, minimumFree)))
        }
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in
                recv(descriptor, raw.baseAddress! + filled, raw.count - filled, 0)
            }
            if count > 0 {
                filled += count
                return true
            }
            if count == 0 { return false }
            if errno == EINTR { continue }
            let code = errno
            close()
            throw HTTPBenchmarkClientError("recv failed: \(String(cString: strerror(code)))")
        }
    }

    private func readResponse() throws(HTTPBenchmarkClientError) -> HTTPBenchmarkResponse {
        // Find the end of the head.
        var headEnd = -1
        var searchFrom = consumed
        while headEnd < 0 {
            headEnd = buffer.withUnsafeBufferPointer { Self.findHeadEnd($0, from: searchFrom, to: filled) }
            if headEnd >= 0 { break }
            searchFrom = max(consumed, filled - 3)
            let before = consumed
            guard try fill() else {
                close()
                throw HTTPBenchmarkClientError("connection closed by the server before a complete response")
            }
            searchFrom -= before - consumed   // the buffer may have been compacted
        }
        let head = try buffer.withUnsafeBufferPointer { bytes throws(HTTPBenchmarkClientError) in
            try Self.parseHead(bytes, from: consumed, to: headEnd)
        }
        let bodyStart = headEnd + 4
        let relativeBodyStart = bodyStart - consumed
        while filled - consumed < relativeBodyStart + head.contentLength {
            let before = consumed
            guard try fill(minimumFree: max(16 * 1024, relativeBodyStart + head.contentLength - (filled - consumed))) else {
                close()
                throw HTTPBenchmarkClientError("connection closed by the server in the middle of a body")
            }
            _ = before
        }
        let start = consumed + relativeBodyStart
        let end = start + head.contentLength
        consumed = end
        return HTTPBenchmarkResponse(status: head.status, bodyStart: start, bodyEnd: end, closeRequested: head.close)
    }

    static func findHeadEnd(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int {
        var index = max(from, 0)
        while index + 3 < to {
            if bytes[index] == 0x0D && bytes[index + 1] == 0x0A && bytes[index + 2] == 0x0D && bytes[index + 3] == 0x0A { return index }
            index += 1
        }
        return -1
    }

    /// Status code, Content-Length and whether the server asked to close.
    static func parseHead(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) throws(HTTPBenchmarkClientError)
        -> (status: Int, contentLength: Int, close: Bool) {
        // "HTTP/1.1 201 Created"
        guard to - from >= 12, bytes[from] == 0x48, bytes[from + 8] == 0x20 else {
            throw HTTPBenchmarkClientError("malformed status line")
        }
        var status = 0
        for offset in 9..<12 {
            let digit = bytes[from + offset]
            guard digit >= 0x30 && digit <= 0x39 else { throw HTTPBenchmarkClientError("malformed status code") }
            status = status * 10 + Int(digit - 0x30)
        }
        var contentLength = 0
        var close = false
        var lineStart = from
        while lineStart < to, bytes[lineStart] != 0x0A { lineStart += 1 }
        lineStart += 1
        while lineStart < to {
            var lineEnd = lineStart
            while lineEnd < to, bytes[lineEnd] != 0x0D { lineEnd += 1 }
            if let colon = (lineStart..<lineEnd).first(where: { bytes[$0] == 0x3A }) {
                if matches(bytes, lineStart, colon, "content-length") {
                    var value = 0
                    for index in (colon + 1)..<lineEnd where bytes[index] >= 0x30 && bytes[index] <= 0x39 {
                        value = value * 10 + Int(bytes[index] - 0x30)
                    }
                    contentLength = value
                } else if matches(bytes, lineStart, colon, "connection") {
                    if containsClose(bytes, colon + 1, lineEnd) { close = true }
                } else if matches(bytes, lineStart, colon, "transfer-encoding") {
                    throw HTTPBenchmarkClientError("chunked responses are not supported by the benchmark client")
                }
            }
            lineStart = lineEnd + 2
        }
        return (status, contentLength, close)
    }

    /// Whether `close` appears, in any case, in `bytes[start..<end]` (a Connection header's value).
    private static func containsClose(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var index = start
        while index + 5 <= end {
            if matches(bytes, index, index + 5, "close") { return true }
            index += 1
        }
        return false
    }

    private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ lowercaseName: StaticString) -> Bool {
        guard end - start == lowercaseName.utf8CodeUnitCount else { return false }
        let name = lowercaseName.utf8Start
        for offset in 0..<(end - start) {
            var byte = bytes[start + offset]
            if byte >= 0x41 && byte <= 0x5A { byte += 0x20 }
            if byte != name[offset] { return false }
        }
        return true
    }
}
