/// Byte classes from RFC 9110/9112 used by the parser and the response writer.
enum HTTPSyntax {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B

    /// tchar (RFC 9110 §5.6.2: `!#$%&'*+-.^_`|~`, digits and letters), the bytes allowed in a
    /// token (method, header name), as two bitmaps: bit `b` of the first for byte `b` below 64,
    /// of the second for byte `64 + b`. Constants, not a table: a static table is reached
    /// through a lazy-initialisation check on every byte.
    static let tokenBitsBelow64: UInt64 = 0x03FF_6CFA_0000_0000
    static let tokenBitsFrom64: UInt64 = 0x57FF_FFFF_C7FF_FFFE

    @inline(__always) static func isTokenByte(_ byte: UInt8) -> Bool {
        if byte < 64 { return tokenBitsBelow64 >> UInt64(byte) & 1 == 1 }
        if byte < 128 { return tokenBitsFrom64 >> UInt64(byte &- 64) & 1 == 1 }
        return false
    }

    /// field-vchar, SP or HTAB: what may appear inside a header value (obs-text included).
    @inline(__always) static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == tab || (byte >= 0x20 && byte != 0x7F)
    }

    /// A visible ASCII character, as allowed in a request target.
    @inline(__always) static func isTargetByte(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F
    }

    /// Optional whitespace (OWS) around values and list members.
    /// A byte of a `Host` value (RFC 9112 §3.2: uri-host [":" port]): unreserved, percent,
    /// sub-delims, ":" and the brackets of an IP literal.
    @inline(__always) static func isHostByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "%"), UInt8(ascii: "!"),
             UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"),
             UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "["),
             UInt8(ascii: "]"):
            return true
        default: return false
        }
    }

    @inline(__always) static func isSpaceOrTab(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    @inline(__always) static func lowercased(_ byte: UInt8) -> UInt8 {
        (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
    }

    /// The value of a hexadecimal digit, or nil.
    @inline(__always) static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }

    /// ASCII case-insensitive equality between bytes and a lowercase literal.
    static func equalsLowercase<C: Collection<UInt8>>(_ bytes: C, _ lowercaseLiteral: StaticString) -> Bool {
        guard bytes.count == lowercaseLiteral.utf8CodeUnitCount else { return false }
        return lowercaseLiteral.withUTF8Buffer { literal in
            zip(bytes, literal).allSatisfy { lowercased($0) == $1 }
        }
    }
}
