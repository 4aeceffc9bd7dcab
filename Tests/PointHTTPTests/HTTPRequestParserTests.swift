@testable import PointHTTP
import Testing

/// Feeds `bytes` in pieces of the given sizes (the last piece takes the rest) and collects events.
private func parse(_ text: String, splits: [Int] = [], limits: HTTPServerLimits = HTTPServerLimits()) -> [HTTPParseEvent] {
    parse(Array(text.utf8), splits: splits, limits: limits)
}

private func parse(_ bytes: [UInt8], splits: [Int], limits: HTTPServerLimits) -> [HTTPParseEvent] {
    var parser = HTTPRequestParser(limits: limits)
    var events: [HTTPParseEvent] = []
    var offset = 0
    var pieces = splits
    while offset < bytes.count {
        let size = pieces.isEmpty ? bytes.count - offset : min(pieces.removeFirst(), bytes.count - offset)
        parser.append(contentsOf: bytes[offset..<(offset + size)])
        offset += size
        while true {
            let event = parser.next()
            if event == .needMoreData { break }
            events.append(event)
            if case .failure = event { return events }
        }
    }
    return events
}

private func requests(_ events: [HTTPParseEvent]) -> [(head: HTTPRequestHead, body: String)] {
    events.compactMap {
        if case .request(let head, let body) = $0 { return (head, String(decoding: body, as: UTF8.self)) }
        return nil
    }
}

private func failureStatus(_ events: [HTTPParseEvent]) -> Int? {
    if case .failure(let error) = events.last { return error.status.code }
    return nil
}

private let postRequest = "POST /items?x=1 HTTP/1.1\r\nHost: example\r\nContent-Length: 11\r\nX-Trace: a b\r\n\r\nhello world"
private let chunkedRequest = "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    + "5;name=value\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0;last\r\nX-Checksum: abc\r\n\r\n"

@Suite("HTTPRequestParser")
struct HTTPRequestParserTests {
    @Test func parsesARequestWithBodyInOnePiece() {
        let parsed = requests(parse(postRequest))
        #expect(parsed.count == 1)
        #expect(parsed.first?.head.method == .post)
        #expect(parsed.first?.head.target == "/items?x=1")
        #expect(parsed.first?.head.headers["x-trace"] == "a b")
        #expect(parsed.first?.head.keepAlive == true)
        #expect(parsed.first?.body == "hello world")
    }

    @Test func byteByByteGivesTheSameRequest() {
        let splits = [Int](repeating: 1, count: postRequest.utf8.count)
        let parsed = requests(parse(postRequest, splits: splits))
        #expect(parsed.count == 1)
        #expect(parsed.first?.body == "hello world")
        #expect(parsed.first?.head.headers["Content-Length"] == "11")
    }

    @Test func everyTwoPieceSplitGivesTheSameRequest() {
        for split in 1..<postRequest.utf8.count {
            let parsed = requests(parse(postRequest, splits: [split]))
            #expect(parsed.count == 1 && parsed.first?.body == "hello world", "split at \(split)")
        }
    }

    @Test func pseudoRandomSplitsOfPipelinedRequests() {
        let stream = postRequest + "GET /two HTTP/1.1\r\nHost: h\r\n\r\n" + chunkedRequest
        var generator = SplitMix(seed: 42)
        for _ in 0..<200 {
            let splits = (0..<40).map { _ in Int(generator.next() % 9) + 1 }
            let parsed = requests(parse(stream, splits: splits))
            #expect(parsed.map(\.head.target) == ["/items?x=1", "/two", "/c"])
            #expect(parsed.map(\.body) == ["hello world", "", "hello world"])
        }
    }

    @Test func chunkedBodyByteByByteIgnoresExtensionsAndDropsTrailers() {
        let splits = [Int](repeating: 1, count: chunkedRequest.utf8.count)
        let parsed = requests(parse(chunkedRequest, splits: splits))
        #expect(parsed.count == 1)
        #expect(parsed.first?.body == "hello world")
        #expect(parsed.first?.head.headers["X-Checksum"] == nil)
    }

