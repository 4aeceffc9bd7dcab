/// 32-bit fingerprints of the domain's keys for ``FingerprintIndex``: FNV-1a over the bytes,
/// finished with a 64-bit mix so linear probing sees well-spread positions. Not a secret hash:
/// keys come from authenticated merchants, and a flood of colliding keys would only lengthen
/// one merchant's own probe runs.
enum KeyFingerprint {
    /// A merchant-scoped string key (an order ID, a member ID, a LINE user ID).
    @inline(__always)
    static func of(merchant: UInt32, _ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(merchant)
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return finish(hash)
    }

    /// A merchant-scoped string key.
    @inline(__always)
    static func of(merchant: UInt32, _ text: String) -> UInt32 {
        var text = text
        return text.withUTF8 { of(merchant: merchant, $0) }
    }

    /// A key of three integers.
    @inline(__always)
    static func of(_ first: UInt32, _ second: UInt32, _ third: Int32) -> UInt32 {
        let packed = UInt64(first) << 32 | UInt64(second)
        return finish(packed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(UInt32(bitPattern: third)) &* 0xC2B2_AE3D_27D4_EB4F)
    }

    @inline(__always)
    private static func finish(_ value: UInt64) -> UInt32 {
        var hash = value
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        return UInt32(truncatingIfNeeded: hash)
    }
}
