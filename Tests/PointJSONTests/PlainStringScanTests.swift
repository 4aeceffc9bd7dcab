import PointJSON
import Testing

@Suite("Plain string scan")
struct PlainStringScanTests {
    /// The byte-at-a-time rule the word-at-a-time scan must agree with.
    static func reference(_ bytes: [UInt8], from start: Int) -> Int {
        var cursor = start
        while cursor < bytes.count {
            let byte = bytes[cursor]
            if byte < 0x20 || byte >= 0x80 || byte == 0x22 || byte == 0x5C { return cursor }
            cursor += 1
        }
        return bytes.count
    }

    static func scan(_ bytes: [UInt8], from start: Int) -> Int {
        bytes.withUnsafeBytes { raw in PlainStringScan.end(of: raw.baseAddress!, from: start, to: raw.count) }
    }

    @Test("Every byte value, at every position of a word, stops the scan exactly when it should")
    func everyByteEverywhere() {
        for value in 0...255 {
            for position in 0..<19 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 19)
                bytes[position] = UInt8(value)
                for start in [0, 1, 3, 8] where start <= position + 1 {
                    #expect(Self.scan(bytes, from: start) == Self.reference(bytes, from: start), "byte \(value) at \(position), from \(start)")
                }
            }
        }
    }

    @Test("Random buffers agree with the byte-at-a-time rule", arguments: [1, 2, 3] as [UInt64])
    func randomBuffers(seed: UInt64) {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var value = state
            value = (value ^ (value >> 30)) &* 0xbf58_476d_1ce4_e5b9
            value = (value ^ (value >> 27)) &* 0x94d0_49bb_1331_11eb
            return value ^ (value >> 31)
        }
        for _ in 0..<3_000 {
            let count = Int(next() % 40)
            // Mostly printable ASCII, sometimes a byte the scan must stop at (or one next to it: 0x1F/0x20, 0x21/0x23, 0x5B/0x5D, 0x7F/0x80).
            let bytes = (0..<count).map { _ -> UInt8 in
                let roll = next() % 20
                if roll == 0 { return [0x00, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xFF][Int(next() % 12)] }
                return UInt8(0x20 + next() % 0x5F)
            }
            let start = count == 0 ? 0 : Int(next() % UInt64(count))
            #expect(Self.scan(bytes, from: start) == Self.reference(bytes, from: start))
        }
    }
}
