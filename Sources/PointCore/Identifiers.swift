/// Syntax of the identifiers the domain accepts. Every rule is an explicit limit so a stored
/// identifier is always small, printable and safe to log.
public enum Identifiers {
    /// Longest merchant-chosen identifier (orderId, memberId, revocationId, case references).
    public static let maxExternalIDLength = 64

    /// Merchant-chosen IDs: 1–64 characters of `A–Z a–z 0–9 - _ . : / #`.
    public static func isValidExternalID(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { bytes in
            guard !bytes.isEmpty, bytes.count <= maxExternalIDLength else { return false }
            for byte in bytes where !isExternalIDByte(byte) { return false }
            return true
        }
    }

    /// Whether `byte` may appear in an external ID: one bit per ASCII byte, `# - . / 0–9 :` in
    /// the lower 64 and `A–Z _ a–z` in the upper (checked against the rule by a test).
    @inline(__always)
    static func isExternalIDByte(_ byte: UInt8) -> Bool {
        let lower: UInt64 = 0x07FF_E008_0000_0000
        let upper: UInt64 = 0x07FF_FFFE_87FF_FFFE
        if byte < 64 { return lower >> UInt64(byte) & 1 == 1 }
        if byte < 128 { return upper >> UInt64(byte - 64) & 1 == 1 }
        return false
    }

    /// The rule of ``isValidExternalID(_:)`` in words, for error messages.
    public static let externalIDRule = "1–64 characters of letters, digits and - _ . : / #"

    /// A LINE user ID: `U` followed by 32 lowercase hexadecimal digits.
    public static func isValidLineUserID(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard utf8.count == 33, utf8.first == UInt8(ascii: "U") else { return false }
        return utf8.dropFirst().allSatisfy { isLowerHex($0) }
    }

    /// A LINE channel ID: exactly 10 decimal digits.
    public static func isValidChannelID(_ value: String) -> Bool {
        value.utf8.count == 10 && value.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// A LINE Official Account basic ID: `@` and 1–20 of `a–z 0–9 . _ -`.
    public static func isValidOfficialAccountID(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard utf8.count >= 2, utf8.count <= 21, utf8.first == UInt8(ascii: "@") else { return false }
        return utf8.dropFirst().allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }

    /// Free text (names, titles, notes): 1…`maxLength` characters, no control characters — C0
    /// but `\n`, DEL, C1 — no line or paragraph separator (U+2028, U+2029: line breaks to some
    /// readers of JSON lines) and no bidirectional formatting characters (they can make a name
    /// read as something else).
    public static func isValidText(_ value: String, maxLength: Int) -> Bool {
        textProblem(value, maxLength: maxLength) == nil
    }

    /// What makes `value` unfit as free text (see ``isValidText(_:maxLength:)``), naming the first
    /// character at fault; nil when it is fine.
    public static func textProblem(_ value: String, maxLength: Int) -> String? {
        if value.isEmpty { return "it is empty" }
        let count = value.count
        if count > maxLength { return "it has \(count) characters" }
        for (position, scalar) in value.unicodeScalars.enumerated() {
            let kind: String
            switch scalar.value {
            case 0x0A: continue
            case 0x00..<0x20, 0x7F...0x9F: kind = "a control character"
            case 0x2028, 0x2029: kind = "a line or paragraph separator"
            case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: kind = "a bidirectional formatting character"
            default: continue
            }
            return "it holds U+\(String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)), \(kind), at position \(position + 1)"
        }
        return nil
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
