import Foundation
import PointCrypto
import Testing
@testable import PointLedger

/// The RFC 6962 test tree published by certificate-transparency-go and transparency-dev/merkle
/// (`testonly/constants.go`, `proof/verify_test.go`).
enum MerkleVectors {
    static let leafInputs = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
    static var leaves: [SHA256Digest] { leafInputs.map { MerkleHashing.leafHash(Hex.decode($0) ?? []) } }
    /// Roots of the trees of sizes 1…8.
    static let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
    /// (1-based leaf, tree size, proof).
    static let inclusion: [(leaf: UInt64, size: UInt64, proof: [String])] = [
        (1, 1, []),
        (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
        (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
        (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    ]
    static let consistency: [(from: UInt64, to: UInt64, proof: [String])] = [
        (1, 1, []),
        (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
        (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
        (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
        (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    ]
    static func digests(_ hex: [String]) -> [SHA256Digest] { hex.compactMap { SHA256Digest(hex: $0) } }
}

/// A direct transcription of RFC 6962 §2.1 MTH, for cross-checking the cached tree.
func referenceRoot(_ leaves: ArraySlice<SHA256Digest>) -> SHA256Digest {
    if leaves.isEmpty { return MerkleHashing.emptyRoot }
    if leaves.count == 1 { return leaves[leaves.startIndex] }
    let split = Int(MerkleHashing.splitPoint(UInt64(leaves.count)))
    let middle = leaves.startIndex + split
    return MerkleHashing.nodeHash(referenceRoot(leaves[..<middle]), referenceRoot(leaves[middle...]))
}

func randomLeaves(_ count: Int, generator: inout SeededGenerator) -> [SHA256Digest] {
    (0..<count).map { _ in MerkleHashing.leafHash((0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }) }
}

func flippingBit(_ proof: [SHA256Digest], element: Int, bit: Int) -> [SHA256Digest] {
    var bytes = proof[element].bytes
    bytes[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
    var copy = proof
    if let flipped = SHA256Digest(bytes: bytes) { copy[element] = flipped }
    return copy
}

@Suite("RFC 6962 Merkle tree")
struct MerkleTests {
    @Test("leaf and empty-tree hashes match the published vectors")
    func hashing() {
        #expect(MerkleHashing.emptyRoot.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(MerkleVectors.leaves[0].hex == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
        #expect(MerkleVectors.leaves[7].hex == "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1")
        #expect(MerkleHashing.nodeHash(MerkleVectors.leaves[0], MerkleVectors.leaves[1]).hex == "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")
    }

    @Test("roots of sizes 0…8 match the published vectors, from the tree and the accumulator")
    func roots() {
        let tree = MerkleTree(leaves: MerkleVectors.leaves)
        #expect(tree.root(size: 0) == MerkleHashing.emptyRoot)
        var accumulator = MerkleAccumulator()
        #expect(accumulator.root == MerkleHashing.emptyRoot)
        for size in 1...8 {
            #expect(tree.root(size: UInt64(size))?.hex == MerkleVectors.roots[size - 1], "size \(size)")
            accumulator.append(MerkleVectors.leaves[size - 1])
            #expect(accumulator.root.hex == MerkleVectors.roots[size - 1], "size \(size)")
            #expect(accumulator.subtreeRoots.count == size.nonzeroBitCount)
        }
        #expect(tree.root(size: 9) == nil)
    }

    @Test("inclusion proofs equal the published ones and verify")
    func inclusionVectors() {
        let tree = MerkleTree(leaves: MerkleVectors.leaves)
        for vector in MerkleVectors.inclusion {
            let expected = MerkleVectors.digests(vector.proof)
            let proof = tree.inclusionProof(index: vector.leaf - 1, size: vector.size)
            #expect(proof == expected, "leaf \(vector.leaf) size \(vector.size)")
            let root = SHA256Digest(hex: MerkleVectors.roots[Int(vector.size) - 1]) ?? .zero
            let leaf = MerkleVectors.leaves[Int(vector.leaf) - 1]
            #expect(MerkleProof.verifyInclusion(leafHash: leaf, index: vector.leaf - 1, size: vector.size, proof: expected, root: root))
            // Wrong index, size, leaf, root, or a trailing extra element: refused.
            #expect(!MerkleProof.verifyInclusion(leafHash: leaf, index: vector.leaf, size: vector.size, proof: expected, root: root))
            #expect(!MerkleProof.verifyInclusion(leafHash: leaf, index: vector.leaf - 1, size: vector.size * 2, proof: expected, root: root))
            #expect(!MerkleProof.verifyInclusion(leafHash: MerkleHashing.emptyRoot, index: vector.leaf - 1, size: vector.size, proof: expected, root: root))
            #expect(!MerkleProof.verifyInclusion(leafHash: leaf, index: vector.leaf - 1, size: vector.size, proof: expected, root: MerkleHashing.emptyRoot))
            #expect(!MerkleProof.verifyInclusion(leafHash: leaf, index: vector.leaf - 1, size: vector.size, proof: expected + [root], root: root))
        }
        #expect(tree.inclusionProof(index: 8, size: 8) == nil)
        #expect(tree.inclusionProof(index: 0, size: 9) == nil)
        #expect(!MerkleProof.verifyInclusion(leafHash: .zero, index: 0, size: 0, proof: [], root: .zero))
    }

    @Test("consistency proofs equal the published ones and verify")
    func consistencyVectors() {
        let tree = MerkleTree(leaves: MerkleVectors.leaves)
        for vector in MerkleVectors.consistency {
            let expected = MerkleVectors.digests(vector.proof)
            #expect(tree.consistencyProof(from: vector.from, to: vector.to) == expected, "\(vector.from)→\(vector.to)")
            let first = SHA256Digest(hex: MerkleVectors.roots[Int(vector.from) - 1]) ?? .zero
            let second = SHA256Digest(hex: MerkleVectors.roots[Int(vector.to) - 1]) ?? .zero
            #expect(MerkleProof.verifyConsistency(firstSize: vector.from, secondSize: vector.to, firstRoot: first, secondRoot: second, proof: expected))
            if !expected.isEmpty {
                #expect(!MerkleProof.verifyConsistency(firstSize: vector.from, secondSize: vector.to, firstRoot: second, secondRoot: first, proof: expected))
                #expect(!MerkleProof.verifyConsistency(firstSize: vector.from, secondSize: vector.to, firstRoot: first, secondRoot: second, proof: []))
                #expect(!MerkleProof.verifyConsistency(firstSize: vector.from + 1, secondSize: vector.to, firstRoot: first, secondRoot: second, proof: expected))
                #expect(!MerkleProof.verifyConsistency(firstSize: vector.from, secondSize: vector.to, firstRoot: first, secondRoot: second, proof: expected.dropLast()))
            }
        }
        let some = MerkleHashing.emptyRoot
        // Any tree extends the empty one, whose root is the hash of nothing; no other root is the empty tree's.
        #expect(MerkleProof.verifyConsistency(firstSize: 0, secondSize: 1, firstRoot: MerkleHashing.emptyRoot, secondRoot: some, proof: []))
        #expect(!MerkleProof.verifyConsistency(firstSize: 0, secondSize: 1, firstRoot: .zero, secondRoot: some, proof: []))
        #expect(!MerkleProof.verifyConsistency(firstSize: 0, secondSize: 1, firstRoot: MerkleHashing.emptyRoot, secondRoot: some, proof: [some]))
        #expect(MerkleProof.verifyConsistency(firstSize: 0, secondSize: 0, firstRoot: MerkleHashing.emptyRoot, secondRoot: MerkleHashing.emptyRoot, proof: []))
        let nonEmpty = MerkleHashing.leafHash([1])
        #expect(!MerkleProof.verifyConsistency(firstSize: 0, secondSize: 0, firstRoot: nonEmpty, secondRoot: nonEmpty, proof: []))
        #expect(!MerkleProof.verifyConsistency(firstSize: 0, secondSize: 1, firstRoot: nonEmpty, secondRoot: nonEmpty, proof: []))
        #expect(!MerkleProof.verifyConsistency(firstSize: 2, secondSize: 1, firstRoot: some, secondRoot: some, proof: []))
        #expect(!MerkleProof.verifyConsistency(firstSize: 1, secondSize: 1, firstRoot: some, secondRoot: some, proof: [some]))
        #expect(!MerkleProof.verifyConsistency(firstSize: 1, secondSize: 1, firstRoot: .zero, secondRoot: some, proof: []))
        #expect(tree.consistencyProof(from: 3, to: 9) == nil)
        #expect(tree.consistencyProof(from: 4, to: 3) == nil)
    }

    @Test("random sizes: roots equal the reference, every proof verifies, any flipped bit fails")
    func properties() {
        var generator = SeededGenerator(seed: 6962)
        let leaves = randomLeaves(300, generator: &generator)
        let tree = MerkleTree(leaves: leaves)
        var accumulator = MerkleAccumulator()
        for (index, leaf) in leaves.enumerated() {
            accumulator.append(leaf)
            let size = UInt64(index + 1)
            #expect(accumulator.root == tree.root(size: size))
        }
        for _ in 0..<60 {
            let size = UInt64.random(in: 1...300, using: &generator)
            let root = referenceRoot(leaves[0..<Int(size)])
            #expect(tree.root(size: size) == root)
            let index = UInt64.random(in: 0..<size, using: &generator)
            let path = tree.inclusionProof(index: index, size: size) ?? []
            #expect(MerkleProof.verifyInclusion(leafHash: leaves[Int(index)], index: index, size: size, proof: path, root: root), "inclusion \(index) in \(size)")
            for element in path.indices {
                let bit = Int.random(in: 0..<256, using: &generator)
                #expect(!MerkleProof.verifyInclusion(leafHash: leaves[Int(index)], index: index, size: size, proof: flippingBit(path, element: element, bit: bit), root: root))
            }
            let first = UInt64.random(in: 1...size, using: &generator)
            let firstRoot = referenceRoot(leaves[0..<Int(first)])
            let proof = tree.consistencyProof(from: first, to: size) ?? []
            #expect(MerkleProof.verifyConsistency(firstSize: first, secondSize: size, firstRoot: firstRoot, secondRoot: root, proof: proof), "consistency \(first)→\(size)")
            for element in proof.indices {
                let bit = Int.random(in: 0..<256, using: &generator)
                #expect(!MerkleProof.verifyConsistency(firstSize: first, secondSize: size, firstRoot: firstRoot, secondRoot: root, proof: flippingBit(proof, element: element, bit: bit)))
            }
        }
    }

    @Test("every inclusion and consistency proof of every size up to 40 verifies")
    func exhaustiveSmall() {
        var generator = SeededGenerator(seed: 9162)
        let leaves = randomLeaves(40, generator: &generator)
        let tree = MerkleTree(leaves: leaves)
        for size in UInt64(1)...40 {
            let root = referenceRoot(leaves[0..<Int(size)])
            for index in 0..<size {
                let proof = tree.inclusionProof(index: index, size: size) ?? []
                #expect(MerkleProof.verifyInclusion(leafHash: leaves[Int(index)], index: index, size: size, proof: proof, root: root))
            }
            for first in UInt64(0)...size {
                let firstRoot = referenceRoot(leaves[0..<Int(first)])
                let proof = tree.consistencyProof(from: first, to: size) ?? [.zero]
                #expect(MerkleProof.verifyConsistency(firstSize: first, secondSize: size, firstRoot: firstRoot, secondRoot: root, proof: proof))
            }
        }
    }
}
