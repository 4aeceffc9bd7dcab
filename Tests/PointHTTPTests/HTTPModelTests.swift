import Foundation
@testable import PointHTTP
import Testing

@Suite("HTTP model types")
struct HTTPModelTests {
    @Test func headerLookupIsCaseInsensitiveAndOrdered() {
        var headers: HTTPHeaders = ["Content-Type": "text/plain", "X-A": "1"]
        headers.add(name: "x-a", value: "2")
        #expect(headers["content-type"] == "text/plain")
        #expect(headers.values(for: "X-a") == ["1", "2"])
        #expect(headers.occurrences(of: "x-A") == ("1", 2))
        #expect(headers.occurrences(of: "X-B") == (nil, 0))
        headers.set(name: "X-B", value: "new")
        #expect(headers.occurrences(of: "x-b") == ("new", 1))
        headers.remove(name: "X-B")
        headers.set(name: "X-A", value: "3")
        #expect(headers.values(for: "x-a") == ["3"])
        headers.remove(name: "CONTENT-TYPE")
        #expect(!headers.contains("Content-Type"))
        #expect(headers.map(\.name) == ["X-A"])
    }

    @Test func connectionTokensAreFoundInAnyFieldAndListPosition() {
        let cases: [(fields: [(String, String)], token: String, expected: Bool)] = [
            ([("Connection", "close")], "close", true),
            ([("connection", " Keep-Alive ")], "keep-alive", true),
            ([("Connection", "upgrade,\tCLOSE")], "close", true),
            ([("Connection", "upgrade"), ("CONNECTION", "x, close ,y")], "close", true),
            ([("Connection", ",, ,close,")], "close", true),
            ([("Connection", "closed, unclose, clo se")], "close", false),
            // Lists split on the comma byte (RFC 9110 §5.6.1), even before a combining mark.
            ([("Connection", "close,\u{0301}")], "close", true),
            ([("Connection", "keep-alive,\u{0301}close")], "close", false),
            ([("Connection", "")], "close", false),
            ([("Connection", " , ")], "close", false),
            ([("X-Connection", "close")], "close", false),
            ([], "close", false),
        ]
        for (fields, token, expected) in cases {
            let headers = HTTPHeaders(fields.map { HTTPHeaderField(name: $0.0, value: $0.1) })
            #expect(headers.containsToken(token, inFieldsNamed: "Connection") == expected, "\(fields)")
        }
    }

    @Test func sharedHeaderTextIsExactlyTheTextReceived() {
        let texts = ["X-LINE-ChannelId", "x-line-channelid", "X-LINE-Authorization", "X-LINE-Authorization-Nonce",
                     "X-LINE-Authorization-Noncf", "Transfer-Encoding", "application/json", "application/jsoN",
                     "application/json; charset=utf-8", "Host", ""]
        for text in texts {
            #expect(CommonFieldText.name(Array(text.utf8)[...]) == text)
            #expect(CommonFieldText.value(Array(text.utf8)[...]) == text)
        }
        let invalid: [UInt8] = Array("application/json".utf8.dropLast()) + [0xFF]
        #expect(CommonFieldText.value(invalid[...]) == String(decoding: invalid, as: UTF8.self))
    }

