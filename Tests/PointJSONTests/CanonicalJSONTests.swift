import Testing
@testable import PointJSON

@Suite struct CanonicalJSONTests {
    @Test("The escape check finds every control character, quote and backslash at every position, and nothing else")
    func escapeCheckAgreesWithEveryByte() {
        let reference = { (bytes: [UInt8]) in bytes.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C } }
        for value in 0...255 {
            for length in 1...19 {
                for position in 0..<length {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = UInt8(value)
                    let found = bytes.withUnsafeBufferPointer { CanonicalJSON.needsEscape($0) }
                    #expect(found == reference(bytes), "byte \(value) at \(position) of \(length)")
                }
            }
        }
        // Non-ASCII characters before, around and after a byte that needs an escape.
        for text in ["é", "日本語の注文", "éé\"", "注文\u{1}", "😀😀😀😀x", "😀😀😀😀\\", "ab\u{7F}cdefgh", "\u{80}"] {
            let bytes = Array(text.utf8)
            #expect(bytes.withUnsafeBufferPointer { CanonicalJSON.needsEscape($0) } == reference(bytes), "\(text)")
        }
        #expect(!CanonicalJSON.needsEscape(UnsafeBufferPointer(start: nil, count: 0)))
    }

    @Test func sortsKeysAndOmitsWhitespace() {
        let value: JSONValue = ["b": 1, "a": ["z": true, "y": nil], "c": [1, -2, "x"]]
        #expect(CanonicalJSON.string(value) == #"{"a":{"y":null,"z":true},"b":1,"c":[1,-2,"x"]}"#)
    }

    @Test func escapesLikePythonJSONDumps() {
        let value: JSONValue = .string("q\"b\\n\n\t\u{01}\u{7F}/é點")
        #expect(CanonicalJSON.string(value) == "\"q\\\"b\\\\n\\n\\t\\u0001\u{7F}/é點\"")
    }

    @Test func integersAtTheExtremes() {
        #expect(CanonicalJSON.string(.int(Int64.min)) == "-9223372036854775808")
        #expect(CanonicalJSON.string(.int(Int64.max)) == "9223372036854775807")
        #expect(CanonicalJSON.string(.int(0)) == "0")
    }

    @Test func roundTripsThroughTheParser() throws {
        let value: JSONValue = ["data": ["points": 100, "memo": "點數\u{0}"], "seq": 7, "ok": false, "list": []]
        let bytes = CanonicalJSON.encode(value)
        #expect(try JSONParser.parse(bytes) == value)
        #expect(CanonicalJSON.encode(try JSONParser.parse(bytes)) == bytes)
    }
}

@Suite struct CanonicalJSONValidatorTests {
    private func problem(_ text: String) -> JSONParseError? {
        Array(text.utf8).withUnsafeBytes { CanonicalJSONValidator.validate($0) }
    }

    @Test func acceptsWhatTheWriterProduces() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let value: JSONValue = [
                "k\(Int.random(in: 0...9, using: &generator))": .int(Int64.random(in: Int64.min...Int64.max, using: &generator)),
                "s": .string(String((0..<8).map { _ in Character(Unicode.Scalar(UInt8.random(in: 0...127, using: &generator))) }) + "點😀"),
                "a": [true, false, nil, ["z": 1, "y": [:]]],
            ]
            let bytes = CanonicalJSON.encode(value)
            #expect(bytes.withUnsafeBytes { CanonicalJSONValidator.validate($0) } == nil, "\(String(decoding: bytes, as: UTF8.self))")
        }
    }

    @Test(arguments: [
        (#"{"b":1,"a":2}"#, "strictly increasing"),
        (#"{"a":1,"a":2}"#, "strictly increasing"),
        (#"{"a": 1}"#, "a value was expected"),
        (#"{"a":01}"#, "leading zero"),
        (#"{"a":-0}"#, "leading zero"),
        (#"{"a":1.0}"#, "whole numbers"),
        (#"{"a":"\u0041"}"#, "without a"),
        (#"{"a":"\/"}"#, "unexpected escape"),
        (#"{"a":"\u000a"}"#, "without a"),
        (#"{"a":1}x"#, "after the end"),
    ])
    func refusesNonCanonicalForms(text: String, reason: String) {
        let found = problem(text)
        #expect(found?.reason.contains(reason) == true, "\(String(describing: found))")
    }

    /// Member names sort by their UTF-8 bytes, a prefix first, and an escaped name by the
    /// bytes it stands for (not by its escaped spelling).
    @Test func memberNameOrder() {
        for accepted in [#"{"a":1,"ab":2}"#, #"{"\n":1,"a":2}"#, #"{"\u0001":1,"\t":2}"#, #"{"a":1,"a\"":2}"#, #"{"Z":1,"a":2,"ä":3}"#] {
            #expect(problem(accepted) == nil, "\(accepted)")
        }
        for refused in [#"{"ab":1,"a":2}"#, #"{"a":1,"\n":2}"#, #"{"\t":1,"\u0001":2}"#, #"{"a\"":1,"a":2}"#, #"{"ä":1,"a":2}"#, #"{"\n":1,"\n":2}"#] {
            #expect(problem(refused)?.reason.contains("strictly increasing") == true, "\(refused)")
        }
    }

    @Test func refusesInvalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xC0, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22]] {
            #expect(bytes.withUnsafeBytes { CanonicalJSONValidator.validate($0) } != nil)
        }
    }
}
