import COpenSSL

/// Comparisons whose running time does not depend on where the inputs differ.
public enum ConstantTime {
    /// True when two digests are equal, compared in constant time.
    public static func equals(_ left: SHA256Digest, _ right: SHA256Digest) -> Bool {
        left.withUnsafeBytes { leftRaw in
            right.withUnsafeBytes { rightRaw in CRYPTO_memcmp(leftRaw.baseAddress, rightRaw.baseAddress, 32) == 0 }
        }
    }

    /// True when `left` and `right` are equal. Lengths are compared openly (they are not secret).
    public static func equals<Left: Collection, Right: Collection>(_ left: Left, _ right: Right) -> Bool
    where Left.Element == UInt8, Right.Element == UInt8 {
        let leftBytes = Array(left)
        let rightBytes = Array(right)
        guard leftBytes.count == rightBytes.count else { return false }
        if leftBytes.isEmpty { return true }
        return leftBytes.withUnsafeBytes { leftRaw in
            rightBytes.withUnsafeBytes { rightRaw in
                CRYPTO_memcmp(leftRaw.baseAddress, rightRaw.baseAddress, leftRaw.count) == 0
            }
        }
    }
}

/// Cryptographically secure random bytes from OpenSSL's DRBG.
public enum SecureRandom {
    /// `count` random bytes.
    public static func bytes(_ count: Int) throws(CryptoError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return output }
        let status = output.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
        guard status == 1 else { throw CryptoError.openSSL("RAND_bytes") }
        return output
    }
}
