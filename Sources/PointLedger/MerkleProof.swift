import PointCrypto

/// Verification of RFC 9162 inclusion and consistency proofs, exactly as §2.1.3.2 and §2.1.4.2
/// describe them. Everything an auditor receives is checked; nothing is trusted.
public enum MerkleProof {
    /// The root that `proof` implies for leaf `index` with hash `leafHash` in a tree of `size`
    /// leaves (RFC 9162 §2.1.3.2); `nil` when the proof has the wrong length for that position.
    public static func rootFromInclusionProof(leafHash: SHA256Digest, index: UInt64, size: UInt64, proof: [SHA256Digest]) -> SHA256Digest? {
        guard index < size else { return nil }
        var fn = index
        var sn = size - 1
        var root = leafHash
        for sibling in proof {
            guard sn != 0 else { return nil }
            if fn & 1 == 1 || fn == sn {
                root = MerkleHashing.nodeHash(sibling, root)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                root = MerkleHashing.nodeHash(root, sibling)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? root : nil
    }

    /// True when `proof` shows that leaf `index` with hash `leafHash` is in the tree of `size`
    /// leaves whose root is `root`.
    public static func verifyInclusion(leafHash: SHA256Digest, index: UInt64, size: UInt64, proof: [SHA256Digest], root: SHA256Digest) -> Bool {
        rootFromInclusionProof(leafHash: leafHash, index: index, size: size, proof: proof) == root
    }

    /// True when `proof` shows that the tree of `firstSize` leaves with root `firstRoot` is a
    /// prefix of the tree of `secondSize` leaves with root `secondRoot` (RFC 9162 §2.1.4.2).
    ///
    /// Equal sizes need an empty proof and equal roots; size 0 is a prefix of every tree and
    /// needs an empty proof.
    public static func verifyConsistency(
        firstSize: UInt64, secondSize: UInt64, firstRoot: SHA256Digest, secondRoot: SHA256Digest, proof: [SHA256Digest]
    ) -> Bool {
        guard firstSize <= secondSize else { return false }
        // Every tree extends the empty one, whose root is the hash of nothing (RFC 9162 §2.1.1).
        if firstSize == 0 {
            return proof.isEmpty && firstRoot == MerkleHashing.emptyRoot && (secondSize > 0 || secondRoot == MerkleHashing.emptyRoot)
        }
        if firstSize == secondSize { return proof.isEmpty && firstRoot == secondRoot }
        guard !proof.isEmpty else { return false }
        var path = proof[...]
        if firstSize & (firstSize - 1) == 0 { path = ([firstRoot] + proof)[...] }
        var fn = firstSize - 1
        var sn = secondSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        guard let seed = path.first else { return false }
        var firstHash = seed
        var secondHash = seed
        for node in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                firstHash = MerkleHashing.nodeHash(node, firstHash)
                secondHash = MerkleHashing.nodeHash(node, secondHash)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                secondHash = MerkleHashing.nodeHash(secondHash, node)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && firstHash == firstRoot && secondHash == secondRoot
    }
}
