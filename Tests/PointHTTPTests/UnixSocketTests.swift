import Foundation
import Glibc
@testable import PointHTTP
import Testing

/// A fresh directory for socket files, short enough for a socket address.
private func socketDirectory() -> String {
    let path = "/tmp/pc-sock-" + String(UUID().uuidString.prefix(8))
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Sends `GET target` on a fresh connection to the socket at `path` and reads the answer.
private func get(_ target: String, overSocketAt path: String) async throws -> RawResponse {
    try await onThread {
        let client = try RawClient(unixSocketPath: path)
        try client.send("GET \(target) HTTP/1.1\r\nHost: local\r\n\r\n")
        return try client.readResponse()
    }
}

private func expectUnixSocketFailure(_ server: HTTPServer, errno expected: Int32, mentioning words: String,
                                     sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        try server.start()
        Issue.record("the server started", sourceLocation: sourceLocation)
        server.shutdown()
    } catch {
        guard case .unixSocketFailed(_, let code) = error else {
            Issue.record("expected unixSocketFailed, got \(error)", sourceLocation: sourceLocation)
            return
        }
        #expect(code == expected, sourceLocation: sourceLocation)
        #expect(error.description.contains(words), "\(error)", sourceLocation: sourceLocation)
    }
}

@Suite("HTTPServer on a Unix-domain socket", .serialized)
struct UnixSocketTests {
    @Test func servesOnTheSocketWithPeersReadAsLoopbackAndRemovesItsFileWhenStopped() async throws {
        let directory = socketDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/http.sock"
        let server = HTTPServer(unixSocketPath: path, limits: testLimits(), eventLoops: 2, handler: EchoHandler())
        #expect(try server.start() == 0)
        let responses = try await onThread {
            let client = try RawClient(unixSocketPath: path)
            return try (1...2).map { index in
                try client.send("GET /item/\(index) HTTP/1.1\r\nHost: local\r\n\r\n")
                return try client.readResponse()
            }
        }
        #expect(responses.map(\.status) == [200, 200])
        #expect(responses.map { $0.header("X-Path") } == ["/item/1", "/item/2"])
        #expect(responses.allSatisfy { $0.header("X-Remote") == "127.0.0.1:0" })
        #expect(FileManager.default.fileExists(atPath: path))
        let mode = try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode == 0o660, "the service's user and group may connect, nobody else")
        server.shutdown()
        await server.waitUntilStopped()
        #expect(!FileManager.default.fileExists(atPath: path), "the socket file is removed once the server stops")
    }

    @Test func aStoppingServerLeavesASocketFileAnotherServerPutAtItsPath() async throws {
        let directory = socketDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/http.sock"
        let server = HTTPServer(unixSocketPath: path, limits: testLimits(), eventLoops: 1, handler: EchoHandler())
        try server.start()
        // Another process takes the path over while this server still runs.
        _ = unlink(path)
        guard case .success(let other) = SocketCalls.listenUnix(path: path, backlog: 1) else {
            Issue.record("the second listener could not bind")
            return
        }
        defer { SocketCalls.close(other.descriptor) }
        server.shutdown()
        await server.waitUntilStopped()
        #expect(SocketFileIdentity(path: path) == other.file, "the other listener's socket file is still there")
    }

    @Test func replacesASocketFileNobodyListensOn() async throws {
        let directory = socketDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/http.sock"
        // A socket file left behind: bound, never unlinked, its socket closed.
        guard case .success(let stale) = SocketCalls.listenUnix(path: path, backlog: 1) else {
            Issue.record("could not make the stale socket")
            return
        }
        SocketCalls.close(stale.descriptor)
        #expect(FileManager.default.fileExists(atPath: path))
        let server = HTTPServer(unixSocketPath: path, limits: testLimits(), eventLoops: 1, handler: EchoHandler())
        try server.start()
        let response = try await get("/fresh", overSocketAt: path)
        #expect(response.status == 200 && response.header("X-Path") == "/fresh")
        server.shutdown()
        await server.waitUntilStopped()
    }

    @Test func refusesAPathWhereAServerListensAndLeavesThatServerServing() async throws {
        let directory = socketDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/http.sock"
        let first = HTTPServer(unixSocketPath: path, limits: testLimits(), eventLoops: 1, handler: EchoHandler())
        try first.start()
        expectUnixSocketFailure(HTTPServer(unixSocketPath: path, eventLoops: 1, handler: EchoHandler()),
                                errno: EADDRINUSE, mentioning: "a server already listens there")
        let response = try await get("/still", overSocketAt: path)
        #expect(response.status == 200)
        first.shutdown()
        await first.waitUntilStopped()
    }

    @Test func leavesAPathThatIsNotASocketAloneAndRefusesUnusablePaths() throws {
        let directory = socketDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/notes.txt"
        try "keep me".write(toFile: file, atomically: true, encoding: .utf8)
        expectUnixSocketFailure(HTTPServer(unixSocketPath: file, eventLoops: 1, handler: EchoHandler()),
                                errno: EEXIST, mentioning: "is not a socket")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "keep me", "nothing but a socket is ever removed")
        let link = directory + "/link.sock"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: file)
        expectUnixSocketFailure(HTTPServer(unixSocketPath: link, eventLoops: 1, handler: EchoHandler()),
                                errno: EEXIST, mentioning: "is not a socket")
        expectUnixSocketFailure(HTTPServer(unixSocketPath: directory, eventLoops: 1, handler: EchoHandler()),
                                errno: EEXIST, mentioning: "is not a socket")
        #expect(FileManager.default.fileExists(atPath: link) && FileManager.default.fileExists(atPath: directory))
        let long = directory + "/" + String(repeating: "s", count: 120)
        expectUnixSocketFailure(HTTPServer(unixSocketPath: long, eventLoops: 1, handler: EchoHandler()),
                                errno: ENAMETOOLONG, mentioning: "at most 107 bytes")
        for unusable in ["", directory + "/nul\u{0}.sock"] {
            #expect(UnixSocketAddress(path: unusable) == nil, "\(unusable.debugDescription)")
            expectUnixSocketFailure(HTTPServer(unixSocketPath: unusable, eventLoops: 1, handler: EchoHandler()),
                                    errno: ENAMETOOLONG, mentioning: "holds a NUL byte")
        }
        #expect(UnixSocketAddress(path: directory + "/" + String(repeating: "s", count: 106 - directory.utf8.count)) != nil,
                "107 bytes with the terminating NUL fit")
        expectUnixSocketFailure(HTTPServer(unixSocketPath: directory + "/missing/http.sock", eventLoops: 1, handler: EchoHandler()),
                                errno: ENOENT, mentioning: "does not exist")
    }
}
