import Foundation
@testable import PointHTTP
import Synchronization

/// A body far larger than a socket send buffer, so writes are partial.
let largeBody: [UInt8] = (0..<(4 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31) }

/// More than the kernel's socket buffers can hold, to stall a response on a client that does not read.
let hugeBodyBytes = 24 * 1024 * 1024

/// Echoes request details; `/large` returns `largeBody`, `/huge` `hugeBodyBytes` bytes; `/slow` sleeps first, `/status/NNN` answers with that status.
struct EchoHandler: HTTPHandler {
    var slowDelay: Duration = .milliseconds(600)

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        if request.path == "/slow" {
            try? await Task.sleep(for: slowDelay)
        }
        if request.path == "/huge" {
            return HTTPResponse(status: .ok, body: [UInt8](repeating: 0x61, count: hugeBodyBytes))
        }
        if request.path == "/large" {
            return HTTPResponse(status: .ok, body: largeBody)
        }
        if request.path.hasPrefix("/status/"), let code = Int(request.path.dropFirst("/status/".count)) {
            return HTTPResponse(status: HTTPStatus(code: code))
        }
        var headers = HTTPHeaders()
        headers.add(name: "X-Method", value: request.method.rawValue)
        headers.add(name: "X-Path", value: request.path)
        headers.add(name: "X-Remote", value: "\(request.remoteAddress):\(request.remotePort)")
        return HTTPResponse(status: .ok, headers: headers, body: request.body.isEmpty ? Array("ok".utf8) : request.body)
    }
}

/// Collects observer callbacks for assertions.
final class RecordingObserver: HTTPServerObserver {
    let completed = Mutex<[HTTPRequestMetrics]>([])
    let connectionCounts = Mutex<[Int]>([])

    func openConnectionsChanged(to count: Int) {
        connectionCounts.withLock { $0.append(count) }
    }

    func requestCompleted(_ metrics: HTTPRequestMetrics) {
        completed.withLock { $0.append(metrics) }
    }
}

/// Limits with short timeouts so timeout tests finish quickly.
func testLimits(_ adjust: (inout HTTPServerLimits) -> Void = { _ in }) -> HTTPServerLimits {
    var limits = HTTPServerLimits()
    limits.headerTimeout = .seconds(5)
    limits.bodyTimeout = .seconds(5)
    limits.idleTimeout = .seconds(5)
    limits.drainTimeout = .seconds(3)
    adjust(&limits)
    return limits
}

/// Starts a server on 127.0.0.1 port 0 (three event loops unless told otherwise, so connections
/// are handed between loops whatever the machine), runs `body` with it and its port, then shuts it down.
func withServer<T: Sendable>(
    limits: HTTPServerLimits = testLimits(), eventLoops: Int = 3, observer: (any HTTPServerObserver)? = nil,
    handler: any HTTPHandler = EchoHandler(),
    _ body: (HTTPServer, UInt16) async throws -> T
) async throws -> T {
    let server = HTTPServer(host: "127.0.0.1", port: 0, limits: limits, eventLoops: eventLoops, observer: observer, handler: handler)
    let port = try server.start()
    do {
        let result = try await body(server, port)
        server.shutdown()
        await server.waitUntilStopped()
        return result
    } catch {
        server.shutdown()
        await server.waitUntilStopped()
        throw error
    }
}

/// Sends `request` on a fresh connection and reads one response.
func exchange(_ request: String, port: UInt16) async throws -> RawResponse {
    try await onThread {
        let client = try RawClient(port: port)
        try client.send(request)
        return try client.readResponse()
    }
}
