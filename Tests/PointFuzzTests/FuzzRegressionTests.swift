import Foundation
import PointFuzzTargets
import PointJSON
import PointLedger
import Testing

/// Every input the fuzzers found is kept in `Tests/Fuzz/findings/<target>-<what>` and replayed
/// here through the same target code; the bug each exposed stays fixed.
@Suite("Fuzz findings")
struct FuzzRegressionTests {
    static let findings = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/findings").path

    static func finding(_ name: String) throws -> [UInt8] {
        Array(try #require(FileManager.default.contents(atPath: findings + "/" + name), "missing finding \(name)"))
    }

    @Test("Every saved finding now passes its target's invariants")
    func allFindings() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.findings).sorted()
        #expect(!names.isEmpty)
        for name in names {
            let target = try #require(FuzzTarget.allCases.first { name.hasPrefix($0.rawValue + "-") }, "\(name) names no target")
            let violation = target.run(try Self.finding(name))
            #expect(violation == nil, "\(name): \(String(describing: violation))")
        }
    }

    /// json-body, found in 20 s: `CanonicalJSONValidator` accepted a 19-digit integer beyond the
    /// Int64 range (here -9223372036854778580) that `JSONParser` refuses. A ledger record holding one
    /// passed the scan and `ledger verify` (which only validate) but could not be decoded for replay.
    @Test("The canonical validator refuses 19-digit integers outside Int64, like the parser")
    func validatorInt64Range() throws {
        func valid(_ text: String) -> Bool { Array(text.utf8).withUnsafeBytes { CanonicalJSONValidator.validate($0) == nil } }
        #expect(valid("9223372036854775807"))
        #expect(valid("-9223372036854775808"))
        #expect(valid("[1000000000000000000,-1000000000000000000]"))
        for outside in ["9223372036854775808", "-9223372036854775809", "9999999999999999999", "-9999999999999999999",
                        "{\"d\":-9223372036854778580}"] {
            #expect(!valid(outside), "\(outside)")
            #expect(throws: JSONParseError.self) { try JSONParser.parse(outside) }
        }
        let line = #"{"seq":1,"time":"2026-01-31T23:59:59.000000Z","type":"grant.created","prev":""# + String(repeating: "0", count: 64)
            + #"","data":{"points":9223372036854775808}}"#
        let parsed = Array(line.utf8).withUnsafeBytes { raw -> Bool in
            if case .success = LedgerRecordFormat.parseView(line: raw) { return true }
            return false
        }
        #expect(!parsed, "a record line with an out-of-range integer must be refused by the scan, not only by replay")
        #expect(FuzzTarget.ledgerRecord.run(Array(line.utf8)) == nil)
        #expect(FuzzTarget.jsonBody.run(try Self.finding("json-body-validator-int64-overflow")) == nil)
    }

    /// http-parser, found in 15 s (an invariant of the harness, not a parser bug): a request line
    /// longer than the limit that ends in a bare LF is refused 400 when the LF arrives with it and
    /// 414 when the limit is crossed first. Both refuse; the harness asks only that.
    @Test("A stream breaking two rules is refused however it is split")
    func splitStatus() throws {
        #expect(FuzzTarget.httpParser.run(try Self.finding("http-parser-split-status")) == nil)
    }

    /// http-parser, found in `sandbox/test`'s fuzz run on 2026-11-30 (an invariant of the harness,
    /// not a parser bug): `Connection: …,close,` followed by a combining mark. The parser splits
    /// the list at the comma byte, as RFC 9110 lists are split, and closes the connection; the
    /// harness split the value into Characters, where the comma and the mark are one grapheme,
    /// so it saw no `close` and expected keep-alive.
    @Test("The harness splits a Connection list at the comma byte, as the parser does")
    func connectionListCommaBeforeCombiningMark() throws {
        #expect(FuzzTarget.httpParser.run(try Self.finding("http-parser-comma-before-combining-mark")) == nil)
    }
}

@Suite("Fuzz findings: canonical member order")
struct CanonicalKeyOrderRegressionTests {
    /// ledger-record, found after 2.8 M executions: `CanonicalJSONValidator` compared member names
    /// by their escaped bytes, `CanonicalJSON` sorts them by their UTF-8 bytes. With an escape in a
    /// name the two orders differ (`"a\b"` escaped is 0x61 0x5C 0x62, unescaped 0x61 0x08), so the
    /// validator accepted a record whose data the writer would order differently: two byte
    /// strings for one value, both "canonical".
    @Test("The validator orders member names by their unescaped bytes, as the writer does")
    func escapedNames() throws {
        func valid(_ text: String) -> Bool { Array(text.utf8).withUnsafeBytes { CanonicalJSONValidator.validate($0) == nil } }
        let value: JSONValue = .object(["a\u{8}": 1, "a!": 2, "a\\": 3, "a\"": 4, "a\u{1}": 5])
        let canonical = CanonicalJSON.string(value)
        #expect(valid(canonical))
        #expect(canonical == #"{"a\u0001":5,"a\b":1,"a!":2,"a\"":4,"a\\":3}"#)
        #expect(!valid(#"{"a!":2,"a\b":1}"#), "escaped-byte order, not the writer's")
        #expect(!valid(#"{"a\\":3,"a\"":4}"#))
        #expect(valid(#"{"a\"":4,"a\\":3}"#))
        #expect(FuzzTarget.ledgerRecord.run(try FuzzRegressionTests.finding("ledger-record-escaped-key-order")) == nil)
    }
}
