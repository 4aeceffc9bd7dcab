import Foundation
import PointCrypto

/// RFC 6962 / RFC 9162 §2.1.1 hashing: leaves and interior nodes are hashed with distinct
/// one-byte prefixes so a leaf can never be passed off as a node.
public enum MerkleHashing {
    /// `SHA-256(0x00 ‖ data)`: the hash of a leaf whose content is `data` (a ledger line without its `\n`).
    public static func leafHash<Bytes: ContiguousBytes>(_ data: Bytes) -> SHA256Digest {
        data.withUnsafeBytes { SHA256.hash(prefix: 0x00, $0) }
    }

    /// `SHA-256(0x01 ‖ left ‖ right)`: the hash of an interior node.
    public static func nodeHash(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest {
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 1) { buffer in
            left.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[0..<32]).copyMemory(from: $0) }
            right.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[32..<64]).copyMemory(from: $0) }
            return SHA256.hash(prefix: 0x01, UnsafeRawBufferPointer(buffer))
        }
    }

    /// The root of the empty tree: `SHA-256("")`.
    public static let emptyRoot: SHA256Digest = SHA256.hash([UInt8]())

    /// The largest power of two strictly smaller than `n` (the RFC 6962 split point); `n` ≥ 2.
    static func splitPoint(_ n: UInt64) -> UInt64 {
        UInt64(1) << (63 - (n - 1).leadingZeroBitCount)
    }
}
