import Foundation
import PointAPI
import PointHTTP
import PointJSON
import PointCrypto
import PointLedger
import Testing

/// Receipts, checkpoints and proofs: what an auditor checks, checked the same way here.
@Suite("API audit proofs")
struct APIAuditProofTests {
    func digest(_ hex: String?) -> SHA256Digest {
        Hex.decode(hex ?? "").flatMap { SHA256Digest(bytes: $0) } ?? .zero
    }

    @Test("A grant's receipt is provable: checkpoint signature, inclusion proof, and consistency between checkpoints")
    func receiptProof() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let merchant = api.merchantA
        let (auditor, auditorSecret) = api.staff("auditor")
        await api.bind(merchant, member: "m-1", user: 1)
        let scenario = api.scenarioID(merchant, purpose: "purchase_cashback")
        let granted = await api.asMerchant(merchant, .post, "/v1/grants", json: APIFlowTests.grantBody("o-1", scenario: scenario))
        let seq = UInt64(granted.body["receipt"]?["seq"]?.intValue ?? 0)
        let leaf = granted.body["receipt"]?["leafHash"]?.stringValue ?? ""
        #expect(granted.body["receipt"]?["inclusionProof"]?.stringValue == "/v1/audit/proofs/inclusion?seq=\(seq)")

        let first = await api.send(.get, "/v1/audit/checkpoints/latest", key: auditor, secret: auditorSecret)
        #expect(first.status == 200)
        let size = UInt64(first.body["treeSize"]?.intValue ?? 0)
        #expect(size >= seq)
        let publicKey = try Ed25519PublicKey(pem: first.body["publicKey"]?.stringValue ?? "")
        let opened = try SignedNote.open(first.body["note"]?.stringValue ?? "", publicKey: publicKey)
        let checkpoint = try Checkpoint(body: opened.text)
        #expect(checkpoint.size == size)
        #expect(Base64.encode(checkpoint.root.bytes) == first.body["rootHash"]?.stringValue)

        let proof = await api.send(.get, "/v1/audit/proofs/inclusion?seq=\(seq)", key: auditor, secret: auditorSecret)
        #expect(proof.status == 200)
        #expect(proof.body["leafHash"]?.stringValue == leaf)
        let path = (proof.body["proof"]?.arrayValue ?? []).map { digest($0.stringValue) }
        let leafDigest = digest(leaf)
        #expect(MerkleProof.verifyInclusion(leafHash: leafDigest, index: seq - 1, size: size, proof: path, root: checkpoint.root))
        // The same path fails for another leaf.
        #expect(!MerkleProof.verifyInclusion(leafHash: MerkleHashing.leafHash([UInt8]("x".utf8)), index: seq - 1, size: size, proof: path, root: checkpoint.root))

        // More writes, a newer checkpoint, and a consistency proof between the two.
        _ = await api.asMerchant(merchant, .post, "/v1/grants", json: APIFlowTests.grantBody("o-2", scenario: scenario))
        let second = await api.send(.get, "/v1/audit/checkpoints/latest", key: auditor, secret: auditorSecret)
        let newer = try Checkpoint(body: try SignedNote.open(second.body["note"]?.stringValue ?? "", publicKey: publicKey).text)
        #expect(newer.size > checkpoint.size)
        let consistency = await api.send(.get, "/v1/audit/proofs/consistency?from=\(checkpoint.size)&to=\(newer.size)", key: auditor, secret: auditorSecret)
        #expect(consistency.status == 200)
        let consistencyPath = (consistency.body["proof"]?.arrayValue ?? []).map { digest($0.stringValue) }
        #expect(MerkleProof.verifyConsistency(firstSize: checkpoint.size, secondSize: newer.size, firstRoot: checkpoint.root,
                                              secondRoot: newer.root, proof: consistencyPath))

        let beyond = await api.send(.get, "/v1/audit/proofs/inclusion?seq=\(newer.size + 100)", key: auditor, secret: auditorSecret)
        #expect(beyond.status == 404)
        let badSize = await api.send(.get, "/v1/audit/proofs/inclusion?seq=\(seq)&treeSize=\(seq - 1)", key: auditor, secret: auditorSecret)
        #expect(badSize.status == 400)
        let merchantTry = await api.asMerchant(merchant, .get, "/v1/audit/checkpoints/latest")
        #expect(merchantTry.status == 403)
    }
}
