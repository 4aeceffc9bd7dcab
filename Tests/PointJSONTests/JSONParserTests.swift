import Testing
@testable import PointJSON

@Suite struct JSONParserTests {
    @Test(arguments: [
        ("{\"a\":1.5}", "only whole numbers"),
        ("{\"a\":1e3}", "only whole numbers"),
        ("{\"a\":1,\"a\":2}", "duplicate member name"),
        ("{\"a\":01}", "leading zeros"),
        ("[1,]", "a value was expected"),
        ("{\"a\":1} x", "after the end"),
        ("\"\\ud800\"", "lone high surrogate"),
        ("\"\\udc00\"", "lone low surrogate"),
        ("\"a\u{01}\"", "control character"),
        ("99999999999999999999", "64-bit range"),
        ("-9223372036854775809", "64-bit range"),
        ("{\"a\" 1}", "expected ':'"),
        ("[true, nul]", "invalid literal"),
        ("\"abc", "unterminated string"),
        ("", "unexpected end"),
    ])
    func refusesMalformedDocuments(document: String, expectedReason: String) {
        #expect {
            try JSONParser.parse(document)
        } throws: { error in
            guard let error = error as? JSONParseError else { return false }
            return error.reason.contains(expectedReason)
        }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func enforcesDepthAndSizeLimits() {
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep, limits: JSONLimits(maxDepth: 32)) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("[1,2,3]", limits: JSONLimits(maxBytes: 4)) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("[1,2,3]", limits: JSONLimits(maxContainerCount: 2)) }
        #expect((try? JSONParser.parse("[[1]]", limits: JSONLimits(maxDepth: 2))) == .array([.array([.int(1)])]))
    }

    @Test func parsesEscapesAndSurrogatePairs() throws {
        let value = try JSONParser.parse(#"{"s":"\u00e9\ud83d\ude00\n\/","n":-42,"t":true,"f":false,"z":null}"#)
        #expect(value["s"] == .string("é😀\n/"))
        #expect(value["n"] == .int(-42))
        #expect(value["t"] == .bool(true))
        #expect(value["f"] == .bool(false))
        #expect(value["z"] == .null)
    }

    @Test func reportsTheOffsetOfTheProblem() {
        do {
            _ = try JSONParser.parse("{\"a\":1,\"b\":2.0}")
            Issue.record("expected a failure")
        } catch {
            #expect(error.offset == 11)
        }
    }
}
