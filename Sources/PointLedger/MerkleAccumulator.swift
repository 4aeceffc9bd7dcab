import PointCrypto

/// The compact range of a growing tree: the roots of its complete subtrees, largest first —
/// one per set bit of the size, so O(log n) memory. Appending costs O(log n) hashes at worst
/// (amortised O(1)) and the root of the current size O(log n). Used to compute the root while
/// streaming a ledger of any length.
public struct MerkleAccumulator: Sendable, Equatable {
    /// Roots of the complete subtrees, left to right (largest first).
    public private(set) var subtreeRoots: [SHA256Digest] = []
    /// Leaves appended so far.
    public private(set) var size: UInt64 = 0

    /// An empty accumulator.
    public init() {}

    /// Adds the next leaf hash.
    public mutating func append(_ leafHash: SHA256Digest) {
        var node = leafHash
        var bits = size
        while bits & 1 == 1, let left = subtreeRoots.popLast() {
            node = MerkleHashing.nodeHash(left, node)
            bits >>= 1
        }
        subtreeRoots.append(node)
        size += 1
    }

    /// The RFC 6962 root of the leaves appended so far (`SHA-256("")` when none).
    public var root: SHA256Digest {
        guard var root = subtreeRoots.last else { return MerkleHashing.emptyRoot }
        for left in subtreeRoots.dropLast().reversed() { root = MerkleHashing.nodeHash(left, root) }
        return root
    }
}
