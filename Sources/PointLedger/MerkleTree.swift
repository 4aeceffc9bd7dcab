import PointCollections
import PointCrypto

/// An RFC 6962 Merkle tree over a growing list of leaf hashes, keeping the hash of every
/// complete, aligned subtree (level *k* holds the roots of the subtrees of 2^k leaves).
///
/// Appending is amortised O(1) hashes; the root of any prefix size and the hash of any range
/// are O(log n); inclusion and consistency proofs are O(log² n) lookups. The tree may hold
/// more leaves than a caller serves: every answer for size *n* uses only leaves `0..<n`, so
/// hashes of leaves that are not durable yet never leak into a durable answer. Memory is about
/// two digests per leaf.
public struct MerkleTree: Sendable {
    /// `levels[0]` are the leaf hashes; `levels[k][i]` is the root of leaves `i·2^k ..< (i+1)·2^k`.
    /// Chunked, so growing never copies the hashes already held (it runs under the ledger's lock).
    private var levels: [ChunkedArray<SHA256Digest>] = [ChunkedArray()]

    /// An empty tree.
    public init() {}

    /// A tree of `leaves`, in order.
    public init<Leaves: Sequence>(leaves: Leaves) where Leaves.Element == SHA256Digest {
        for leaf in leaves { append(leaf) }
    }

    /// Number of leaves.
    public var size: UInt64 { UInt64(levels[0].count) }

    /// The leaf hashes, index = leaf index.
    public var leaves: ChunkedArray<SHA256Digest> { levels[0] }

    /// Appends a leaf hash, completing whatever subtrees it closes.
    public mutating func append(_ leafHash: SHA256Digest) {
        levels[0].append(leafHash)
        var level = 0
        while levels[level].count % 2 == 0 {
            let count = levels[level].count
            let parent = MerkleHashing.nodeHash(levels[level][count - 2], levels[level][count - 1])
            if levels.count == level + 1 { levels.append(ChunkedArray()) }
            levels[level + 1].append(parent)
            level += 1
        }
    }

    /// The hash of leaf `index`; `nil` when there is no such leaf.
    public func leafHash(at index: UInt64) -> SHA256Digest? {
        index < size ? levels[0][Int(index)] : nil
    }

    /// The root of the tree of the first `size` leaves (RFC 9162 MTH); `nil` when `size` exceeds
    /// the leaves held.
    public func root(size: UInt64) -> SHA256Digest? {
        guard size <= self.size else { return nil }
        return size == 0 ? MerkleHashing.emptyRoot : rangeHash(start: 0, count: size)
    }

    /// The inclusion proof (RFC 9162 §2.1.3.1 PATH) of leaf `index` in the tree of size `size`,
    /// from the leaf's sibling up; `nil` unless `index < size ≤ self.size`.
    public func inclusionProof(index: UInt64, size: UInt64) -> [SHA256Digest]? {
        guard index < size, size <= self.size else { return nil }
        var proof: [SHA256Digest] = []
        path(index: index, start: 0, count: size, into: &proof)
        return proof
    }

    /// The consistency proof (RFC 9162 §2.1.4.1 PROOF) between the trees of sizes `from` and `to`;
    /// empty when `from` is 0 or equals `to`; `nil` unless `from ≤ to ≤ self.size`.
    public func consistencyProof(from: UInt64, to: UInt64) -> [SHA256Digest]? {
        guard from <= to, to <= size else { return nil }
        var proof: [SHA256Digest] = []
        if from > 0 && from < to { subproof(first: from, start: 0, count: to, complete: true, into: &proof) }
        return proof
    }

    /// MTH of leaves `start ..< start + count` (`count` ≥ 1, within the tree).
    func rangeHash(start: UInt64, count: UInt64) -> SHA256Digest {
        if count & (count - 1) == 0 {
            let level = count.trailingZeroBitCount
            if start % count == 0 && level < levels.count {
                let index = Int(start >> UInt64(level))
                if index < levels[level].count { return levels[level][index] }
            }
            if count == 1 { return levels[0][Int(start)] }
        }
        let split = MerkleHashing.splitPoint(count)
        return MerkleHashing.nodeHash(rangeHash(start: start, count: split), rangeHash(start: start + split, count: count - split))
    }

    private func path(index: UInt64, start: UInt64, count: UInt64, into proof: inout [SHA256Digest]) {
        guard count > 1 else { return }
        let split = MerkleHashing.splitPoint(count)
        if index < split {
            path(index: index, start: start, count: split, into: &proof)
            proof.append(rangeHash(start: start + split, count: count - split))
        } else {
            path(index: index - split, start: start + split, count: count - split, into: &proof)
            proof.append(rangeHash(start: start, count: split))
        }
    }

    private func subproof(first: UInt64, start: UInt64, count: UInt64, complete: Bool, into proof: inout [SHA256Digest]) {
        if first == count {
            if !complete { proof.append(rangeHash(start: start, count: count)) }
            return
        }
        let split = MerkleHashing.splitPoint(count)
        if first <= split {
            subproof(first: first, start: start, count: split, complete: complete, into: &proof)
            proof.append(rangeHash(start: start + split, count: count - split))
        } else {
            subproof(first: first - split, start: start + split, count: count - split, complete: false, into: &proof)
            proof.append(rangeHash(start: start, count: split))
        }
    }
}
