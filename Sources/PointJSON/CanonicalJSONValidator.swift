/// Checks, without building any values, that bytes are exactly what ``CanonicalJSON`` writes:
/// no whitespace, object keys strictly increasing by UTF-8 bytes (so no duplicates), integers
/// without leading zeros or `-0`, only the escapes the writer uses, valid UTF-8.
///
/// Used to verify ledger records at full disk speed.
public struct CanonicalJSONValidator {
    private let buffer: UnsafeRawBufferPointer
    private var position = 0
    private let maxDepth: Int
    /// Whether the last string ``string()`` read held an escape (member names are then compared
    /// by their unescaped bytes).
    private var lastStringEscaped = false

    /// Returns `nil` when `buffer` is canonical JSON, otherwise the first problem.
    public static func validate(_ buffer: UnsafeRawBufferPointer, maxDepth: Int = 32) -> JSONParseError? {
        var validator = CanonicalJSONValidator(buffer: buffer, maxDepth: maxDepth)
        do {
            try validator.value(depth: 0)
            guard validator.position == buffer.count else {
                return JSONParseError(offset: validator.position, reason: "unexpected content after the end of the value")
            }
            return nil
        } catch {
            return error
        }
    }

    private init(buffer: UnsafeRawBufferPointer, maxDepth: Int) {
        self.buffer = buffer
        self.maxDepth = maxDepth
    }

    private func fail(_ reason: String) -> JSONParseError {
        JSONParseError(offset: position, reason: reason)
    }

    private mutating func value(depth: Int) throws(JSONParseError) {
        guard position < buffer.count else { throw fail("unexpected end; a value was expected") }
        switch buffer[position] {
        case UInt8(ascii: "{"):
            guard depth < maxDepth else { throw fail("nesting deeper than \(maxDepth) levels") }
            try object(depth: depth + 1)
        case UInt8(ascii: "["):
            guard depth < maxDepth else { throw fail("nesting deeper than \(maxDepth) levels") }
            try array(depth: depth + 1)
        case UInt8(ascii: "\""):
            _ = try string()
        case UInt8(ascii: "t"): try literal([0x74, 0x72, 0x75, 0x65])
        case UInt8(ascii: "f"): try literal([0x66, 0x61, 0x6C, 0x73, 0x65])
        case UInt8(ascii: "n"): try literal([0x6E, 0x75, 0x6C, 0x6C])
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try integer()
        default: throw fail("unexpected byte 0x\(String(buffer[position], radix: 16)); a value was expected")
        }
    }

    private mutating func literal(_ bytes: [UInt8]) throws(JSONParseError) {
        guard position + bytes.count <= buffer.count else { throw fail("truncated literal") }
        var index = 0
        while index < bytes.count {
            if buffer[position + index] != bytes[index] { throw fail("invalid literal") }
            index += 1
        }
        position += bytes.count
    }

