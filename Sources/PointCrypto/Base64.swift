/// Base64 (RFC 4648 §4, padded) and Base64url (§5, unpadded, as JWT uses it), strict on input.
public enum Base64 {
    private static let standardAlphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlAlphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Padded standard Base64 of `bytes`.
    public static func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        encode(Array(bytes), alphabet: standardAlphabet, pad: true)
    }

    /// Unpadded Base64url of `bytes`.
    public static func encodeURL<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        encode(Array(bytes), alphabet: urlAlphabet, pad: false)
    }

    /// Decodes padded standard Base64; `nil` on any character outside the alphabet, bad padding or
    /// non-zero trailing bits.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var text = String(text)
        return text.withUTF8 { utf8 in
            guard utf8.count % 4 == 0 else { return nil }
            var end = utf8.count
            while utf8.count - end < 2, end > 0, utf8[end - 1] == UInt8(ascii: "=") { end -= 1 }
            return decode(UnsafeBufferPointer(rebasing: utf8[..<end]), table: standardTable)
        }
    }

    /// Decodes unpadded Base64url; `nil` on any character outside the alphabet, padding, or
    /// non-zero trailing bits.
    public static func decodeURL(_ text: some StringProtocol) -> [UInt8]? {
        var text = String(text)
        return text.withUTF8 { decode($0, table: urlTable) }
    }

    private static func encode(_ bytes: [UInt8], alphabet: [UInt8], pad: Bool) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            output.append(alphabet[Int(value >> 18 & 63)])
            output.append(alphabet[Int(value >> 12 & 63)])
            output.append(alphabet[Int(value >> 6 & 63)])
            output.append(alphabet[Int(value & 63)])
            index += 3
        }
        let remaining = bytes.count - index
        if remaining == 1 {
            let value = UInt32(bytes[index]) << 16
            output.append(alphabet[Int(value >> 18 & 63)])
            output.append(alphabet[Int(value >> 12 & 63)])
            if pad { output.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "=")]) }
        } else if remaining == 2 {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            output.append(alphabet[Int(value >> 18 & 63)])
            output.append(alphabet[Int(value >> 12 & 63)])
            output.append(alphabet[Int(value >> 6 & 63)])
            if pad { output.append(UInt8(ascii: "=")) }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Each byte's 6-bit value in an alphabet, 0xFF for bytes outside it.
    private static func decodingTable(_ alphabet: [UInt8]) -> [UInt8] {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        return table
    }

    private static let standardTable = decodingTable(standardAlphabet)
    private static let urlTable = decodingTable(urlAlphabet)

    private static func decode(_ characters: UnsafeBufferPointer<UInt8>, table: [UInt8]) -> [UInt8]? {
        var failed = false
        let output = [UInt8](unsafeUninitializedCapacity: characters.count * 3 / 4) { buffer, initialized in
            guard let written = decode(characters, table: table, into: UnsafeMutableRawBufferPointer(buffer)) else {
                failed = true
                return
            }
            initialized = written
        }
        return failed ? nil : output
    }

    /// The padded standard Base64 of exactly 32 bytes (44 characters) decoded straight into a
    /// digest; nil for anything else, as ``decode(_:)`` would refuse it or give another length.
    static func decodeDigest(_ utf8: UnsafeBufferPointer<UInt8>) -> SHA256Digest? {
        guard utf8.count == 44 else { return nil }
        var end = utf8.count
        while utf8.count - end < 2, end > 0, utf8[end - 1] == UInt8(ascii: "=") { end -= 1 }
        var digest = SHA256Digest.zero
        let written = digest.withUnsafeMutableBytes { decode(UnsafeBufferPointer(rebasing: utf8[..<end]), table: standardTable, into: $0) }
        return written == 32 ? digest : nil
    }

    /// Decodes into `output`; the bytes written, or nil on a character outside the alphabet,
    /// non-zero trailing bits, an impossible length or more bytes than `output` holds.
    private static func decode(_ characters: UnsafeBufferPointer<UInt8>, table: [UInt8], into output: UnsafeMutableRawBufferPointer) -> Int? {
        guard characters.count % 4 != 1, characters.count * 3 / 4 <= output.count else { return nil }
        var written = 0
        var accumulator: UInt32 = 0
        var bits = 0
        for character in characters {
            let value = table[Int(character)]
            guard value != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output[written] = UInt8(truncatingIfNeeded: accumulator >> UInt32(bits))
                written += 1
            }
        }
        // Leftover bits must be zero (canonical encoding).
        guard accumulator & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return written
    }
}