    @Test func phaseFollowsTheRequest() {
        var parser = HTTPRequestParser(limits: HTTPServerLimits())
        #expect(parser.phase == .idle)
        parser.append(contentsOf: "POST / HTTP/1.1\r\nHost: h\r\n".utf8)
        #expect(parser.next() == .needMoreData)
        #expect(parser.phase == .head)
        parser.append(contentsOf: "Content-Length: 2\r\n\r\na".utf8)
        #expect(parser.next() == .needMoreData)
        #expect(parser.phase == .body)
        parser.append(contentsOf: "b".utf8)
        guard case .request = parser.next() else {
            Issue.record("expected a request")
            return
        }
        #expect(parser.phase == .idle)
    }

    @Test func emptyLinesBeforeTheRequestLineAreIgnored() {
        #expect(requests(parse("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")).count == 1)
    }

    @Test func continueIsRequestedOnlyWhileTheBodyIsAbsent() {
        let head = "POST /u HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"
        let waiting = parse(head)
        #expect(waiting == [.continueRequested])
        let eager = parse(head + "abc")
        #expect(requests(eager).first?.body == "abc")
        #expect(!eager.contains(.continueRequested))
    }

    @Test func http10KeepsAliveOnlyWhenAsked() {
        let plain = requests(parse("GET / HTTP/1.0\r\n\r\n"))
        #expect(plain.first?.head.keepAlive == false)
        #expect(plain.first?.head.version == .http1_0)
        let asked = requests(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"))
        #expect(asked.first?.head.keepAlive == true)
        let closing = requests(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n"))
        #expect(closing.first?.head.keepAlive == false)
    }

    @Test func acceptsAbsoluteAndAsteriskForms() {
        #expect(requests(parse("GET http://h/p?q HTTP/1.1\r\nHost: h\r\n\r\n")).first?.head.target == "http://h/p?q")
        #expect(requests(parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")).count == 1)
        #expect(failureStatus(parse("GET * HTTP/1.1\r\nHost: h\r\n\r\n")) == 400)
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\nHost: h\r\n\r\n", 400),  // bare LF
        ("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400),  // double space
        ("GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400),  // space in target
        ("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400),  // trailing space
        ("GET relative HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET /#frag HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400),  // invalid method token
        ("GET / HTTP/1.1\r\n\r\n", 400),  // missing Host
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),  // not a host
        ("GET / HTTP/1.1\r\nHost: x/y@z\r\n\r\n", 400),
        ("GET / HTTP/1.0\r\nHost: x?y\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400),  // obs-fold
        ("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400),  // space before colon
        ("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: a\u{1}b\r\n\r\n", 400),  // control character
        ("GET / HTTP/1.1\r\nHost: h\r\nExpect: magic\r\n\r\n", 417),
        ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
        ("GET / HTTX/1.1\r\nHost: h\r\n\r\n", 400),
        ("TRACE / HTTP/1.1\r\nHost: h\r\n\r\n", 501),
        ("get / HTTP/1.1\r\nHost: h\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: h\r\n\r\n", 411),
        ("PATCH / HTTP/1.0\r\n\r\n", 411),
    ])
    func refusesMalformedRequests(request: String, status: Int) {
        refusesMalformed(request, status: status)
    }

    @Test(arguments: ["example.com", "127.0.0.1:8080", "[::1]:8080", "", "a_b.local", "%65x.test", "host;v=1"])
    func acceptsHostValues(host: String) {
        let events = parse("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n")
        #expect(failureStatus(events) == nil, "\(host.debugDescription)")
        #expect(events.contains { if case .request = $0 { true } else { false } })
    }

    private func refusesMalformed(_ request: String, status: Int) {
        #expect(failureStatus(parse(request)) == status, "\(request.debugDescription)")
        let splits = [Int](repeating: 1, count: request.utf8.count)
        #expect(failureStatus(parse(request, splits: splits)) == status, "byte by byte: \(request.debugDescription)")
    }

    @Test(arguments: [
        "Content-Length: 3\r\nTransfer-Encoding: chunked",
        "Transfer-Encoding: chunked\r\nContent-Length: 3",
        "Content-Length: 3\r\nContent-Length: 3",
        "Content-Length: 3, 3",
        "Content-Length: +3",
        "Content-Length: -1",
        "Content-Length: 0x3",
        "Content-Length: 3 3",
        "Transfer-Encoding: chunked, chunked",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
        "Transfer-Encoding: chunked, gzip",
        "Transfer-Encoding: ,chunked",
    ])
    func refusesAmbiguousFraming(framing: String) {
        let events = parse("POST / HTTP/1.1\r\nHost: h\r\n\(framing)\r\n\r\nabc")
        #expect(failureStatus(events) == 400, "\(framing)")
    }

    @Test func refusesTransferEncodingInHTTP10AndUnknownCodings() {
        #expect(failureStatus(parse("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")) == 400)
        // Chunked not final: the length can't be known, 400 (RFC 9112 §6.3); an unknown coding
        // before a final chunked: not implemented, 501 (§6.1).
        #expect(failureStatus(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n")) == 400)
        #expect(failureStatus(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")) == 501)
    }

    @Test func refusesMalformedChunks() {
        let head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(failureStatus(parse(head + "zz\r\n")) == 400)
        #expect(failureStatus(parse(head + "3\r\nabcX\r\n")) == 400)
        #expect(failureStatus(parse(head + "3 x\r\nabc\r\n")) == 400)
        #expect(failureStatus(parse(head + "3\nabc\r\n")) == 400)
        #expect(failureStatus(parse(head + "0\r\nbad trailer\r\n\r\n")) == 400)
    }

    @Test func enforcesEveryLimit() {
        var limits = HTTPServerLimits()
        limits.maxRequestLineBytes = 32
        limits.maxHeaderBytes = 64
        limits.maxHeaderCount = 3
        limits.maxBodyBytes = 10
        limits.maxChunkLineBytes = 8
        limits.maxTrailerBytes = 16
        let longLine = "GET /" + String(repeating: "a", count: 40) + " HTTP/1.1\r\n"
        #expect(failureStatus(parse(longLine, limits: limits)) == 414)
        // Refused before the line ends, so an endless line is never buffered.
        #expect(failureStatus(parse(String(longLine.prefix(36)), limits: limits)) == 414)
        let manyHeaders = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"
        #expect(failureStatus(parse(manyHeaders, limits: limits)) == 431)
        let bigHeader = "GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "v", count: 70)
        #expect(failureStatus(parse(bigHeader, limits: limits)) == 431)
        #expect(failureStatus(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", limits: limits)) == 413)
        #expect(failureStatus(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n",
                                    limits: limits)) == 413)
        let chunkedHead = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(failureStatus(parse(chunkedHead + "6\r\nabcdef\r\n6\r\n", limits: limits)) == 413)
        #expect(failureStatus(parse(chunkedHead + "000000ff\r\n", limits: limits)) == 413)
        // An overflowing size is refused as too large, not wrapped around.
        #expect(failureStatus(parse(chunkedHead + String(repeating: "f", count: 40) + "\r\n")) == 413)
        #expect(failureStatus(parse(chunkedHead + "1;ext=long\r\n", limits: limits)) == 400)
        #expect(failureStatus(parse(chunkedHead + "0\r\nX-Long: 0123456789abcdef\r\n\r\n", limits: limits)) == 431)
        #expect(requests(parse(chunkedHead + "5\r\nabcde\r\n5\r\nfghij\r\n0\r\n\r\n", limits: limits)).first?.body
            == "abcdefghij")
    }

    @Test func unconsumedBytesStayBoundedAcrossManyRequests() {
        var parser = HTTPRequestParser(limits: HTTPServerLimits())
        let request = Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8)
        for _ in 0..<1000 {
            parser.append(contentsOf: request)
            guard case .request = parser.next() else {
                Issue.record("expected a request")
                return
            }
        }
        #expect(parser.unconsumedByteCount == 0)
    }
}

/// Deterministic pseudo-random numbers for split tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
