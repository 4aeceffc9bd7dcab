/// Limits applied while parsing untrusted JSON.
public struct JSONLimits: Sendable {
    /// Largest accepted document, in bytes.
    public var maxBytes: Int
    /// Deepest accepted nesting of arrays and objects.
    public var maxDepth: Int
    /// Most members in one object or elements in one array.
    public var maxContainerCount: Int

    public init(maxBytes: Int = 8 << 20, maxDepth: Int = 32, maxContainerCount: Int = 100_000) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxContainerCount = maxContainerCount
    }

    /// Defaults for request bodies and ledger records.
    public static let standard = JSONLimits()
}

/// Why a document was refused, and where.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset in the document at which the problem was found.
    public let offset: Int
    /// What was wrong, in words a caller can act on.
    public let reason: String
    /// True when the document is readable JSON up to a number this parser does not accept (a
    /// fraction, an exponent, an integer beyond 64 bits) at `offset`: a mistyped value rather
    /// than an unreadable document (see ``JSONPath/at(offset:in:)`` for where it is).
    public let isUnacceptedNumber: Bool

    public init(offset: Int, reason: String, isUnacceptedNumber: Bool = false) {
        self.offset = offset
        self.reason = reason
        self.isUnacceptedNumber = isUnacceptedNumber
    }

    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// A strict JSON parser (RFC 8259) for untrusted input.