    private mutating func object(depth: Int) throws(JSONParseError) {
        position += 1
        if position < buffer.count, buffer[position] == UInt8(ascii: "}") {
            position += 1
            return
        }
        var previousKey: Range<Int>?
        var previousKeyEscaped = false
        while true {
            guard position < buffer.count, buffer[position] == UInt8(ascii: "\"") else { throw fail("expected a quoted member name") }
            let keyStart = position
            let key = try string()
            if let previousKey {
                let previous = UnsafeRawBufferPointer(rebasing: buffer[previousKey])
                let current = UnsafeRawBufferPointer(rebasing: buffer[key])
                // The writer orders names by their UTF-8 bytes, not by their escaped form: with an
                // escape in either name, compare the unescaped bytes.
                let ordered = previousKeyEscaped || lastStringEscaped
                    ? Self.unescaped(previous).lexicographicallyPrecedes(Self.unescaped(current))
                    : Self.precedes(previous, current)
                guard ordered else {
                    throw JSONParseError(offset: keyStart, reason: "member names are not in strictly increasing order (duplicate or unsorted key)")
                }
            }
            previousKey = key
            previousKeyEscaped = lastStringEscaped
            guard position < buffer.count, buffer[position] == UInt8(ascii: ":") else { throw fail("expected ':' after a member name") }
            position += 1
            try value(depth: depth)
            guard position < buffer.count else { throw fail("unexpected end inside an object") }
            if buffer[position] == UInt8(ascii: ",") {
                position += 1
            } else if buffer[position] == UInt8(ascii: "}") {
                position += 1
                return
            } else {
                throw fail("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func array(depth: Int) throws(JSONParseError) {
        position += 1
        if position < buffer.count, buffer[position] == UInt8(ascii: "]") {
            position += 1
            return
        }
        while true {
            try value(depth: depth)
            guard position < buffer.count else { throw fail("unexpected end inside an array") }
            if buffer[position] == UInt8(ascii: ",") {
                position += 1
            } else if buffer[position] == UInt8(ascii: "]") {
                position += 1
                return
            } else {
                throw fail("expected ',' or ']' in an array")
            }
        }
    }

    private mutating func integer() throws(JSONParseError) {
        let start = position
        if buffer[position] == UInt8(ascii: "-") { position += 1 }
        let digitsStart = position
        var digits = 0
        while position < buffer.count, buffer[position] >= UInt8(ascii: "0"), buffer[position] <= UInt8(ascii: "9") {
            position += 1
            digits += 1
        }
        guard digits > 0 else { throw JSONParseError(offset: start, reason: "a digit was expected") }
        if buffer[digitsStart] == UInt8(ascii: "0") && (digits > 1 || digitsStart != start) {
            throw JSONParseError(offset: start, reason: "not canonical: leading zero or -0")
        }
        guard digits <= 19 else { throw JSONParseError(offset: start, reason: "integer out of the 64-bit range") }
        // 19 digits can exceed Int64 (up to 9999999999999999999): compare with the bound, as the
        // parser refuses what does not fit and a record must never validate but fail to decode.
        if digits == 19 {
            let bound = digitsStart == start ? Self.int64MaxDigits : Self.int64MinMagnitudeDigits
            let number = UnsafeRawBufferPointer(rebasing: buffer[digitsStart..<position])
            if bound.lexicographicallyPrecedes(number) {
                throw JSONParseError(offset: start, reason: "integer out of the 64-bit range")
            }
        }
        if position < buffer.count, buffer[position] == UInt8(ascii: ".") || buffer[position] == UInt8(ascii: "e") || buffer[position] == UInt8(ascii: "E") {
            throw JSONParseError(offset: start, reason: "only whole numbers are allowed")
        }
    }

    /// Validates a string and returns the range of its raw content (between the quotes).
    private mutating func string() throws(JSONParseError) -> Range<Int> {
        position += 1
        let start = position
        lastStringEscaped = false
        while position < buffer.count {
            // Fast path: printable ASCII other than '"' and '\'.
            if let base = buffer.baseAddress {
                position = PlainStringScan.end(of: UnsafeRawPointer(base), from: position, to: buffer.count)
                guard position < buffer.count else { break }
            }
            let byte = buffer[position]
            switch byte {
            case UInt8(ascii: "\""):
                let content = start..<position
                position += 1
                return content
            case UInt8(ascii: "\\"):
                lastStringEscaped = true
                guard position + 1 < buffer.count else { throw fail("truncated escape") }
                switch buffer[position + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "n"), UInt8(ascii: "r"),
                     UInt8(ascii: "t"), UInt8(ascii: "b"), UInt8(ascii: "f"):
                    position += 2
                case UInt8(ascii: "u"):
                    // The writer uses \u00XX only for control characters without a short escape.
                    guard position + 6 <= buffer.count, buffer[position + 2] == UInt8(ascii: "0"), buffer[position + 3] == UInt8(ascii: "0"),
                          let high = Self.lowerHex(buffer[position + 4]), let low = Self.lowerHex(buffer[position + 5]) else {
                        throw fail("not canonical: \\u escapes are only used for control characters, as \\u00xx")
                    }
                    let scalar = high << 4 | low
                    guard scalar < 0x20, ![0x08, 0x09, 0x0A, 0x0C, 0x0D].contains(scalar) else {
                        throw fail("not canonical: this character is written without a \\u escape")
                    }
                    position += 6
                default:
                    throw fail("not canonical: unexpected escape")
                }
            case 0x00..<0x20:
                throw fail("control character inside a string")
            case 0x20..<0x80:
                position += 1
            default:
                try utf8Sequence()
            }
        }
        throw fail("unterminated string")
    }

    /// Validates one multi-byte UTF-8 sequence (no overlongs, no surrogates, ≤ U+10FFFF).
    private mutating func utf8Sequence() throws(JSONParseError) {
        let lead = buffer[position]
        let length: Int
        var lowerBound: UInt8 = 0x80
        var upperBound: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lowerBound = 0xA0
        case 0xE1...0xEC, 0xEE, 0xEF: length = 3
        case 0xED: length = 3; upperBound = 0x9F
        case 0xF0: length = 4; lowerBound = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upperBound = 0x8F
        default: throw fail("invalid UTF-8")
        }
        guard position + length <= buffer.count else { throw fail("truncated UTF-8 sequence") }
        let second = buffer[position + 1]
        guard second >= lowerBound, second <= upperBound else { throw fail("invalid UTF-8") }
        for index in 2..<length where buffer[position + index] & 0xC0 != 0x80 { throw fail("invalid UTF-8") }
        position += length
    }

    /// Whether `left` sorts strictly before `right` by bytes.
    @inline(__always)
    private static func precedes(_ left: UnsafeRawBufferPointer, _ right: UnsafeRawBufferPointer) -> Bool {
        let common = min(left.count, right.count)
        var index = 0
        while index < common {
            let a = left[index], b = right[index]
            if a != b { return a < b }
            index += 1
        }
        return left.count < right.count
    }

    /// The bytes of a validated string's content with its escapes resolved (the escapes the
    /// writer uses: the short ones and \u00xx).
    private static func unescaped(_ raw: UnsafeRawBufferPointer) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(raw.count)
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < raw.count else {
                output.append(byte)
                index += 1
                continue
            }
            switch raw[index + 1] {
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "u"):
                // Validated: \u00xx with lowercase hex.
                output.append((lowerHex(raw[index + 4]) ?? 0) << 4 | (lowerHex(raw[index + 5]) ?? 0))
                index += 6
                continue
            default: output.append(raw[index + 1])  // \" and \\
            }
            index += 2
        }
        return output
    }

    private static let int64MaxDigits: [UInt8] = Array("9223372036854775807".utf8)
    private static let int64MinMagnitudeDigits: [UInt8] = Array("9223372036854775808".utf8)

    private static func lowerHex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
