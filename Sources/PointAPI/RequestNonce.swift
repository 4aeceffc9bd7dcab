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

    /// Longest text examined; anything longer is malformed without further work.
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
        case .uuidVersion1, .uuidVersion4: text.lowercased()
        case .unixSeconds, .unixMilliseconds: text
        }
    }

    /// Parses `text`; nil when it is none of the accepted forms.
    public init?(_ text: String) {
        let bytes = Array(text.utf8.prefix(RequestNonce.maxLength + 1))
        if bytes.count == 36, let (kind, time) = RequestNonce.parseUUID(bytes) {
            self.text = text
            self.kind = kind
            self.unixMilliseconds = time
            return
        }
        guard bytes.count == 10 || bytes.count == 13, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        var value: Int64 = 0
        for digit in bytes { value = value * 10 + Int64(digit - 0x30) }
        self.text = text
        if bytes.count == 10 {
            kind = .unixSeconds
            unixMilliseconds = value * 1000
        } else {
            kind = .unixMilliseconds
            unixMilliseconds = value
        }
    }

    /// 100-ns intervals between the UUID epoch (1582-10-15) and the Unix epoch.
    private static let uuidEpochOffset: Int64 = 0x01B2_1DD2_1381_4000

    private static func parseUUID(_ bytes: [UInt8]) -> (Kind, Int64?)? {
        var sawLower = false
        var sawUpper = false
        var nibbles: [UInt8] = []
        nibbles.reserveCapacity(32)
        for (index, byte) in bytes.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibbles.append(byte - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibbles.append(byte - 0x61 + 10); sawLower = true
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibbles.append(byte - 0x41 + 10); sawUpper = true
            default: return nil
            }
        }
        guard !(sawLower && sawUpper), nibbles.count == 32 else { return nil }
        // nibbles[12] is the version, nibbles[16] carries the variant (10xx).
        guard nibbles[16] & 0b1100 == 0b1000 else { return nil }
        switch nibbles[12] {
        case 4:
            return (.uuidVersion4, nil)
        case 1:
            // time_low (0..<8), time_mid (8..<12), time_hi (13..<16) → 60-bit timestamp.
            var timestamp: Int64 = 0
            for index in 13..<16 { timestamp = timestamp << 4 | Int64(nibbles[index]) }
            for index in 8..<12 { timestamp = timestamp << 4 | Int64(nibbles[index]) }
            for index in 0..<8 { timestamp = timestamp << 4 | Int64(nibbles[index]) }
            return (.uuidVersion1, (timestamp - uuidEpochOffset) / 10_000)
        default:
            return nil
        }
    }
}
