import Testing
@testable import PointJSON

@Suite struct CanonicalJSONTests {
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
