import PointCrypto

/// Merkle roots and proofs over the durable records, for auditors and receipts. Every call is
/// O(log² n) work in memory under the Merkle tree's own lock (no I/O, and appends never wait
/// for it), so it is safe on any thread.
/// Sizes beyond ``Ledger/durableSeq`` are refused with ``LedgerError/beyondDurableSize(requested:durable:)``.
extension Ledger {
    /// The RFC 6962 root of records `1…size`.
    public func root(size: UInt64) throws(LedgerError) -> SHA256Digest {
        let result: Result<SHA256Digest, LedgerError> = withMerkleTree { tree, durable in
            guard size <= durable, let root = tree.root(size: size) else { return .failure(.beyondDurableSize(requested: size, durable: durable)) }
            return .success(root)
        }
        return try result.get()
    }

    /// The leaf hash `SHA-256(0x00 ‖ line)` of durable record `seq`.
    public func leafHash(seq: UInt64) throws(LedgerError) -> SHA256Digest {
        let result: Result<SHA256Digest, LedgerError> = withMerkleTree { tree, durable in
            guard seq >= 1 else { return .failure(.invalidProofRequest("seq must be at least 1")) }
            guard seq <= durable, let leaf = tree.leafHash(at: seq - 1) else { return .failure(.beyondDurableSize(requested: seq, durable: durable)) }
            return .success(leaf)
        }
        return try result.get()
    }

    /// The inclusion proof of record `seq` (leaf index `seq − 1`) in the tree of size `treeSize`.
    public func inclusionProof(seq: UInt64, treeSize: UInt64) throws(LedgerError) -> [SHA256Digest] {
        let result: Result<[SHA256Digest], LedgerError> = withMerkleTree { tree, durable in
            guard seq >= 1 else { return .failure(.invalidProofRequest("seq must be at least 1")) }
            guard seq <= treeSize else { return .failure(.invalidProofRequest("record \(seq) is not in the tree of size \(treeSize)")) }
            guard treeSize <= durable, let proof = tree.inclusionProof(index: seq - 1, size: treeSize) else {
                return .failure(.beyondDurableSize(requested: treeSize, durable: durable))
            }
            return .success(proof)
        }
        return try result.get()
    }

    /// The consistency proof from the tree of size `from` to the tree of size `to` (`from ≤ to`).
    public func consistencyProof(from: UInt64, to: UInt64) throws(LedgerError) -> [SHA256Digest] {
        let result: Result<[SHA256Digest], LedgerError> = withMerkleTree { tree, durable in
            guard from <= to else { return .failure(.invalidProofRequest("the first tree size \(from) is larger than the second \(to)")) }
            guard to <= durable, let proof = tree.consistencyProof(from: from, to: to) else {
                return .failure(.beyondDurableSize(requested: to, durable: durable))
            }
            return .success(proof)
        }
        return try result.get()
    }
}
