import Foundation
@testable import PointHTTP
import Testing

@Suite("HTTPServer over real sockets", .serialized)
struct HTTPServerTests {
    @Test func servesSeveralRequestsOnOneKeepAliveConnection() async throws {
        try await withServer { _, port in
            let responses = try await onThread {
                let client = try RawClient(port: port)
                return try (1...3).map { index in
                    try client.send("GET /item/\(index)?q=\(index) HTTP/1.1\r\nHost: test\r\n\r\n")
                    return try client.readResponse()
                }
            }
            #expect(responses.map(\.status) == [200, 200, 200])
            #expect(responses.map { $0.header("X-Path") } == ["/item/1", "/item/2", "/item/3"])
            #expect(responses.allSatisfy { $0.header("Connection") == "keep-alive" })
            #expect(responses.first?.header("X-Remote")?.hasPrefix("127.0.0.1:") == true)
            #expect(responses.first?.header("X-Remote")?.hasSuffix(":0") == false)
        }
    }

    @Test func answersPipelinedRequestsInOrder() async throws {
        try await withServer { _, port in
            let responses = try await onThread {
                let client = try RawClient(port: port)
                try client.send(
                    "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"
                        + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"
                        + "HEAD /head HTTP/1.1\r\nHost: t\r\n\r\n"
                        + "DELETE /last HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                return [try client.readResponse(), try client.readResponse(), try client.readResponse(forHead: true),
                        try client.readResponse()] + (client.closesWithoutData() ? [] : [RawResponse(status: 0, headers: [], body: [])])
            }
            #expect(responses.map { $0.header("X-Path") } == ["/slow", "/echo", "/head", "/last"])
            #expect(responses[1].bodyText == "hello")
            #expect(responses[2].header("Content-Length") == "2")
            #expect(responses[3].header("Connection") == "close")
            #expect(responses.count == 4, "the server closes after Connection: close")
        }
    }

