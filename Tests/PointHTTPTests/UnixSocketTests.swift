import Foundation
import Glibc
import Synchronization
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

extension Result where Failure == SystemCallError {
    /// The errno of a failure; nil on success.
    var failureCode: Int32? {
        if case .failure(let error) = self { return error.code }
        return nil
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
        #expect(!FileManager.default.fileExists(atPath: path + ".lock"), "the path's lock is held only while starting")
        server.shutdown()
        await server.waitUntilStopped()
        #expect(!FileManager.default.fileExists(atPath: path + ".lock"), "nor is a lock file left by the stop")
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

    /// A socket file left behind: bound, never unlinked, its socket closed.
    private func staleSocket(at path: String) throws -> SocketFileIdentity {
        guard case .success(let stale) = SocketCalls.listenUnix(path: path, backlog: 1) else {
            throw SystemCallError(code: errno)
        }
        SocketCalls.close(stale.descriptor)
        return stale.file
    }

    @Test func waitsWhileAnotherServerStartsOrStopsAtThePathAndGivesUpAfterItsBound() async throws {
        let directory = socketDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/http.sock"
        let stale = try staleSocket(at: path)
        // Another server is between its look at the path and its bind.
        let held = try UnixSocketPathLock.acquire(for: path).get()
        let refused = SocketCalls.listenUnix(path: path, backlog: 1, lockWaitNanoseconds: 50_000_000)
        #expect(refused.failureCode == EBUSY)
        #expect(SocketFileIdentity(path: path) == stale, "nothing at the path is touched without the lock")
        #expect(HTTPServerError.unixSocketFailed(path: path, errno: EBUSY).description.contains("lock file \(path).lock"))
        // A start that comes while the lock is held goes on once it is released.
        let returned = Mutex(false)
        let waiting = Task {
            try await onThread {
                let result = SocketCalls.listenUnix(path: path, backlog: 1)
                returned.withLock { $0 = true }
                return result
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(!returned.withLock { $0 }, "the start waited for the lock")
        held.release()
        let started = try await waiting.value
        #expect(started.failureCode == nil)
        if case .success(let listener) = started {
            // The file at the path is the new listener's (the stale one's inode number may be reused).
            let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            #expect(UnixSocketAddress(path: path)?.connect(probe) == 0, "the stale socket was replaced by a listening one")
            _ = close(probe)
            SocketCalls.close(listener.descriptor)
        }
        #expect(!FileManager.default.fileExists(atPath: path + ".lock"))
    }

    @Test func aStopRemovesItsSocketFileOnlyUnderThePathsLock() throws {
        let directory = socketDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/http.sock"
        let file = try staleSocket(at: path)
        let held = try UnixSocketPathLock.acquire(for: path).get()
        file.removeIfStill(at: path, lockWaitNanoseconds: 20_000_000)
        #expect(SocketFileIdentity(path: path) == file, "left in place: a start may be replacing it right now")
        held.release()
        file.removeIfStill(at: path)
        #expect(SocketFileIdentity(path: path) == nil)
    }

    @Test func aSocketThatCannotBeReadiedIsRemovedWithItsLock() throws {
        let directory = socketDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/http.sock"
        var boundFileExisted = false
        let result = SocketCalls.listenUnix(path: path, backlog: 1) { _, boundPath, _ in
            boundFileExisted = SocketFileIdentity(path: boundPath) != nil
            errno = EPERM
            return false
        }
        #expect(boundFileExisted, "the failure comes after the bind made the file")
        #expect(result.failureCode == EPERM)
        #expect(!FileManager.default.fileExists(atPath: path) && !FileManager.default.fileExists(atPath: path + ".lock"))
    }

    @Test func refusesALockPathThatIsASymbolicLinkAndLeavesItAlone() throws {
        let directory = socketDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/http.sock"
        let target = directory + "/elsewhere"
        try FileManager.default.createSymbolicLink(atPath: path + ".lock", withDestinationPath: target)
        expectUnixSocketFailure(HTTPServer(unixSocketPath: path, eventLoops: 1, handler: EchoHandler()),
                                errno: ELOOP, mentioning: "is a symbolic link or a directory")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: path + ".lock") == target)
        #expect(!FileManager.default.fileExists(atPath: target) && !FileManager.default.fileExists(atPath: path))
    }
}
