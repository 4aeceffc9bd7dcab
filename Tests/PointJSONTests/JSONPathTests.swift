import PointJSON
import Testing

@Suite struct JSONPathTests {
    /// The path of the value at the first occurrence of `marker`.
    private func path(_ document: String, at marker: String) -> String? {
        let bytes = Array(document.utf8)
        let wanted = Array(marker.utf8)
        guard let offset = (0...(bytes.count - wanted.count)).first(where: { Array(bytes[$0..<($0 + wanted.count)]) == wanted }) else {
            return "marker not found"
        }
        return JSONPath.at(offset: offset, in: bytes)
    }

    @Test func namesMembersIndexesAndNesting() {
        #expect(path(#"{"orderId":"o-1","points":1.5}"#, at: "1.5") == "points")
        #expect(path(#"{"grants":[{"points":1},{"orderId":"a,b}[","points":1e3}]}"#, at: "1e3") == "grants[1].points")
        #expect(path(#"{"evidence":{"message":"x\"y","notifiedAt":2.0}}"#, at: "2.0") == "evidence.notifiedAt")
        #expect(path(#"[[1,2],[3,4.5]]"#, at: "4.5") == "[1][1]")
        #expect(path(#"{"a":{"b":1},"c":9.9}"#, at: "9.9") == "c")
        #expect(path("1.5", at: "1.5") == "")
    }

    @Test func refusesAPrefixThatIsNotJSON() {
        #expect(JSONPath.at(offset: 3, in: Array("}}}".utf8)) == nil)
        #expect(JSONPath.at(offset: 9, in: Array(#"{"a":"bcd"#.utf8)) == nil)
        #expect(JSONPath.at(offset: 99, in: Array("{}".utf8)) == nil)
    }

    @Test func theParserMarksUnacceptedNumbersOnly() {
        for (document, unaccepted) in [(#"{"p":1.5}"#, true), (#"{"p":1e3}"#, true), (#"{"p":9223372036854775808}"#, true),
                                       (#"{"p":-9223372036854775809}"#, true), (#"{"p":01}"#, false), (#"{"p":}"#, false),
                                       (#"{"p":1.}"#, false), (#"{"p":1e}"#, false), (#"{"p":1.5e+}"#, false), (#"{"p":2.5E-3}"#, true),
                                       (#"{"p":1.5.3}"#, false), (#"{"p":1e5x}"#, false), (#"{"p":99999999999999999999e}"#, false),
                                       (#"{"p":99999999999999999999}"#, true), (#"{"p":99999999999999999999.5}"#, true)] {
            #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(document.utf8)) }
            do {
                _ = try JSONParser.parse(Array(document.utf8))
            } catch {
                #expect(error.isUnacceptedNumber == unaccepted, "\(document)")
            }
        }
    }

    @Test func pathsOfSeveralOffsetsInOneWalkEqualEachAlone() {
        let document = Array(#"{"a":[1.5,{"b":2e3}],"c":{"d":[0.5,7,1e9]},"e":"x,[]{}"}"#.utf8)
        let offsets = [6, 15, 31, 37]   // 1.5, 2e3, 0.5, 1e9
        let walked = JSONPath.paths(at: offsets, in: document)
        #expect(walked == offsets.map { JSONPath.at(offset: $0, in: document) })
        #expect(walked == ["a[0]", "a[1].b", "c.d[0]", "c.d[2]"])
        // Out of order or out of range: nil for that offset, the others still named.
        #expect(JSONPath.paths(at: [15, 6, 10_000], in: document) == ["a[1].b", nil, nil])
    }

    @Test func aTolerantParseReadsUnacceptedNumbersAsNullAndSaysWhere() throws {
        let document = Array(#"{"a":[1.5,{"b":2e3}],"c":99999999999999999999,"d":-0.25e-10,"e":1}"#.utf8)
        var found: [JSONParseError] = []
        let value = try JSONParser.parse(document, unacceptedNumbers: &found, maxUnacceptedNumbers: 10)
        #expect(value == ["a": [.null, ["b": .null]], "c": .null, "d": .null, "e": 1])
        #expect(JSONPath.paths(at: found.map(\.offset), in: document) == ["a[0]", "a[1].b", "c", "d"])
        #expect(found.allSatisfy { $0.isUnacceptedNumber })
        // Past the most it reads past, the next one throws, as the strict parse does at the first.
        var few: [JSONParseError] = []
        #expect(throws: JSONParseError.self) { try JSONParser.parse(document, unacceptedNumbers: &few, maxUnacceptedNumbers: 2) }
        #expect(few.count == 2)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(document) }
        // Not numbers at all stay errors: a tolerant parse is no looser about anything else.
        var none: [JSONParseError] = []
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(#"{"a":1.}"#.utf8), unacceptedNumbers: &none, maxUnacceptedNumbers: 10) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(#"{"a":1.5 x}"#.utf8), unacceptedNumbers: &none, maxUnacceptedNumbers: 10) }
    }

    @Test func keysArePathsAsTheParserReadsThem() {
        let document = Array(#"{"p\u006fints":[1.5],"d\"e":2.5,"\#(String(repeating: "k", count: 100))":3.5}"#.utf8)
        let offsets = ["1.5", "2.5", "3.5"].map { marker in
            (0..<document.count).first { Array(document[$0..<min(document.count, $0 + 3)]) == Array(marker.utf8) } ?? 0
        }
        let paths = JSONPath.paths(at: offsets, in: document)
        #expect(paths[0] == "points[0]" && paths[1] == #"d"e"#)
        #expect(paths[2] == String(repeating: "k", count: JSONPath.maxKeyScalars) + "…")
    }
}