    @Test func writesLargeResponsesAcrossPartialWrites() async throws {
        try await withServer { _, port in
            let responses = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET /large HTTP/1.1\r\nHost: t\r\n\r\nGET /after HTTP/1.1\r\nHost: t\r\n\r\n")
                Thread.sleep(forTimeInterval: 0.2)  // Let the server fill the socket buffer first.
                return [try client.readResponse(), try client.readResponse()]
            }
            #expect(responses.first?.body == largeBody)
            #expect(responses.last?.header("X-Path") == "/after")
        }
    }

    @Test func dropsAClientThatStopsReadingItsResponse() async throws {
        let observer = RecordingObserver()
        let limits = testLimits { $0.writeTimeout = .milliseconds(300) }
        try await withServer(limits: limits, observer: observer) { _, port in
            let received = try await onThread {
                let client = try RawClient(port: port, receiveBufferBytes: 4096)
                try client.send("GET /huge HTTP/1.1\r\nHost: t\r\n\r\n")
                Thread.sleep(forTimeInterval: 1)
                return client.byteCountUntilClosed()
            }
            let count = try #require(received)
            #expect(count < hugeBodyBytes, "the connection was cut before the whole body went out")
        }
        #expect(observer.connectionCounts.withLock { $0.last } == 0)
    }

    @Test func aKeepAliveAnswerFinishedDuringTheDrainClosesItsConnectionAtOnce() async throws {
        // Drain and idle timeouts far beyond the check, so fixed (closed at once) and not (left
        // until a timeout) are seconds apart however loaded the machine is.
        let limits = testLimits {
            $0.drainTimeout = .seconds(20)
            $0.idleTimeout = .seconds(30)
        }
        try await withServer(limits: limits, eventLoops: 1) { server, port in
            let (head, body, closedAfter) = try await onThread {
                let client = try RawClient(port: port, receiveBufferBytes: 4096)
                try client.send("GET /huge HTTP/1.1\r\nHost: t\r\n\r\n")
                // The answer has begun, and the rest is stuck in the full socket buffers.
                let head = try client.readResponse(forHead: true)
                server.shutdown()
                let body = try client.readBytes(hugeBodyBytes)
                let lastByte = Date()
                return (head, body.count, client.isClosedByPeer() ? Date().timeIntervalSince(lastByte) : nil)
            }
            #expect(head.status == 200 && body == hugeBodyBytes, "the answer in flight is finished")
            let seconds = try #require(closedAfter, "the connection was not closed")
            #expect(seconds < 5, "closed \(seconds) s after the answer's last byte")
            await server.waitUntilStopped()
        }
    }

    @Test func decodesAChunkedBody() async throws {
        try await withServer { _, port in
            let response = try await exchange(
                "POST /chunked HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "4;ext=1\r\nwiki\r\n5\r\npedia\r\n0\r\nTrailer-Field: x\r\n\r\n", port: port)
            #expect(response.status == 200)
            #expect(response.bodyText == "wikipedia")
        }
    }

    @Test func handlesExpect100Continue() async throws {
        try await withServer { _, port in
            let (interim, final) = try await onThread {
                let client = try RawClient(port: port)
                try client.send("PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
                let interim = try client.readResponse()
                try client.send("data")
                return (interim, try client.readResponse())
            }
            #expect(interim.status == 100)
            #expect(final.status == 200)
            #expect(final.bodyText == "data")
        }
    }

    @Test func speaksHTTP10() async throws {
        try await withServer { _, port in
            let (plain, closed, kept) = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET /old HTTP/1.0\r\n\r\n")
                let plain = try client.readResponse()
                let closed = client.closesWithoutData()
                let keeping = try RawClient(port: port)
                try keeping.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                _ = try keeping.readResponse()
                try keeping.send("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                return (plain, closed, try keeping.readResponse())
            }
            #expect(plain.status == 200)
            #expect(plain.header("Connection") == "close")
            #expect(closed)
            #expect(kept.header("X-Path") == "/b")
            #expect(kept.header("Connection") == "keep-alive")
        }
    }

    @Test func refusesMalformedRequestsWithJSONErrorsAndCloses() async throws {
        try await withServer { _, port in
            let (response, closed) = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET / HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n")
                return (try client.readResponse(), client.closesWithoutData())
            }
            #expect(response.status == 400)
            #expect(response.errorCode == "bad_request")
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.header("Connection") == "close")
            #expect(closed)
        }
    }

    /// A handler that stamps the responses the server generates itself.
    struct StampingHandler: HTTPHandler {
        func handle(_ request: HTTPRequest) async -> HTTPResponse { HTTPResponse.json(Array("{}".utf8)) }
        func decorateGeneratedResponse(_ response: inout HTTPResponse) {
            response.headers.set(name: "X-Stamp", value: "generated")
        }
    }

    @Test func serverGeneratedErrorsAreDecoratedByTheHandler() async throws {
        let limits = testLimits { $0.maxBodyBytes = 16 }
        try await withServer(limits: limits, handler: StampingHandler()) { _, port in
            let malformed = try await exchange("GET / HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n", port: port)
            #expect(malformed.status == 400)
            #expect(malformed.header("X-Stamp") == "generated")
            let tooLarge = try await exchange("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 17\r\n\r\n", port: port)
            #expect(tooLarge.status == 413)
            #expect(tooLarge.header("X-Stamp") == "generated")
            // The handler's own responses are left as they are.
            let normal = try await exchange("GET / HTTP/1.1\r\nHost: t\r\n\r\n", port: port)
            #expect(normal.status == 200)
            #expect(normal.header("X-Stamp") == nil)
        }
    }

    @Test func eachLimitProducesItsStatus() async throws {
        let limits = testLimits {
            $0.maxRequestLineBytes = 64
            $0.maxHeaderCount = 4
            $0.maxHeaderBytes = 256
            $0.maxBodyBytes = 16
        }
        try await withServer(limits: limits) { _, port in
            let cases: [(String, Int, String)] = [
                ("GET /" + String(repeating: "x", count: 100) + " HTTP/1.1\r\nHost: t\r\n\r\n", 414, "uri_too_long"),
                ("GET / HTTP/1.1\r\nHost: t\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 431, "request_header_fields_too_large"),
                ("GET / HTTP/1.1\r\nHost: t\r\nX: " + String(repeating: "v", count: 300) + "\r\n\r\n", 431,
                 "request_header_fields_too_large"),
                ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 17\r\n\r\n", 413, "content_too_large"),
                ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n11\r\n", 413, "content_too_large"),
                ("POST / HTTP/1.1\r\nHost: t\r\n\r\n", 411, "length_required"),
                ("BREW / HTTP/1.1\r\nHost: t\r\n\r\n", 501, "not_implemented"),
                ("GET / HTTP/3.0\r\nHost: t\r\n\r\n", 505, "http_version_not_supported"),
            ]
            for (request, status, code) in cases {
                let response = try await exchange(request, port: port)
                #expect(response.status == status, "\(request.prefix(40))")
                #expect(response.errorCode == code, "\(request.prefix(40))")
            }
        }
    }

    @Test func refusesSmugglingAttempts() async throws {
        try await withServer { _, port in
            let attempts = [
                "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
                "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4, 4\r\n\r\nabcd",
                "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0x4\r\n\r\nabcd",
                "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: t\r\nX: y\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: t\nContent-Length: 4\r\n\r\nabcd",
            ]
            for attempt in attempts {
                let (response, closed) = try await onThread {
                    let client = try RawClient(port: port)
                    try client.send(attempt + "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n")
                    return (try client.readResponse(), client.isClosedByPeer())
                }
                #expect(response.status == 400, "\(attempt.debugDescription)")
                #expect(response.errorCode == "bad_request")
                #expect(closed, "no second response for the smuggled request")
            }
        }
    }

    @Test func timesOutSlowHeadsAndBodiesWith408AndIdleConnectionsSilently() async throws {
        let limits = testLimits {
            $0.headerTimeout = .milliseconds(300)
            $0.bodyTimeout = .milliseconds(300)
            $0.idleTimeout = .milliseconds(300)
        }
        try await withServer(limits: limits) { _, port in
            let (head, body, idleClosed) = try await onThread {
                let slowHead = try RawClient(port: port)
                try slowHead.send("GET / HTTP/1.1\r\nHost:")
                let slowBody = try RawClient(port: port)
                try slowBody.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
                let idle = try RawClient(port: port)
                try idle.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                _ = try idle.readResponse()
                return (try slowHead.readResponse(), try slowBody.readResponse(), idle.closesWithoutData())
            }
            #expect(head.status == 408)
            #expect(head.errorCode == "request_timeout")
            #expect(body.status == 408)
            #expect(idleClosed)
        }
    }

    @Test func trickledEmptyLinesDoNotRestartTheIdleTime() async throws {
        let limits = testLimits {
            $0.headerTimeout = .milliseconds(300)
            $0.idleTimeout = .milliseconds(400)
        }
        try await withServer(limits: limits) { _, port in
            let (answered, closedWithin) = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                let answered = try client.readResponse().status
                // CR, then LF, then CR… each byte well before the deadline it would restart.
                let started = Date()
                for index in 0..<40 {
                    do { try client.send(index % 2 == 0 ? "\r" : "\n") } catch { break }
                    Thread.sleep(forTimeInterval: 0.05)
                }
                return (answered, client.isClosedByPeer() ? Date().timeIntervalSince(started) : nil)
            }
            #expect(answered == 200)
            // Idle for 400 ms (plus at most one 300 ms head of a stray CR), then closed — never
            // held for the whole two seconds of trickling.
            let closedAfter = try #require(closedWithin, "the connection was not closed")
            #expect(closedAfter < 1.5, "closed only after \(closedAfter) s")
        }
    }

    @Test func refusesConnectionsOverTheLimitWith503() async throws {
        let limits = testLimits { $0.maxConnections = 1 }
        try await withServer(limits: limits) { _, port in
            let (refused, stillServed) = try await onThread {
                let first = try RawClient(port: port)
                try first.send("GET /one HTTP/1.1\r\nHost: t\r\n\r\n")
                _ = try first.readResponse()
                let second = try RawClient(port: port)
                let refused = try second.readResponse()
                try first.send("GET /again HTTP/1.1\r\nHost: t\r\n\r\n")
                return (refused, try first.readResponse())
            }
            #expect(refused.status == 503)
            #expect(refused.errorCode == "service_unavailable")
            #expect(stillServed.status == 200)
        }
    }

    @Test func aSlowlorisClientDoesNotDelayOthers() async throws {
        try await withServer { _, port in
            let slowloris = Task {
                try await onThread {
                    let client = try RawClient(port: port)
                    for byte in "GET".utf8 {
                        try client.send([byte])
                        Thread.sleep(forTimeInterval: 1)
                    }
                    return true
                }
            }
            try await Task.sleep(for: .milliseconds(1500))
            let started = ContinuousClock.now
            let response = try await exchange("GET /fast HTTP/1.1\r\nHost: t\r\n\r\n", port: port)
            let elapsed = ContinuousClock.now - started
            #expect(response.status == 200)
            #expect(elapsed < .milliseconds(500))
            #expect(try await slowloris.value)
        }
    }

    @Test func aPortInUseIsNamedWithWhatToDo() throws {
        let first = HTTPServer(host: "127.0.0.1", port: 0, limits: testLimits(), handler: EchoHandler())
        let port = try first.start()
        defer { first.shutdown() }
        let second = HTTPServer(host: "127.0.0.1", port: port, limits: testLimits(), handler: EchoHandler())
        #expect {
            try second.start()
        } throws: { error in
            "\(error)".contains("another process already listens there") && "\(error)".contains("--port")
        }
    }

    @Test func shutdownFinishesInFlightRequestsAndClosesIdleOnes() async throws {
        let server = HTTPServer(host: "127.0.0.1", port: 0, limits: testLimits(), handler: EchoHandler())
        let port = try server.start()
        #expect(server.boundPort == port)
        #expect(throws: HTTPServerError.alreadyStarted) { try server.start() }
        let idleClosed = Task {
            try await onThread {
                let idle = try RawClient(port: port)
                try idle.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                _ = try idle.readResponse()
                return idle.closesWithoutData()
            }
        }
        let slow = Task {
            try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
                return try client.readResponse()
            }
        }
        try await Task.sleep(for: .milliseconds(250))
        server.shutdown()
        await server.waitUntilStopped()
        let response = try await slow.value
        #expect(response.status == 200)
        #expect(response.header("Connection") == "close")
        #expect(try await idleClosed.value)
        #expect(server.boundPort == nil)
        #expect(throws: RawClientError.self) { try RawClient(port: port) }
    }

    @Test func reportsMetricsAndHonoursMaxRequestsPerConnection() async throws {
        let observer = RecordingObserver()
        let limits = testLimits { $0.maxRequestsPerConnection = 2 }
        try await withServer(limits: limits, observer: observer) { _, port in
            let (first, second, closed) = try await onThread {
                let client = try RawClient(port: port)
                try client.send("GET /status/201 HTTP/1.1\r\nHost: t\r\n\r\n")
                let first = try client.readResponse()
                try client.send("GET /x HTTP/1.1\r\nHost: t\r\n\r\n")
                return (first, try client.readResponse(), client.closesWithoutData())
            }
            #expect(first.status == 201)
            #expect(first.header("Connection") == "keep-alive")
            #expect(second.header("Connection") == "close")
            #expect(closed)
            _ = try await exchange("GET / HTTP/1.1\r\nHost t\r\n\r\n", port: port)
        }
        let metrics = observer.completed.withLock { $0 }
        #expect(metrics.map(\.status) == [201, 200, 400])
        #expect(metrics.first?.method == .get)
        #expect(metrics.first?.path == "/status/201")
        #expect(metrics.last?.method == nil)
        let counts = observer.connectionCounts.withLock { $0 }
        #expect(counts.contains(1))
        #expect(counts.last == 0)
    }

    @Test func aShutdownSignalStopsTheServer() async throws {
        let server = HTTPServer(host: "127.0.0.1", port: 0, limits: testLimits(), handler: EchoHandler())
        try server.start()
        let signals = server.installShutdownSignalHandlers([SIGUSR2])
        defer { signals.cancel() }
        try await Task.sleep(for: .milliseconds(50))
        kill(getpid(), SIGUSR2)
        await server.waitUntilStopped()
        #expect(server.boundPort == nil)
    }
}
