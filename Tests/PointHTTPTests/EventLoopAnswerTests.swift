import Dispatch
import Foundation
@testable import PointHTTP
import Synchronization
import Testing

/// Answers on the event loop: `/now` at once, `/later` (30 ms) from another thread through the
/// responder, `/held` whenever the test sends through the responder it keeps, `/built` (a closure) and `/deferred` (an
/// ``HTTPDeferredResponse`` of its own) made by the loop when it takes the post; everything else in a Task.
/// Each body names the thread that made it (by kernel id: names are not reliable here).
private struct LoopAnsweringHandler: HTTPHandler {
    /// A deferred response of its own type: names the thread that sent it and the one that made it.
    final class DeferredAnswer: HTTPDeferredResponse {
        let sentFrom: String
        init(sentFrom: String) { self.sentFrom = sentFrom }
        func makeResponse() -> HTTPResponse { .text("deferred from \(sentFrom) made on \(LoopAnsweringHandler.threadName())") }
    }

    final class Counter: Sendable {
        let value = Mutex(0)
    }

    final class HeldResponder: Sendable {
        let value = Mutex<HTTPResponder?>(nil)
    }

    /// The responder of the last `/held` request, for the test to answer through.
    let held = HeldResponder()

    /// Waits (up to 10 s, blocking the calling thread) until a `/held` request was taken.
    func heldResponder() -> HTTPResponder? {
        for _ in 0..<10_000 {
            if let responder = held.value.withLock({ $0 }) { return responder }
            Thread.sleep(forTimeInterval: 0.001)
        }
        return nil
    }
    /// Requests for `/built-late` taken so far.
    let requestsTaken = Counter()
    /// Answers `/built-late` made so far.
    let lateAnswersMade = Counter()

    /// The calling thread's kernel id ("pid/task/tid").
    static func threadName() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) ?? "unknown"
    }

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        .text("task \(request.path)")
    }

    func answerOnEventLoop(_ request: HTTPRequest, responder: HTTPResponder) -> HTTPEventLoopAnswer {
        switch request.path {
        case "/now":
            return .answered(.text("now on \(Self.threadName())"))
        case "/held":
            held.value.withLock { $0 = responder }
            return .willSend
        case "/later":
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(30)) {
                responder.send(.text("later from \(Self.threadName())"))
            }
            return .willSend
        case "/built-late":
            requestsTaken.value.withLock { $0 += 1 }
            let made = lateAnswersMade
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(100)) {
                responder.send {
                    made.value.withLock { $0 += 1 }
                    return .text("made")
                }
            }
            return .willSend
        case "/built":
            DispatchQueue.global().async {
                responder.send { .text("built on \(Self.threadName())") }
            }
            return .willSend
        case "/deferred":
            DispatchQueue.global().async {
                responder.send(deferred: DeferredAnswer(sentFrom: Self.threadName()))
            }
            return .willSend
        default:
            return .runInTask
        }
    }
}

@Suite("Answers on the event loop and connections across loops")
struct EventLoopAnswerTests {
    /// A started server with this drain limit, for the tests that shut it down themselves.
    fileprivate static func startServer(drainTimeout: Duration, eventLoops: Int, handler: LoopAnsweringHandler) throws -> (HTTPServer, UInt16) {
        let server = HTTPServer(host: "127.0.0.1", port: 0, limits: testLimits { $0.drainTimeout = drainTimeout },
                                eventLoops: eventLoops, handler: handler)
        return (server, try server.start())
    }

