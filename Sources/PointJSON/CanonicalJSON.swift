/// Canonical JSON serialisation: object keys sorted by their UTF-8 bytes, no insignificant
/// whitespace, integers only, UTF-8 output with the minimal escapes.
///
/// The output is byte-for-byte what Python produces with
/// `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` for ASCII keys,
/// so an auditor can re-derive it without this project's code.
public enum CanonicalJSON {
    /// Serialises `value` canonically into a new byte array.
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        append(value, to: &output)
        return output
    }

    /// Serialises `value` canonically into a `String`.
    public static func string(_ value: JSONValue) -> String {
        String(decoding: encode(value), as: UTF8.self)
    }

    /// Appends the canonical serialisation of `value` to `output`.
    public static func append(_ value: JSONValue, to output: inout [UInt8]) {
        switch value {
        case .null:
            output.append(contentsOf: nullBytes)
        case .bool(let flag):
            output.append(contentsOf: flag ? trueBytes : falseBytes)
        case .int(let number):
            appendInteger(number, to: &output)
        case .string(let text):
            appendString(text, to: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                append(element, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted(by: utf8Less)
            for (index, key) in keys.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                appendString(key, to: &output)
                output.append(UInt8(ascii: ":"))
                // The key came from the dictionary itself, so the lookup cannot fail.
                if let member = members[key] { append(member, to: &output) }
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Appends a decimal integer.
    public static func appendInteger(_ number: Int64, to output: inout [UInt8]) {
        if number == 0 {
            output.append(UInt8(ascii: "0"))
            return
        }
        var magnitude = number.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
        }
        if number < 0 { output.append(UInt8(ascii: "-")) }
        withUnsafeBytes(of: &digits) { buffer in
            var index = count - 1
            while index >= 0 {
                output.append(buffer[index])
                index -= 1
            }
        }
    }

    /// Appends a quoted, escaped JSON string.
    public static func appendString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        // Read in place (a native string's storage, a small one's bytes on the stack); only a
        // bridged string is copied.
        if text.utf8.withContiguousStorageIfAvailable({ appendEscaped($0, to: &output) }) == nil {
            var copy = text
            copy.withUTF8 { appendEscaped($0, to: &output) }
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        // Most strings need no escape: copy them whole.
        if !needsEscape(bytes) {
            output.append(contentsOf: bytes)
            return
        }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): output.append(UInt8(ascii: "\\")); output.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\")); output.append(UInt8(ascii: "\\"))
            case 0x0A: output.append(UInt8(ascii: "\\")); output.append(UInt8(ascii: "n"))
            case 0x0D: output.append(UInt8(ascii: "\\")); output.append(UInt8(ascii: "r"))
            case 0x09: output.append(UInt8(ascii: "\\")); output.append(UInt8(ascii: "t"))
            case 0x08: output.append(UInt8(ascii: "\\")); output.append(UInt8(ascii: "b"))
            case 0x0C: output.append(UInt8(ascii: "\\")); output.append(UInt8(ascii: "f"))
            case 0x00..<0x20:
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                output.append(hexDigit(byte >> 4))
                output.append(hexDigit(byte & 0x0F))
            default:
                output.append(byte)
            }
        }
    }

    /// Whether any byte is a control character (below 0x20), `"` or `\`: eight bytes at a time
    /// (``PlainStringScan``, which also stops at bytes of non-ASCII characters; those need no
    /// escape, so the scan goes on past them).
    static func needsEscape(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let raw = UnsafeRawPointer(base)
        var cursor = 0
        while cursor < bytes.count {
            cursor = PlainStringScan.end(of: raw, from: cursor, to: bytes.count)
            guard cursor < bytes.count else { return false }
            if bytes[cursor] < 0x80 { return true }
            cursor += 1
        }
        return false
    }

    /// Orders strings by their UTF-8 bytes (equal to code point order).
    @inlinable
    public static func utf8Less(_ left: String, _ right: String) -> Bool {
        left.utf8.lexicographicallyPrecedes(right.utf8)
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    private static let nullBytes: [UInt8] = Array("null".utf8)
    private static let trueBytes: [UInt8] = Array("true".utf8)
    private static let falseBytes: [UInt8] = Array("false".utf8)
}
