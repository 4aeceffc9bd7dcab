/// Finds where the plain part of a JSON string's characters ends: the first byte that is a
/// control character (below 0x20), not ASCII (0x80 and above), a quote or a backslash. Strings
/// in ledger records are mostly short runs of printable ASCII, so the scan reads eight bytes at
/// a time and only looks at single bytes near the end of the run.
public enum PlainStringScan {
    /// The offset of the first byte from `start` (up to `end`) that is not printable ASCII other
    /// than `"` and `\`; `end` when there is none.
    @inline(__always)
    public static func end(of base: UnsafeRawPointer, from start: Int, to end: Int) -> Int {
        var cursor = start
        while cursor &+ 8 <= end {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: cursor, as: UInt64.self))
            if containsSpecialByte(word) { break }
            cursor &+= 8
        }
        while cursor < end {
            let byte = base.load(fromByteOffset: cursor, as: UInt8.self)
            guard byte >= 0x20, byte < 0x80, byte != 0x22, byte != 0x5C else { return cursor }
            cursor &+= 1
        }
        return end
    }

    /// Whether any of the eight bytes is below 0x20, at or above 0x80, `"` or `\`. The
    /// classic has-zero-byte / has-byte-less-than tests answer "is there one" exactly (a borrow
    /// only reaches higher bytes after a lower byte already matched); `~word` stands in for the
    /// complement of each XORed word because, once no byte has its high bit set, all of them
    /// have the same high bits (none).
    @inline(__always)
    static func containsSpecialByte(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let below20 = word &- ones &* 0x20
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let zeroQuote = quote &- ones
        let zeroBackslash = backslash &- ones
        return ((below20 | zeroQuote | zeroBackslash) & ~word & highs) | (word & highs) != 0
    }
}