    @Test("Answers given on the loop, at once or later from another thread, reach the client in order, pipelined ones included")
    func loopAnswersReachTheClient() async throws {
        try await withServer(handler: LoopAnsweringHandler()) { _, port in
            let bodies = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET /now HTTP/1.1\r\nHost: t\r\n\r\nGET /later HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "GET /built HTTP/1.1\r\nHost: t\r\n\r\nGET /other HTTP/1.1\r\nHost: t\r\n\r\nGET /now HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "GET /deferred HTTP/1.1\r\nHost: t\r\n\r\n")
                return try (0..<6).map { _ in try client.readResponse().bodyText }
            }
            #expect(bodies.count == 6)
            let loopThread = bodies[0].replacingOccurrences(of: "now on ", with: "")
            #expect(bodies[0].hasPrefix("now on ") && loopThread.contains("/task/"))
            #expect(bodies[1].hasPrefix("later from ") && !bodies[1].hasSuffix(loopThread), "sent from another thread")
            #expect(bodies[2] == "built on \(loopThread)", "built by the connection's loop when it took the post")
            #expect(bodies[3] == "task /other")
            #expect(bodies[4] == bodies[0], "the same connection stays on the same loop")
            let deferred = bodies[5]
            #expect(deferred.hasPrefix("deferred from ") && deferred.hasSuffix(" made on \(loopThread)"), "made by the loop: \(deferred)")
            #expect(!deferred.hasPrefix("deferred from \(loopThread)"), "sent from another thread: \(deferred)")
        }
    }

    @Test("A request sent while the previous one is still being answered is read and answered after it")
    func inputArrivingWhileHandlingIsReadAfterTheAnswer() async throws {
        let handler = LoopAnsweringHandler()
        try await withServer(handler: handler) { _, port in
            let bodies = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET /held HTTP/1.1\r\nHost: t\r\n\r\n")
                let responder = handler.heldResponder()
                // The next request arrives while the first still waits for its answer.
                try client.send("GET /now HTTP/1.1\r\nHost: t\r\n\r\n")
                Thread.sleep(forTimeInterval: 0.02)
                responder?.send(.text("held"))
                return try (0..<2).map { _ in try client.readResponse().bodyText }
            }
            #expect(bodies.count == 2)
            #expect(bodies.first == "held")
            #expect(bodies.last?.hasPrefix("now on ") == true)
        }
    }

    @Test("An answer built for a connection the drain limit cut is still made (making it is what logs and counts it)")
    func answersForCutConnectionsAreStillMade() async throws {
        let handler = LoopAnsweringHandler()
        let (server, port) = try Self.startServer(drainTimeout: .milliseconds(20), eventLoops: 1, handler: handler)
        let client = Task {
            try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET /built-late HTTP/1.1\r\nHost: t\r\n\r\n")
                return client.isClosedByPeer()
            }
        }
        // Shut down while the answer (100 ms away) is pending: the drain limit cuts the
        // connection and the loop stops before the answer is posted.
        for _ in 0..<2_000 where handler.requestsTaken.value.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(1)) }
        server.shutdown()
        await server.waitUntilStopped()
        #expect(try await client.value, "the drain limit closed the connection")
        for _ in 0..<2_000 where handler.lateAnswersMade.value.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(handler.lateAnswersMade.value.withLock { $0 } == 1)
    }

    @Test("Each new connection goes to the next loop, and the connection limit counts all loops together")
    func connectionsSpreadAndShareOneLimit() async throws {
        let limits = testLimits { $0.maxConnections = 3 }
        let observer = RecordingObserver()
        try await withServer(limits: limits, eventLoops: 3, observer: observer, handler: LoopAnsweringHandler()) { _, port in
            let (names, refused, servedAfterClose) = try await onThread {
                var clients: [RawClient] = []
                var names: [String] = []
                for _ in 0..<3 {
                    let client = try RawClient(port: port)
                    try client.send("GET /now HTTP/1.1\r\nHost: t\r\n\r\n")
                    names.append(try client.readResponse().bodyText)
                    clients.append(client)
                }
                let fourth = try RawClient(port: port)
                let refused = try fourth.readResponse().status
                clients.removeFirst()   // closes one: its loop counts it out
                var served = 0
                for _ in 0..<100 where served == 0 {
                    Thread.sleep(forTimeInterval: 0.02)
                    let fifth = try RawClient(port: port)
                    try fifth.send("GET /now HTTP/1.1\r\nHost: t\r\n\r\n")
                    served = try fifth.readResponse().status == 200 ? 200 : 0
                }
                return (names, refused, served)
            }
            #expect(Set(names).count == 3, "three connections, three loops: \(names)")
            #expect(refused == 503)
            #expect(servedAfterClose == 200)
        }
        let counts = observer.connectionCounts.withLock { $0 }
        #expect(counts.max() == 3)
        #expect(counts.last == 0)
    }

    @Test("Shutdown stops every loop: a response still pending on one loop is sent before the server stops")
    func shutdownWaitsForEveryLoop() async throws {
        let handler = LoopAnsweringHandler()
        let (server, port) = try Self.startServer(drainTimeout: .seconds(60), eventLoops: 3, handler: handler)
        let pending = Task {
            try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET /held HTTP/1.1\r\nHost: t\r\n\r\n")
                return try client.readResponse()
            }
        }
        // Shut down while the request waits for its answer, then answer it from this thread.
        let responder = try #require(try await onThread { handler.heldResponder() })
        server.shutdown()
        try await Task.sleep(for: .milliseconds(50))
        #expect(server.boundPort != nil, "the server stopped with an answer still pending")
        responder.send(.text("held"))
        await server.waitUntilStopped()
        let response = try await pending.value
        #expect(response.status == 200)
        #expect(response.header("Connection") == "close")
        #expect(server.boundPort == nil)
    }
}
