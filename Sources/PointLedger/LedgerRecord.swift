#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PointCrypto
import PointJSON

/// One ledger record: a single line of canonical JSON
/// `{"seq":N,"time":"…","type":"…","prev":"<64 hex>","data":{…}}`.
public struct LedgerRecord: Sendable, Equatable {
    /// Position in the ledger: 1, 2, 3… without gaps.
    public let seq: UInt64
    /// When the record was decided, in microseconds since the Unix epoch (UTC).
    public let time: Int64
    /// The event type, e.g. `grant.created`.
    public let type: String
    /// SHA-256 of the previous record's line bytes (``SHA256Digest/zero`` for the first record).
    public let prev: SHA256Digest
    /// The event payload: a JSON object.
    public let data: JSONValue
    /// The exact line bytes, without the trailing newline.
    public let line: [UInt8]

    /// SHA-256 of ``line``: the next record's `prev`.
    public var lineHash: SHA256Digest { line.withUnsafeBytes { SHA256.hash($0) } }

    /// RFC 6962 leaf hash of ``line``: SHA-256(0x00 ‖ line).
    public var leafHash: SHA256Digest { line.withUnsafeBytes { SHA256.hash(prefix: 0x00, $0) } }
}

/// What a caller asks the ledger to append: the ledger adds `seq` and `prev`.
///
/// The payload is held as canonical JSON bytes, encoded when the entry is made — outside the
/// ledger's lock. Canonical data is the caller's contract: ``Ledger/enqueue(_:wakingWriter:)``
/// refuses a bad envelope at once (``LedgerRecordFormat/validateEnvelope(_:)``), and the writer
/// checks the data exactly as the scanner will check the written line before it writes anything;
/// data that is not canonical poisons the ledger rather than being written, so the ledger never
/// holds a record it would refuse to read back.
public struct LedgerEntry: Sendable, Equatable {
    /// The event type: 1–64 characters of `a-z`, `0-9`, `.` and `_`, starting with a letter.
    public let type: String
    /// The payload: the canonical JSON bytes of an object (see ``PointJSON/CanonicalJSON``).
    public let canonicalData: [UInt8]
    /// When the event was decided (microseconds since the Unix epoch, UTC).
    public let time: Int64

    /// An entry whose payload is `data`, encoded canonically now.
    public init(type: String, data: JSONValue, time: Int64) {
        self.init(type: type, canonicalData: CanonicalJSON.encode(data), time: time)
    }

    /// An entry whose payload is already encoded; ``LedgerRecordFormat/validate(_:)`` refuses
    /// bytes that are not one canonical JSON object.
    public init(type: String, canonicalData: [UInt8], time: Int64) {
        self.type = type
        self.canonicalData = canonicalData
        self.time = time
    }
}

/// Builds and reads record lines.
public enum LedgerRecordFormat {
    /// Largest accepted line, in bytes (excluding the newline).
    public static let maxLineBytes = 1 << 20
    /// Longest accepted event type.
    public static let maxTypeLength = 64

    // The envelope's fixed parts, as compile-time constants (no global to initialise on each use).
    static let seqPrefix: StaticString = #"{"seq":"#
    static let timePrefix: StaticString = #","time":""#
    static let typePrefix: StaticString = #"","type":""#
    static let prevPrefix: StaticString = #"","prev":""#
    static let dataPrefix: StaticString = #"","data":"#

