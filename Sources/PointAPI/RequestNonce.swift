/// A syntactically valid `X-LINE-Authorization-Nonce`.
///
/// Accepted forms, nothing else:
/// - a UUID version 1 or 4 in canonical 8-4-4-4-12 form, all lowercase or all uppercase hex,
///   with the RFC 4122 variant;
/// - a Unix timestamp: exactly 10 decimal digits (seconds) or 13 (milliseconds).
///
/// UUID v1 and timestamps carry a time and are checked against the freshness window; UUID v4
/// relies on the replay cache alone.
public struct RequestNonce: Sendable, Hashable {
    /// Which form the nonce takes.
    public enum Kind: Sendable, Hashable {
        case uuidVersion1
        case uuidVersion4
        case unixSeconds
        case unixMilliseconds
    }

    /// Longest nonce accepted: a UUID's 36 characters (anything longer is malformed).
    public static let maxLength = 36

    /// The nonce as sent.
    public let text: String
    /// Its form.
    public let kind: Kind
    /// The time it carries, in Unix milliseconds (nil for UUID v4).
    public let unixMilliseconds: Int64?

    /// The form remembered against replays: a UUID in lowercase, since the same UUID written
    /// in either case is one nonce.
    public var replayKey: String {
        switch kind {
        case .uuidVersion1, .uuidVersion4: isUppercaseUUID ? text.lowercased() : text
        case .unixSeconds, .unixMilliseconds: text
        }
    }

    /// A UUID written in uppercase hex (the two cases are never mixed).
    private let isUppercaseUUID: Bool

    /// Parses `text`; nil when it is none of the accepted forms.
    public init?(_ text: String) {
        var utf8Text = text
        let parsed: (kind: Kind, time: Int64?, uppercase: Bool)? = utf8Text.withUTF8 { bytes in
            if bytes.count == 36 { return RequestNonce.parseUUID(bytes) }
            guard bytes.count == 10 || bytes.count == 13, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            var value: Int64 = 0
            for digit in bytes { value = value * 10 + Int64(digit - 0x30) }
            return bytes.count == 10 ? (.unixSeconds, value * 1000, false) : (.unixMilliseconds, value, false)
        }
        guard let parsed else { return nil }
        self.text = text
        self.kind = parsed.kind
        self.unixMilliseconds = parsed.time
        self.isUppercaseUUID = parsed.uppercase
    }

    /// 100-ns intervals between the UUID epoch (1582-10-15) and the Unix epoch.
    private static let uuidEpochOffset: Int64 = 0x01B2_1DD2_1381_4000

    private static func parseUUID(_ bytes: UnsafeBufferPointer<UInt8>) -> (kind: Kind, time: Int64?, uppercase: Bool)? {
        var sawLower = false
        var sawUpper = false
        // The 32 hex digits as two 64-bit words, most significant first.
        var high: UInt64 = 0
        var low: UInt64 = 0
        var digits = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - 0x30
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - 0x61 + 10; sawLower = true
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - 0x41 + 10; sawUpper = true
            default: return nil
            }
            if digits < 16 { high = high << 4 | UInt64(nibble) } else { low = low << 4 | UInt64(nibble) }
            digits += 1
        }
        guard !(sawLower && sawUpper), digits == 32 else { return nil }
        // Digit 12 is the version, digit 16 carries the variant (10xx).
        guard (low >> 60) & 0b1100 == 0b1000 else { return nil }
        switch (high >> 12) & 0xF {
        case 4:
            return (.uuidVersion4, nil, sawUpper)
        case 1:
            // time_hi (digits 13..<16), time_mid (8..<12), time_low (0..<8) → 60-bit timestamp.
            let timestamp = Int64((high & 0xFFF) << 48 | (high >> 16 & 0xFFFF) << 32 | high >> 32)
            return (.uuidVersion1, (timestamp - uuidEpochOffset) / 10_000, sawUpper)
        default:
            return nil
        }
    }
}
