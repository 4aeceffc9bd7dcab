import Foundation
import Glibc
import PointHTTP

/// A response as read off the wire by `RawClient`.
struct RawResponse: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The `code` of a JSON error body, or nil when the body is not the error shape.
    var errorCode: String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let code = object["code"] as? String, object["message"] is String,
              let details = object["details"] as? [Any], details.isEmpty else { return nil }
        return code
    }
}

struct RawClientError: Error, CustomStringConvertible {
    var description: String
}

/// A tiny blocking HTTP/1.1 client on a raw TCP socket, for driving the server byte by byte.
/// Use it from one thread only (see `onThread`).
final class RawClient {
    let descriptor: Int32
    private var pending: [UInt8] = []

    /// The socket is stored only once connected: a throwing initializer of a fully initialised
    /// class still runs `deinit`, which would close the descriptor a second time — by then
    /// perhaps another thread's freshly opened file.
    init(port: UInt16, receiveTimeoutSeconds: Int = 30, receiveBufferBytes: Int32? = nil) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        descriptor = try Self.connected(family: AF_INET, receiveTimeoutSeconds: receiveTimeoutSeconds,
                                        receiveBufferBytes: receiveBufferBytes) { socketDescriptor in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(socketDescriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// A client on the Unix-domain socket at `path`.
    init(unixSocketPath path: String, receiveTimeoutSeconds: Int = 30) throws {
        guard let address = UnixSocketAddress(path: path) else { throw RawClientError(description: "unusable socket path \(path)") }
        descriptor = try Self.connected(family: AF_UNIX, receiveTimeoutSeconds: receiveTimeoutSeconds, receiveBufferBytes: nil) {
            address.connect($0)
        }
    }

    /// A stream socket of `family` with the receive timeout (and buffer size) set, once `connect`
    /// has connected it (0, or -1 with errno set).
    private static func connected(family: Int32, receiveTimeoutSeconds: Int, receiveBufferBytes: Int32?,
                                  connect: (Int32) -> Int32) throws -> Int32 {
        let socketDescriptor = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { throw RawClientError(description: "socket failed") }
        if var size = receiveBufferBytes {
            _ = setsockopt(socketDescriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
        _ = setsockopt(socketDescriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(socketDescriptor) == 0 else {
            let failure = errno
            Glibc.close(socketDescriptor)
            throw RawClientError(description: "connect failed: errno \(failure)")
        }
        return socketDescriptor
    }

    deinit {
        Glibc.close(descriptor)
    }

    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard written > 0 else { throw RawClientError(description: "send failed: errno \(errno)") }
            offset += written
        }
    }

    /// Reads more bytes; returns false at end of stream, throws on timeout or error.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let received = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if received == 0 { return false }
        guard received > 0 else { throw RawClientError(description: "recv failed: errno \(errno)") }
        pending.append(contentsOf: chunk[0..<received])
        return true
    }

    /// Reads one response (an interim 1xx included) framed by Content-Length.
    /// Reads exactly `count` bytes (after a head read with `forHead: true`).
    func readBytes(_ count: Int) throws -> [UInt8] {
        while pending.count < count {
            if try !fill() { throw RawClientError(description: "connection closed after \(pending.count) of \(count) bytes") }
        }
        let bytes = Array(pending[0..<count])
        pending.removeFirst(count)
        return bytes
    }

    func readResponse(forHead: Bool = false) throws -> RawResponse {
        let terminator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            if let range = pending.firstRange(of: terminator) {
                headEnd = range.upperBound
            } else if try !fill() {
                throw RawClientError(description: "connection closed before a response head")
            }
        }
        guard let end = headEnd else { throw RawClientError(description: "unreachable") }
        let headText = String(decoding: pending[0..<(end - 4)], as: UTF8.self)
        pending.removeFirst(end)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw RawClientError(description: "bad status line")
        }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var response = RawResponse(status: status, headers: headers, body: [])
        let length = forHead ? 0 : Int(response.header("Content-Length") ?? "0") ?? 0
        while pending.count < length {
            if try !fill() { throw RawClientError(description: "connection closed inside a body") }
        }
        response.body = Array(pending[0..<length])
        pending.removeFirst(length)
        return response
    }

    /// Whether the peer closes the connection (EOF) without sending anything more.
    func closesWithoutData() -> Bool {
        do {
            return try !fill() && pending.isEmpty
        } catch {
            return false
        }
    }

    /// Reads until the peer closes; returns the byte count, or nil on a receive timeout.
    func byteCountUntilClosed() -> Int? {
        var total = pending.count
        pending.removeAll()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let received = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if received == 0 || (received < 0 && errno == ECONNRESET) { return total }
            if received < 0 { return nil }
            total += received
        }
    }

    /// Whether the connection ended (EOF or reset) rather than timing out.
    func isClosedByPeer() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 1024)
        while true {
            let received = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if received == 0 { return true }
            if received < 0 { return errno == ECONNRESET }
        }
    }
}

/// Runs blocking client code on its own thread so it never occupies the cooperative pool the
/// server's handlers run on.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.start()
    }
}
