/// 32-bit fingerprints of the domain's keys for ``FingerprintIndex``: FNV-1a over the bytes,
/// finished with a 64-bit mix so linear probing sees well-spread positions. Seeded with a random
/// value per process: the index tables are shared by all merchants, so a merchant able to compute
/// positions offline could choose keys that pile up in one run of slots and slow everyone's
/// lookups. Fingerprints live only in memory (the tables are rebuilt from the ledger at start).
enum KeyFingerprint {
    /// This process's seed.
    private static let seed = UInt64.random(in: .min ... .max)

    /// A merchant-scoped string key (an order ID, a member ID, a LINE user ID).
    @inline(__always)
    static func of(merchant: UInt32, _ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed ^ UInt64(merchant)
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
        let packed = (UInt64(first) << 32 | UInt64(second)) ^ seed
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