///
/// Refuses: floating point numbers and exponents (money and counts are integers here), integers
/// outside Int64, duplicate object keys, invalid UTF-8, lone surrogate escapes, control
/// characters inside strings, trailing content, and anything over the ``JSONLimits``.
public struct JSONParser {
    /// Parses a complete document.
    public static func parse(_ bytes: [UInt8], limits: JSONLimits = .standard) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONParseError) -> JSONValue in
            try parse(buffer, limits: limits)
        }
    }

    /// Parses a complete document held in `text`.
    public static func parse(_ text: String, limits: JSONLimits = .standard) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), limits: limits)
    }

    /// Parses a complete document from raw memory.
    public static func parse(_ buffer: UnsafeBufferPointer<UInt8>, limits: JSONLimits = .standard) throws(JSONParseError) -> JSONValue {
        var none: [JSONParseError] = []
        return try parse(buffer, limits: limits, unacceptedNumbers: &none, maxUnacceptedNumbers: 0)
    }

    /// Parses a complete document, reading each number this parser does not accept (a fraction,
    /// an exponent, an integer beyond 64 bits — complete JSON numbers all the same) as `null`
    /// and appending why, with its offset, to `unacceptedNumbers`: so that a caller can name
    /// every mistyped value at once. Past `maxUnacceptedNumbers` of them, the next one throws.
    public static func parse(_ bytes: [UInt8], limits: JSONLimits = .standard, unacceptedNumbers: inout [JSONParseError],
                             maxUnacceptedNumbers: Int) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONParseError) -> JSONValue in
            try parse(buffer, limits: limits, unacceptedNumbers: &unacceptedNumbers, maxUnacceptedNumbers: maxUnacceptedNumbers)
        }
    }

    private static func parse(_ buffer: UnsafeBufferPointer<UInt8>, limits: JSONLimits, unacceptedNumbers: inout [JSONParseError],
                              maxUnacceptedNumbers: Int) throws(JSONParseError) -> JSONValue {
        guard buffer.count <= limits.maxBytes else {
            throw JSONParseError(offset: limits.maxBytes, reason: "document is \(buffer.count) bytes; the limit is \(limits.maxBytes)")
        }
        var parser = JSONParser(buffer: buffer, limits: limits, maxUnacceptedNumbers: maxUnacceptedNumbers)
        defer { unacceptedNumbers.append(contentsOf: parser.unacceptedNumbers) }
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == buffer.count else {
            throw JSONParseError(offset: parser.position, reason: "unexpected content after the end of the document")
        }
        return value
    }

    private let buffer: UnsafeBufferPointer<UInt8>
    private let limits: JSONLimits
    private var position = 0
    private let maxUnacceptedNumbers: Int
    private var unacceptedNumbers: [JSONParseError] = []

    private init(buffer: UnsafeBufferPointer<UInt8>, limits: JSONLimits, maxUnacceptedNumbers: Int) {
        self.buffer = buffer
        self.limits = limits
        self.maxUnacceptedNumbers = maxUnacceptedNumbers
    }

    private mutating func skipWhitespace() {
        while position < buffer.count {
            switch buffer[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private func fail(_ reason: String) -> JSONParseError {
        JSONParseError(offset: position, reason: reason)
    }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard position < buffer.count else { throw fail("unexpected end of document; a value was expected") }
        switch buffer[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            do { return .int(try parseInteger()) } catch {
                guard error.isUnacceptedNumber, unacceptedNumbers.count < maxUnacceptedNumbers else { throw error }
                // A complete JSON number that ends where a value may end: read it as null.
                unacceptedNumbers.append(error)
                position = error.offset
                while position < buffer.count, Self.isNumberByte(buffer[position]) { position += 1 }
                return .null
            }
        default: throw fail("unexpected character '\(printable(buffer[position]))'; a value was expected")
        }
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return true
        default: return false
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard position + count <= buffer.count else { throw fail("truncated literal; expected '\(literal)'") }
        let start = literal.utf8Start
        for index in 0..<count where buffer[position + index] != start[index] {
            throw fail("invalid literal; expected '\(literal)'")
        }
        position += count
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= limits.maxDepth else { throw fail("nesting deeper than \(limits.maxDepth) levels") }
        position += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if position < buffer.count, buffer[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < buffer.count, buffer[position] == UInt8(ascii: "\"") else {
                throw fail("expected a quoted member name")
            }
            let keyOffset = position
            let key = try parseString()
            skipWhitespace()
            guard position < buffer.count, buffer[position] == UInt8(ascii: ":") else { throw fail("expected ':' after member name") }
            position += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            guard members.updateValue(value, forKey: key) == nil else {
                throw JSONParseError(offset: keyOffset, reason: "duplicate member name \"\(key)\"")
            }
            guard members.count <= limits.maxContainerCount else { throw fail("object has more than \(limits.maxContainerCount) members") }
            skipWhitespace()
            guard position < buffer.count else { throw fail("unexpected end of document inside an object") }
            if buffer[position] == UInt8(ascii: ",") {
                position += 1
                // A second member: request objects have a handful, so size for them once
                // (one-member objects stay small).
                if members.count == 1 { members.reserveCapacity(8) }
                continue
            }
            if buffer[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            throw fail("expected ',' or '}' in object")
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= limits.maxDepth else { throw fail("nesting deeper than \(limits.maxDepth) levels") }
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if position < buffer.count, buffer[position] == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            guard elements.count <= limits.maxContainerCount else { throw fail("array has more than \(limits.maxContainerCount) elements") }
            skipWhitespace()
            guard position < buffer.count else { throw fail("unexpected end of document inside an array") }
            if buffer[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            if buffer[position] == UInt8(ascii: "]") {
                position += 1
                return .array(elements)
            }
            throw fail("expected ',' or ']' in array")
        }
    }

    private mutating func parseInteger() throws(JSONParseError) -> Int64 {
        let start = position
        var negative = false
        if buffer[position] == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        guard position < buffer.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buffer[position]) else {
            throw fail("a digit must follow '-'")
        }
        if buffer[position] == UInt8(ascii: "0"), position + 1 < buffer.count,
           (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buffer[position + 1]) {
            throw fail("numbers must not have leading zeros")
        }
        var magnitude: UInt64 = 0
        while position < buffer.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buffer[position]) {
            let digit = UInt64(buffer[position] - UInt8(ascii: "0"))
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else {
                // Past 64 bits: a mistyped field only if the rest still reads as a JSON number.
                while position < buffer.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buffer[position]) { position += 1 }
                throw JSONParseError(offset: start, reason: "integer out of the 64-bit range",
                                     isUnacceptedNumber: isFractionOrExponent(at: position) || endsNumber(at: position))
            }
            magnitude = sum
            position += 1
        }
        if position < buffer.count {
            let next = buffer[position]
            if next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
                // A well-formed JSON number this parser does not take, or no JSON number at all.
                throw JSONParseError(offset: start, reason: "only whole numbers are accepted (no fractions or exponents)",
                                     isUnacceptedNumber: isFractionOrExponent(at: position))
            }
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else {
                throw JSONParseError(offset: start, reason: "integer out of the 64-bit range", isUnacceptedNumber: endsNumber(at: position))
            }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else {
            throw JSONParseError(offset: start, reason: "integer out of the 64-bit range", isUnacceptedNumber: endsNumber(at: position))
        }
        return Int64(magnitude)
    }

    /// Whether the bytes at `start` complete a JSON number's fraction and/or exponent
    /// (`.5`, `e3`, `.5E-2`) as the JSON grammar has them.
    private func isFractionOrExponent(at start: Int) -> Bool {
        var position = start
        func digits() -> Bool {
            let first = position
            while position < buffer.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buffer[position]) { position += 1 }
            return position > first
        }
        if position < buffer.count, buffer[position] == UInt8(ascii: ".") {
            position += 1
            guard digits() else { return false }
        }
        if position < buffer.count, buffer[position] == UInt8(ascii: "e") || buffer[position] == UInt8(ascii: "E") {
            position += 1
            if position < buffer.count, buffer[position] == UInt8(ascii: "+") || buffer[position] == UInt8(ascii: "-") { position += 1 }
            guard digits() else { return false }
        }
        return position > start && endsNumber(at: position)
    }

    /// Whether a number may end at `position`: the end of the document, whitespace, or what
    /// follows a value (`,` `}` `]`).
    private func endsNumber(at position: Int) -> Bool {
        guard position < buffer.count else { return true }
        switch buffer[position] {
        case 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"): return true
        default: return false
        }
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        position += 1
        let start = position
        // Fast path: no escapes; validate UTF-8 and copy once. ASCII-only text (the common
        // case) needs no validation beyond the byte scan below.
        var unionOfBytes: UInt8 = 0
        while position < buffer.count {
            let byte = buffer[position]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: buffer[start..<position])
                position += 1
                if unionOfBytes < 0x80 { return String(decoding: slice, as: UTF8.self) }
                guard let text = String(validating: slice, as: UTF8.self) else {
                    throw JSONParseError(offset: start, reason: "string is not valid UTF-8")
                }
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw fail("control character inside a string must be escaped") }
            unionOfBytes |= byte
            position += 1
        }
        var bytes = Array(buffer[start..<position])
        while position < buffer.count {
            let byte = buffer[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw JSONParseError(offset: start, reason: "string is not valid UTF-8")
                }
                return text
            }
            if byte < 0x20 { throw fail("control character inside a string must be escaped") }
            if byte != UInt8(ascii: "\\") {
                bytes.append(byte)
                position += 1
                continue
            }
            position += 1
            guard position < buffer.count else { break }
            let escape = buffer[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""): bytes.append(0x22)
            case UInt8(ascii: "\\"): bytes.append(0x5C)
            case UInt8(ascii: "/"): bytes.append(0x2F)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                var scalarValue = try parseHex4()
                if (0xD800...0xDBFF).contains(scalarValue) {
                    guard position + 1 < buffer.count, buffer[position] == UInt8(ascii: "\\"), buffer[position + 1] == UInt8(ascii: "u") else {
                        throw fail("lone high surrogate in \\u escape")
                    }
                    position += 2
                    let low = try parseHex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("invalid low surrogate in \\u escape") }
                    scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalarValue) {
                    throw fail("lone low surrogate in \\u escape")
                }
                guard let scalar = Unicode.Scalar(scalarValue) else { throw fail("invalid \\u escape") }
                bytes.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                throw fail("invalid escape '\\\(printable(escape))'")
            }
        }
        throw fail("unterminated string")
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard position + 4 <= buffer.count else { throw fail("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = buffer[position]
            let nibble: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail("invalid hex digit in \\u escape")
            }
            value = value << 4 | nibble
            position += 1
        }
        return value
    }

    private func printable(_ byte: UInt8) -> String {
        (0x20..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "0x" + String(byte, radix: 16)
    }
}
