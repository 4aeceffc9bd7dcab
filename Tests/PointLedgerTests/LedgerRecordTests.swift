import Testing
import PointCrypto
import PointJSON
@testable import PointLedger

@Suite struct LedgerRecordTests {
    @Test func formatsTimesWithMicroseconds() {
        #expect(LedgerTime.format(0) == "1970-01-01T00:00:00.000000Z")
        #expect(LedgerTime.format(1_700_000_000_123_456) == "2023-11-14T22:13:20.123456Z")
        #expect(LedgerTime.format(951_782_400_000_001) == "2000-02-29T00:00:00.000001Z")
        #expect(LedgerTime.parse("2023-11-14T22:13:20.123456Z") == 1_700_000_000_123_456)
        #expect(LedgerTime.parse("2023-02-29T00:00:00.000000Z") == nil)
        #expect(LedgerTime.parse("2023-11-14T22:13:20.12345Z") == nil)
        #expect(LedgerTime.parse("2023-11-14 22:13:20.123456Z") == nil)
    }

    @Test func roundTripsTimesAcrossCenturies() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<2_000 {
            let micros = Int64.random(in: LedgerTime.supportedRange, using: &generator)
            #expect(LedgerTime.parse(LedgerTime.format(micros)) == micros)
        }
    }

    @Test func encodesTheDocumentedLayout() throws {
        var line: [UInt8] = []
        let entry = LedgerEntry(type: "grant.created", data: ["points": 100, "orderId": "A-1"], time: 1_700_000_000_000_000)
        LedgerRecordFormat.encodeLine(seq: 1, entry: entry, prev: .zero, into: &line)
        let expected = #"{"seq":1,"time":"2023-11-14T22:13:20.000000Z","type":"grant.created","prev":"0000000000000000000000000000000000000000000000000000000000000000","data":{"orderId":"A-1","points":100}}"#
        #expect(String(decoding: line, as: UTF8.self) == expected)
        let parsed = try line.withUnsafeBytes { try LedgerRecordFormat.parse(line: $0).get() }
        #expect(parsed.seq == 1 && parsed.type == "grant.created" && parsed.data["points"] == .int(100))
        #expect(parsed.prev == .zero && parsed.time == 1_700_000_000_000_000)
    }

    @Test(arguments: [
        (#"{"seq":01,"time":"2023-11-14T22:13:20.000000Z","type":"a","prev":"0000000000000000000000000000000000000000000000000000000000000000","data":{}}"#, "leading zeros"),
        (#"{"seq":1,"time":"2023-11-14T22:13:20Z","type":"a","prev":"0000000000000000000000000000000000000000000000000000000000000000","data":{}}"#, "time must be UTC"),
        (#"{"seq":1,"time":"2023-11-14T22:13:20.000000Z","type":"A","prev":"0000000000000000000000000000000000000000000000000000000000000000","data":{}}"#, "invalid event type"),
        (#"{"seq":1,"time":"2023-11-14T22:13:20.000000Z","type":"a","prev":"00000000000000000000000000000000000000000000000000000000000000AA","data":{}}"#, "lowercase hex"),
        (#"{"seq":1,"time":"2023-11-14T22:13:20.000000Z","type":"a","prev":"0000000000000000000000000000000000000000000000000000000000000000","data":[]}"#, "JSON object"),
        (#"{"seq":1,"time":"2023-11-14T22:13:20.000000Z","type":"a","prev":"0000000000000000000000000000000000000000000000000000000000000000","data":{"a":1.5}}"#, "whole numbers"),
        (#"{"seq":1,"time":"2023-11-14T22:13:20.000000Z","type":"a","prev":"0000000000000000000000000000000000000000000000000000000000000000","data":{}"#, "expected a quoted member name"),
        (#"{"seq":1,"type":"a"}"#, "expected"),
    ])
    func refusesMalformedLines(line: String, reason: String) {
        let bytes = Array(line.utf8)
        let result = bytes.withUnsafeBytes { LedgerRecordFormat.parse(line: $0) }
        guard case .failure(let problem) = result else {
            Issue.record("accepted a malformed line")
            return
        }
        #expect(problem.reason.contains(reason), "\(problem.reason)")
    }

    /// A fixed part of the line that differs is reported at its first differing byte; a line
    /// that stops inside one says so.
    @Test func namesTheByteWhereAFixedPartDiffers() {
        func problem(_ line: String) -> LineProblem? {
            let bytes = Array(line.utf8)
            guard case .failure(let problem) = bytes.withUnsafeBytes({ LedgerRecordFormat.parse(line: $0) }) else { return nil }
            return problem
        }
        #expect(problem(#"{"seq":1,"tame":"2023"#) == LineProblem(offset: 11, reason: #"expected ,"time":""#))
        #expect(problem(#"{"sex":1"#) == LineProblem(offset: 4, reason: #"expected {"seq":"#))
        #expect(problem(#"{"seq":1,"ti"#) == LineProblem(offset: 8, reason: #"line ends before ,"time":""#))
    }

    @Test func refusesInvalidEntries() {
        #expect(throws: LedgerError.self) { try LedgerRecordFormat.validate(LedgerEntry(type: "Grant", data: [:], time: 0)) }
        #expect(throws: LedgerError.self) { try LedgerRecordFormat.validate(LedgerEntry(type: "grant", data: [1], time: 0)) }
        #expect(throws: LedgerError.self) { try LedgerRecordFormat.validate(LedgerEntry(type: "grant", data: [:], time: -1)) }
        #expect(throws: Never.self) { try LedgerRecordFormat.validate(LedgerEntry(type: "grant.created_v2", data: [:], time: 0)) }
    }

    @Test("Pre-encoded data is checked as the scanner will check the written line", arguments: [
        #"{"b":1,"a":2}"#,        // keys out of order
        #"{"a": 1}"#,             // whitespace
        #"[1]"#,                  // not an object
        #"{"a":01}"#,             // leading zero
        #"{"a":1}x"#,             // trailing bytes
        "",
    ])
    func refusesNonCanonicalBytes(text: String) {
        #expect(throws: LedgerError.self) {
            try LedgerRecordFormat.validate(LedgerEntry(type: "grant", canonicalData: Array(text.utf8), time: 0))
        }
    }

    @Test func acceptsCanonicalBytesAndRefusesDataNestedTooDeep() throws {
        try LedgerRecordFormat.validate(LedgerEntry(type: "grant", canonicalData: Array(#"{"a":[1,{"b":"é"}],"c":null}"#.utf8), time: 0))
        var nested: JSONValue = [:]
        for _ in 0..<LedgerRecordFormat.maxDataDepth { nested = ["x": nested] }   // maxDataDepth + 1 levels
        #expect(throws: LedgerError.self) { try LedgerRecordFormat.validate(LedgerEntry(type: "grant", data: nested, time: 0)) }
        var allowed: JSONValue = [:]
        for _ in 0..<(LedgerRecordFormat.maxDataDepth - 1) { allowed = ["x": allowed] }
        try LedgerRecordFormat.validate(LedgerEntry(type: "grant", data: allowed, time: 0))
    }

    @Test func segmentNamesAreZeroPaddedFirstSeqs() {
        #expect(SegmentDirectory.fileName(firstSeq: 1) == "00000000000000000001.jsonl")
        #expect(SegmentDirectory.firstSeq(ofFileName: "00000000000000004097.jsonl") == 4097)
        #expect(SegmentDirectory.firstSeq(ofFileName: "4097.jsonl") == nil)
        #expect(SegmentDirectory.firstSeq(ofFileName: "00000000000000000000.jsonl") == nil)
        #expect(SegmentDirectory.firstSeq(ofFileName: "00000000000000004097.json") == nil)
    }
}