    @inline(__always)
    private static func append(_ literal: StaticString, to output: inout [UInt8]) {
        output.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// True when `type` is a valid event type name.
    public static func isValidType(_ type: String) -> Bool {
        var type = type
        return type.withUTF8 { bytes in
            guard let first = bytes.first, bytes.count <= maxTypeLength, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else {
                return false
            }
            for byte in bytes where !isTypeByte(byte) { return false }
            return true
        }
    }

    /// Encodes the line for `entry` at `seq` after a record whose line hash is `prev`.
    /// The caller has validated the entry (see ``validate(_:)``).
    public static func encodeLine(seq: UInt64, entry: LedgerEntry, prev: SHA256Digest, into line: inout [UInt8]) {
        var formattedTime: [UInt8] = []
        LedgerTime.append(entry.time, to: &formattedTime)
        line.removeAll(keepingCapacity: true)
        line.reserveCapacity(entry.canonicalData.count + 160)
        var type = entry.type
        type.withUTF8 { typeBytes in
            entry.canonicalData.withUnsafeBytes { data in
                encodeLine(seq: seq, type: UnsafeRawBufferPointer(typeBytes), formattedTime: formattedTime, prev: prev, data: data, into: &line)
            }
        }
    }

    /// Appends the line (without its newline) for a record of `type` and `data` to `output`:
    /// how the ledger's writer encodes what was queued (see ``lineLength(seq:typeLength:dataLength:)``).
    static func encodeLine(seq: UInt64, type: UnsafeRawBufferPointer, formattedTime: [UInt8], prev: SHA256Digest,
                           data: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        append(seqPrefix, to: &output)
        CanonicalJSON.appendInteger(Int64(seq), to: &output)
        append(timePrefix, to: &output)
        output.append(contentsOf: formattedTime)
        append(typePrefix, to: &output)
        output.append(contentsOf: type)
        append(prevPrefix, to: &output)
        prev.withUnsafeBytes { Hex.append($0, to: &output) }
        append(dataPrefix, to: &output)
        output.append(contentsOf: data)
        output.append(UInt8(ascii: "}"))
    }

    /// The length in bytes (without the newline) of the line ``encodeLine(seq:entry:prev:into:)``
    /// writes for a record at `seq` whose type and data have these lengths: what the ledger
    /// checks against ``maxLineBytes`` when it accepts an entry, before anything is encoded.
    public static func lineLength(seq: UInt64, typeLength: Int, dataLength: Int) -> Int {
        var digits = 1
        var rest = seq / 10
        while rest > 0 { digits += 1; rest /= 10 }
        return seqPrefix.utf8CodeUnitCount + digits + timePrefix.utf8CodeUnitCount + LedgerTime.formattedLength
            + typePrefix.utf8CodeUnitCount + typeLength + prevPrefix.utf8CodeUnitCount + 64 + dataPrefix.utf8CodeUnitCount + dataLength + 1
    }

    /// Checks an entry completely: its envelope (``validateEnvelope(_:)``) and that its data is
    /// canonical JSON, as the scanner will check the written line.
    public static func validate(_ entry: LedgerEntry) throws(LedgerError) {
        try validateEnvelope(entry)
        if let problem = entry.canonicalData.withUnsafeBytes({ dataProblem($0) }) { throw LedgerError.invalidEntry(problem) }
    }

    /// The checks ``Ledger/enqueue(_:wakingWriter:)`` makes before it accepts an entry: the
    /// event type, the time's range, and data that is delimited as one JSON object. The writer
    /// checks the rest (``dataProblem(_:)``) before it writes anything.
    public static func validateEnvelope(_ entry: LedgerEntry) throws(LedgerError) {
        guard isValidType(entry.type) else {
            throw LedgerError.invalidEntry("event type \"\(entry.type)\" must be 1–64 characters of a-z, 0-9, '.', '_' starting with a letter")
        }
        guard entry.canonicalData.first == UInt8(ascii: "{"), entry.canonicalData.last == UInt8(ascii: "}") else {
            throw LedgerError.invalidEntry("event data must be a JSON object")
        }
        guard LedgerTime.supportedRange.contains(entry.time) else {
            throw LedgerError.invalidEntry("event time \(entry.time) µs is outside 1970–9999")
        }
    }

    /// Why `data` is not canonical JSON as a record's data (nil when it is).
    static func dataProblem(_ data: UnsafeRawBufferPointer) -> String? {
        guard let problem = CanonicalJSONValidator.validate(data, maxDepth: maxDataDepth) else { return nil }
        return "event data is not canonical JSON at byte \(problem.offset): \(problem.reason)"
    }

    /// Parses and fully decodes one line (without its newline).
    public static func parse(line: UnsafeRawBufferPointer) -> Result<LedgerRecord, LineProblem> {
        switch parseView(line: line) {
        case .failure(let problem): return .failure(problem)
        case .success(let view): return view.decode()
        }
    }

    /// Parses one line (without its newline) without copying it: checks the envelope's layout
    /// and that `data` is canonical JSON. The view is valid while `line` is.
    public static func parseView(line: UnsafeRawBufferPointer) -> Result<RecordView, LineProblem> {
        var cursor = 0
        // The literals are compile-time constants (no global to initialise, no array to copy).
        func expect(_ literal: StaticString, _ what: String) -> LineProblem? {
            let count = literal.utf8CodeUnitCount
            guard cursor + count <= line.count, let base = line.baseAddress else { return LineProblem(offset: cursor, reason: "line ends before \(what)") }
            if memcmp(base + cursor, literal.utf8Start, count) != 0 {
                var index = 0
                while index < count && line[cursor + index] == literal.utf8Start[index] { index += 1 }
                return LineProblem(offset: cursor + index, reason: "expected \(what)")
            }
            cursor += count
            return nil
        }
        guard line.count <= maxLineBytes else { return .failure(LineProblem(offset: 0, reason: "line is longer than \(maxLineBytes) bytes")) }
        if let problem = expect(#"{"seq":"#, "{\"seq\":") { return .failure(problem) }
        // seq: 1–19 digits, no leading zero.
        let seqStart = cursor
        var seq: UInt64 = 0
        while cursor < line.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(line[cursor]), cursor - seqStart < 19 {
            seq = seq * 10 + UInt64(line[cursor] - UInt8(ascii: "0"))
            cursor += 1
        }
        guard cursor > seqStart, line[seqStart] != UInt8(ascii: "0"), seq <= UInt64(Int64.max) else {
            return .failure(LineProblem(offset: seqStart, reason: "seq must be a positive integer without leading zeros"))
        }
        if let problem = expect(#","time":""#, ",\"time\":\"") { return .failure(problem) }
        guard cursor + LedgerTime.formattedLength <= line.count,
              let time = LedgerTime.parse(UnsafeRawBufferPointer(rebasing: line[cursor..<(cursor + LedgerTime.formattedLength)]))
        else { return .failure(LineProblem(offset: cursor, reason: "time must be UTC like 2026-01-31T23:59:59.000000Z")) }
        cursor += LedgerTime.formattedLength
        if let problem = expect(#"","type":""#, "\",\"type\":\"") { return .failure(problem) }
        let typeStart = cursor
        while cursor < line.count, cursor - typeStart <= maxTypeLength, isTypeByte(line[cursor]) { cursor += 1 }
        guard cursor > typeStart, cursor - typeStart <= maxTypeLength, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(line[typeStart]) else {
            return .failure(LineProblem(offset: typeStart, reason: "invalid event type"))
        }
        let typeRange = typeStart..<cursor
        if let problem = expect(#"","prev":""#, "\",\"prev\":\"") { return .failure(problem) }
        guard cursor + 64 <= line.count, let prev = parseLowerHexDigest(UnsafeRawBufferPointer(rebasing: line[cursor..<(cursor + 64)])) else {
            return .failure(LineProblem(offset: cursor, reason: "prev must be 64 lowercase hex characters"))
        }
        cursor += 64
        if let problem = expect(#"","data":"#, "\",\"data\":") { return .failure(problem) }
        guard line.count > cursor, line[line.count - 1] == UInt8(ascii: "}") else {
            return .failure(LineProblem(offset: line.count, reason: "record must end with '}'"))
        }
        guard line[cursor] == UInt8(ascii: "{") else { return .failure(LineProblem(offset: cursor, reason: "data must be a JSON object")) }
        let dataRange = cursor..<(line.count - 1)
        if let problem = CanonicalJSONValidator.validate(UnsafeRawBufferPointer(rebasing: line[dataRange]), maxDepth: maxDataDepth) {
            return .failure(LineProblem(offset: cursor + problem.offset, reason: "data: \(problem.reason)"))
        }
        return .success(RecordView(seq: seq, time: time, prev: prev, line: line, typeRange: typeRange, dataRange: dataRange))
    }

    /// Deepest nesting accepted inside `data`.
    public static let maxDataDepth = 16

    private static func isTypeByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
    }

    private static func parseLowerHexDigest(_ text: UnsafeRawBufferPointer) -> SHA256Digest? {
        var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var invalid: UInt8 = 0
        withUnsafeMutableBytes(of: &bytes) { raw in
            lowerHexTable.withUnsafeBufferPointer { table in
                for index in 0..<32 {
                    let high = table[Int(text[index &* 2])]
                    let low = table[Int(text[index &* 2 &+ 1])]
                    invalid |= (high | low) & 0x10
                    raw[index] = (high << 4) | (low & 0x0F)
                }
            }
        }
        guard invalid == 0 else { return nil }
        return withUnsafeBytes(of: &bytes) { SHA256Digest(raw: $0) }
    }

    /// Nibble value of each byte for lowercase hex; 0x10 marks a byte that is not one.
    private static let lowerHexTable: [UInt8] = (0..<256).map { byte -> UInt8 in
        switch byte {
        case 0x30...0x39: return UInt8(byte - 0x30)
        case 0x61...0x66: return UInt8(byte - 0x61 + 10)
        default: return 0x10
        }
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

}

/// A parsed record line that borrows the line's bytes (no copy). Valid only while the bytes are.
public struct RecordView {
    /// The record's seq.
    public let seq: UInt64
    /// The record's time (microseconds since the Unix epoch, UTC).
    public let time: Int64
    /// The previous line's hash as stored.
    public let prev: SHA256Digest
    /// The line bytes without the newline.
    public let line: UnsafeRawBufferPointer
    let typeRange: Range<Int>
    let dataRange: Range<Int>

    /// The event type.
    public var type: String { String(decoding: UnsafeRawBufferPointer(rebasing: line[typeRange]), as: UTF8.self) }

    /// The raw canonical JSON bytes of `data`.
    public var dataBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: line[dataRange]) }

    /// SHA-256 of the line.
    public var lineHash: SHA256Digest { SHA256.hash(line) }

    /// RFC 6962 leaf hash of the line.
    public var leafHash: SHA256Digest { SHA256.hash(prefix: 0x00, line) }

    /// Decodes `data` and copies the line into an owned ``LedgerRecord``.
    public func decode() -> Result<LedgerRecord, LineProblem> {
        let data: JSONValue
        do {
            data = try JSONParser.parse(UnsafeBufferPointer(rebasing: line.bindMemory(to: UInt8.self)[dataRange]),
                                        limits: JSONLimits(maxBytes: LedgerRecordFormat.maxLineBytes, maxDepth: LedgerRecordFormat.maxDataDepth + 1))
        } catch {
            return .failure(LineProblem(offset: dataRange.lowerBound + error.offset, reason: "data: \(error.reason)"))
        }
        return .success(LedgerRecord(seq: seq, time: time, type: type, prev: prev, data: data, line: Array(line)))
    }
}

/// Why a line is not a valid record, and where in the line.
public struct LineProblem: Error, Sendable, Equatable {
    /// Byte offset within the line.
    public let offset: Int
    /// What is wrong.
    public let reason: String
}