    @Test func pathsAndQueriesKeepRawFormAndDecodeOnRequest() {
        let request = HTTPRequest(method: .get, target: "/a%20b/c%2Fd?name=J%C3%BCrgen+X&flag&empty=&bad=%zz")
        #expect(request.path == "/a%20b/c%2Fd")
        #expect(request.decodedPath == "/a b/c/d")
        #expect(request.query == "name=J%C3%BCrgen+X&flag&empty=&bad=%zz")
        #expect(request.queryItems == [
            HTTPQueryItem(name: "name", value: "Jürgen X"), HTTPQueryItem(name: "flag", value: ""),
            HTTPQueryItem(name: "empty", value: ""), HTTPQueryItem(name: "bad", value: "%zz"),
        ])
        #expect(request.queryValue("name") == "Jürgen X")
        #expect(HTTPRequest(method: .get, target: "/%ff").decodedPath == nil)
        #expect(HTTPRequest(method: .get, target: "/%2").decodedPath == nil)
        #expect(HTTPRequest(method: .get, target: "http://host:8/p?q=1").path == "/p")
        #expect(HTTPRequest(method: .get, target: "http://host").path == "/")
        // Origin-form: the first `?` splits, later ones stay in the query; no `?` means no query.
        let split = HTTPRequest(method: .get, target: "/v1/grants?a=1?b=2")
        #expect(split.path == "/v1/grants" && split.query == "a=1?b=2")
        let emptyQuery = HTTPRequest(method: .get, target: "/v1/grants?")
        #expect(emptyQuery.path == "/v1/grants" && emptyQuery.query == "")
        let plain = HTTPRequest(method: .post, target: "/v1/grants")
        #expect(plain.path == "/v1/grants" && plain.query == nil)
        #expect(HTTPRequest(method: .get, target: "/?x").path == "/")
    }

    @Test func errorBodiesAreEscapedJSON() throws {
        let response = HTTPResponse.error(status: .badRequest, code: "bad_request", message: "quote \" slash \\ \u{1}",
                                          details: ["a\nb"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect(object["code"] as? String == "bad_request")
        #expect(object["message"] as? String == "quote \" slash \\ \u{1}")
        #expect(object["details"] as? [String] == ["a\nb"])
        #expect(response.headers["Content-Type"] == "application/json")
    }

    @Test func serializerOwnsFramingAndDropsInjectedFields() {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Length", value: "999")
        headers.add(name: "Transfer-Encoding", value: "chunked")
        headers.add(name: "X-Evil", value: "a\r\nSet-Cookie: x")
        headers.add(name: "Bad Name", value: "v")
        headers.add(name: "X-Good", value: "fine")
        var output: [UInt8] = []
        let written = HTTPResponseSerializer.append(
            HTTPResponse(status: HTTPStatus(code: 200, reasonPhrase: "OK\r\nX: y"), headers: headers, body: Array("hi".utf8)),
            forHead: false, keepAlive: true, to: &output)
        let text = String(decoding: output, as: UTF8.self)
        #expect(written == 2)
        #expect(text == "HTTP/1.1 200 OKX: y\r\nX-Good: fine\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nhi")

        var noContent: [UInt8] = []
        HTTPResponseSerializer.append(HTTPResponse(status: .noContent, body: Array("x".utf8)), forHead: false,
                                      keepAlive: false, to: &noContent)
        #expect(String(decoding: noContent, as: UTF8.self) == "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")

        var head: [UInt8] = []
        let headBody = HTTPResponseSerializer.append(.text("four"), forHead: true, keepAlive: true, to: &head)
        #expect(headBody == 0)
        #expect(String(decoding: head, as: UTF8.self).hasSuffix("Content-Length: 4\r\nConnection: keep-alive\r\n\r\n"))
    }

    @Test func tokenBytesAreExactlyTheTcharsOfRFC9110() {
        let tchars = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        #expect(tchars.count == 15 + 10 + 52)
        for value in 0...255 {
            #expect(HTTPSyntax.isTokenByte(UInt8(value)) == tchars.contains(UInt8(value)), "byte \(value)")
        }
    }

    @Test func decimalsAreWrittenMostSignificantFirst() {
        for value in [0, 1, 9, 10, 11, 99, 100, 101, 201, 999, 1_000, 65_535, 1_000_000, 123_456_789, Int.max] {
            var output: [UInt8] = Array("x".utf8)
            HTTPResponseSerializer.appendDecimal(value, to: &output)
            #expect(String(decoding: output, as: UTF8.self) == "x\(value)")
        }
        var negative: [UInt8] = []
        HTTPResponseSerializer.appendDecimal(-5, to: &negative)
        #expect(negative == Array("0".utf8))
    }

    @Test func limitsConvertDurationsSafely() {
        #expect(Duration.milliseconds(1500).clampedNanoseconds == 1_500_000_000)
        #expect(Duration.seconds(-1).clampedNanoseconds == 0)
        #expect(Duration.seconds(Int64.max).clampedNanoseconds == UInt64.max)
    }
}
