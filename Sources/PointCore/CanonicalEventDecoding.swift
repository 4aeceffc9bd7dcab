#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import PointJSON

extension DomainEvent {
    /// Decodes a ledger record's type and canonical `data` bytes; nil when the type is not a
    /// domain event. Gives exactly what ``decode(type:data:)`` gives for the parsed value: the
    /// commonest record, `grant.issued`, is read straight from its bytes, and anything that
    /// path does not recognise (an escaped string, an unexpected member) goes through the
    /// general parser.
    public static func decode(type: String, canonicalData data: UnsafeRawBufferPointer) throws(DomainError) -> DomainEvent? {
        if type == "grant.issued", let granted = CanonicalGrantReader.read(data) {
            return .pointsGranted(granted)
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(UnsafeBufferPointer(start: data.baseAddress?.assumingMemoryBound(to: UInt8.self), count: data.count),
                                         limits: JSONLimits(maxBytes: max(data.count, 1), maxDepth: 32))
        } catch {
            throw EventFieldReader.failure("data", "is not valid JSON at byte \(error.offset): \(error.reason)")
        }
        return try decode(type: type, data: value)
    }
}

/// Reads a `grant.issued` data object in its canonical form —
/// `{"lineUserId":"…","memberId":"…","merchantId":"…","orderId":"…","points":N,"scenarioId":"…"}`
/// — without building a dictionary. Returns nil for any other shape (the caller then parses).
enum CanonicalGrantReader {
    // Compile-time constants: no global to initialise, no array to copy per record.
    private static let lineUserKey: StaticString = #"{"lineUserId":""#
    private static let memberKey: StaticString = #"","memberId":""#
    private static let merchantKey: StaticString = #"","merchantId":""#
    private static let orderKey: StaticString = #"","orderId":""#
    private static let pointsKey: StaticString = #"","points":"#
    private static let scenarioKey: StaticString = #","scenarioId":""#
    private static let end: StaticString = #""}"#

    /// Where each member's characters lie in the data bytes (between the quotes), and the points.
    struct Fields {
        var lineUserID: Range<Int>
        var memberID: Range<Int>
        var merchantID: Range<Int>
        var orderID: Range<Int>
        var points: Int
        var scenarioID: Range<Int>
    }

    static func read(_ data: UnsafeRawBufferPointer) -> PointsGranted? {
        guard let fields = locate(data) else { return nil }
        func text(_ range: Range<Int>) -> String { String(decoding: UnsafeRawBufferPointer(rebasing: data[range]), as: UTF8.self) }
        return PointsGranted(merchantID: text(fields.merchantID), orderID: text(fields.orderID), memberID: text(fields.memberID),
                             lineUserID: text(fields.lineUserID), scenarioID: text(fields.scenarioID), points: fields.points)
    }

    /// The members' positions when `data` has exactly the canonical shape (no string is built).
    static func locate(_ data: UnsafeRawBufferPointer) -> Fields? {
        var cursor = 0
        guard literal(lineUserKey, data, &cursor), let lineUserID = string(data, &cursor),
              literal(memberKey, data, &cursor), let memberID = string(data, &cursor),
              literal(merchantKey, data, &cursor), let merchantID = string(data, &cursor),
              literal(orderKey, data, &cursor), let orderID = string(data, &cursor),
              literal(pointsKey, data, &cursor), let points = integer(data, &cursor),
              literal(scenarioKey, data, &cursor), let scenarioID = string(data, &cursor),
              literal(end, data, &cursor), cursor == data.count
        else { return nil }
        return Fields(lineUserID: lineUserID, memberID: memberID, merchantID: merchantID, orderID: orderID, points: points, scenarioID: scenarioID)
    }

    @inline(__always)
    private static func literal(_ expected: StaticString, _ data: UnsafeRawBufferPointer, _ cursor: inout Int) -> Bool {
        let count = expected.utf8CodeUnitCount
        guard cursor + count <= data.count, let base = data.baseAddress, memcmp(base + cursor, expected.utf8Start, count) == 0 else { return false }
        cursor += count
        return true
    }

    /// The position of the string's characters up to its closing quote, when it holds no escape
    /// or control byte (the cursor then sits on the closing quote).
    private static func string(_ data: UnsafeRawBufferPointer, _ cursor: inout Int) -> Range<Int>? {
        let start = cursor
        if let base = data.baseAddress { cursor = PlainStringScan.end(of: base, from: cursor, to: data.count) }
        while cursor < data.count {
            let byte = data[cursor]
            if byte == UInt8(ascii: "\"") {
                return start..<cursor
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            cursor += 1
        }
        return nil
    }

    /// A canonical integer (optional minus, no leading zero) that fits an `Int`.
    private static func integer(_ data: UnsafeRawBufferPointer, _ cursor: inout Int) -> Int? {
        var negative = false
        if cursor < data.count && data[cursor] == UInt8(ascii: "-") {
            negative = true
            cursor += 1
        }
        let start = cursor
        var magnitude = 0
        while cursor < data.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(data[cursor]) {
            let (shifted, overflowA) = magnitude.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = shifted.addingReportingOverflow(Int(data[cursor] - UInt8(ascii: "0")))
            guard !overflowA, !overflowB else { return nil }
            magnitude = next
            cursor += 1
        }
        let digits = cursor - start
        guard digits > 0, digits == 1 || data[start] != UInt8(ascii: "0") else { return nil }
        return negative ? -magnitude : magnitude
    }
}
