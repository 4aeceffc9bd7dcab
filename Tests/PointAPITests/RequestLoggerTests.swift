import Foundation
import PointJSON
import Synchronization
import Testing
@testable import PointAPI

final class LineCollector: Sendable {
    let lines = Mutex<[[UInt8]]>([])
    func append(_ line: [UInt8]) -> Bool {
        lines.withLock { $0.append(line) }
        return true
    }
}

@Suite struct RequestLoggerTests {
    @Test func writesOneJSONLinePerRequest() throws {
        let collector = LineCollector()
        let logger = RequestLogger { collector.append($0) }
        logger.log(RequestLogEntry(
            unixMilliseconds: Fixture.now, requestId: "0123456789abcdef0123456789abcdef", keyId: "1650000001",
            route: "/v1/grants/{orderId}", method: .get, status: 404, latencyMicroseconds: 321,
            remoteAddress: "127.0.0.1", errorCode: "not_found"
        ))
        logger.log(RequestLogEntry(
            unixMilliseconds: Fixture.now, requestId: "r2", keyId: nil, route: "unmatched", method: .post,
            status: 401, latencyMicroseconds: 12, remoteAddress: "2001:db8::1"
        ))
        let lines = collector.lines.withLock { $0 }
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.last == 0x0A && $0.filter { $0 == 0x0A }.count == 1 })
        let first = try JSONParser.parse(Array(lines[0].dropLast()))
        #expect(first == [
            "time": .int(Fixture.now), "requestId": "0123456789abcdef0123456789abcdef", "keyId": "1650000001",
            "route": "/v1/grants/{orderId}", "method": "GET", "status": 404, "latencyUs": 321,
            "remoteAddress": "127.0.0.1", "errorCode": "not_found",
        ])
        let second = try JSONParser.parse(Array(lines[1].dropLast()))
        #expect(second["keyId"] == .null)
        #expect(second["errorCode"] == nil)
    }

    @Test func fieldsAreBoundedAndEscaped() throws {
        let entry = RequestLogEntry(
            unixMilliseconds: 0, requestId: String(repeating: "あ", count: 200), keyId: "k\"\n",
            route: "r", method: .get, status: 200, latencyMicroseconds: 0, remoteAddress: "x"
        )
        let line = entry.jsonLine
        #expect(line.filter { $0 == 0x0A }.count == 1)
        let parsed = try JSONParser.parse(Array(line.dropLast()))
        #expect((parsed["requestId"]?.stringValue?.utf8.count ?? 0) <= RequestLogEntry.maxFieldBytes)
        #expect(parsed["keyId"]?.stringValue == "k\"\n")
    }

    @Test func aSignedRequestLeavesNoSecretInTheLog() throws {
        // The whole path from a signed request to its log line: only the chosen fields are written.
        let signer = RequestSigner(keyId: "1650000001", secret: Fixture.merchantSecret)
        let idToken = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJVMTIzIn0.c2lnbmF0dXJl"
        let request = signer.signing(.init(method: .post, target: "/v1/bindings?debug=\(idToken)",
                                           body: Array(#"{"memberId":"m1","idToken":"\#(idToken)"}"#.utf8)))
        let collector = LineCollector()
        let logger = RequestLogger { collector.append($0) }
        logger.log(RequestLogEntry(
            unixMilliseconds: 0, requestId: RequestIDGenerator().next(), keyId: "1650000001", route: "/v1/bindings",
            method: request.method, status: 201, latencyMicroseconds: 5, remoteAddress: request.remoteAddress
        ))
        let text = String(decoding: collector.lines.withLock { $0 }.joined(), as: UTF8.self)
        #expect(!text.contains(String(decoding: Fixture.merchantSecret, as: UTF8.self)))
        #expect(!text.contains(idToken))
        #expect(!text.contains(request.headers[RequestSignature.signatureHeader] ?? "<none>"))
    }

    @Test func failingSinksAreCounted() {
        let logger = RequestLogger { _ in false }
        logger.log(RequestLogEntry(unixMilliseconds: 0, requestId: "r", keyId: nil, route: "r", method: .get,
                                   status: 200, latencyMicroseconds: 0, remoteAddress: "x"))
        #expect(logger.droppedLines == 1)
    }

    @Test func writesToAFileHandle() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pointapi-log-\(UUID().uuidString)")
        #expect(FileManager.default.createFile(atPath: url.path, contents: nil))
        defer { try? FileManager.default.removeItem(at: url) }
        let handle = try FileHandle(forWritingTo: url)
        let logger = RequestLogger.writing(to: handle)
        for index in 0..<3 {
            logger.log(RequestLogEntry(unixMilliseconds: 0, requestId: "r\(index)", keyId: nil, route: "r",
                                       method: .get, status: 200, latencyMicroseconds: 0, remoteAddress: "x"))
        }
        try handle.close()
        let contents = try String(contentsOf: url, encoding: .utf8)
        #expect(contents.split(separator: "\n").count == 3)
    }
}

@Suite struct RequestIDGeneratorTests {
    @Test func idsAreUniqueFixedLengthHex() async {
        let generator = RequestIDGenerator()
        let ids = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask { (0..<5_000).map { _ in generator.next() } }
            }
            return await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(Set(ids).count == 20_000)
        #expect(ids.allSatisfy { $0.utf8.count == 32 && $0.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) } })
        #expect(RequestIDGenerator().next().prefix(16) != generator.next().prefix(16))
    }

    @Test func idsAreDeterministicWithAFixedSeed() {
        let generator = RequestIDGenerator(prefix: 0xABCD, start: 0xFFFF_FFFF_FFFF_FFFF)
        #expect(generator.next() == "000000000000abcdffffffffffffffff")
        #expect(generator.next() == "000000000000abcd0000000000000000")
    }
}
