import PointCrypto
import PointHTTP
import PointJSON
import PointLedger

/// `/v1/audit/…`: the ledger itself, signed checkpoints and Merkle proofs (read-only).
extension APIApplication {
    static let maxLedgerPage: Int64 = 1_000

    func auditLedger(_ context: Context) throws(APIError) -> HTTPResponse {
        let query = try Self.query(context.request, allowed: ["fromSeq", "limit"])
        let durable = service.ledger.durableSeq
        let fromSeq = UInt64(try Self.integer(query["fromSeq"], "fromSeq", in: 1...Int64.max, default: 1))
        let limit = Int(try Self.integer(query["limit"], "limit", in: 1...Self.maxLedgerPage, default: 100))
        let records: [LedgerRecord]
        do throws(LedgerError) { records = try service.ledger.records(from: fromSeq, limit: limit, through: durable) } catch {
            throw .unavailable("The ledger could not be read (\(error)).")
        }
        let last = records.last?.seq ?? 0
        return Self.json(["records": .array(records.map(ProofRepresentations.record)), "durableSeq": .int(Int64(durable)),
                          "nextFromSeq": last > 0 && last < durable ? .int(Int64(last + 1)) : .null])
    }

    /// The newest signed checkpoint, signed on demand when records arrived since the last one
    /// (or none exists yet), so a fresh receipt can be proven at once.
    func auditLatestCheckpoint() async throws(APIError) -> HTTPResponse {
        let checkpoint = try await currentCheckpoint(covering: service.ledger.durableSeq)
        return Self.json(try ProofRepresentations.checkpoint(checkpoint, store: service.store))
    }

    /// The newest checkpoint if it covers `seq`, else a new one.
    func currentCheckpoint(covering seq: UInt64) async throws(APIError) -> SignedCheckpoint {
        if let latest = service.store.latestCheckpoint, latest.size >= seq, latest.size > 0 { return latest }
        do throws(LedgerError) { return try await service.store.checkpoint() } catch {
            if let stopped = service.store.checkpointer.failureReason {
                throw .unavailable("Checkpoint signing has stopped (\(stopped)); no new checkpoint can be signed until the storage is fixed and the service restarted.")
            }
            throw .unavailable("A checkpoint could not be signed (\(error)); try again shortly.")
        }
    }

    func auditInclusionProof(_ context: Context) async throws(APIError) -> HTTPResponse {
        let query = try Self.query(context.request, allowed: ["seq", "treeSize"])
        let seq = UInt64(try Self.integer(query["seq"], "seq", in: 1...Int64.max))
        let durable = service.ledger.durableSeq
        guard seq <= durable else { throw .notFound("There is no durable record \(seq) yet; the ledger holds \(durable).") }
        let treeSize: UInt64
        if query["treeSize"] != nil {
            treeSize = UInt64(try Self.integer(query["treeSize"], "treeSize", in: 1...Int64.max))
            guard treeSize >= seq else {
                throw .badRequest("treeSize (\(treeSize)) must be at least seq (\(seq)): a tree holds only the records before its size.",
                                  details: [APIErrorDetail(property: "treeSize", message: "must be at least seq")])
            }
            guard treeSize <= durable else {
                throw .badRequest("treeSize \(treeSize) is beyond the ledger's \(durable) durable records.",
                                  details: [APIErrorDetail(property: "treeSize", message: "must be at most \(durable)")])
            }
        } else {
            treeSize = try await currentCheckpoint(covering: seq).size
        }
        do throws(LedgerError) {
            let proof = try service.store.inclusionProof(seq: seq, treeSize: treeSize)
            return Self.json([
                "seq": .int(Int64(seq)), "treeSize": .int(Int64(treeSize)), "leafHash": .string(try service.store.leafHash(seq: seq).hex),
                "rootHash": .string(Base64.encode(try service.store.root(size: treeSize).bytes)), "proof": .array(proof.map { .string($0.hex) }),
            ])
        } catch {
            throw Self.proofError(error)
        }
    }

    func auditConsistencyProof(_ context: Context) throws(APIError) -> HTTPResponse {
        let query = try Self.query(context.request, allowed: ["from", "to"])
        let from = UInt64(try Self.integer(query["from"], "from", in: 1...Int64.max))
        let to = UInt64(try Self.integer(query["to"], "to", in: 1...Int64.max))
        let durable = service.ledger.durableSeq
        guard from <= to else {
            throw .badRequest("from (\(from)) must not exceed to (\(to)).", details: [APIErrorDetail(property: "from", message: "must be at most to")])
        }
        guard to <= durable else {
            throw .badRequest("to \(to) is beyond the ledger's \(durable) durable records.", details: [APIErrorDetail(property: "to", message: "must be at most \(durable)")])
        }
        do throws(LedgerError) {
            let proof = try service.store.consistencyProof(from: from, to: to)
            return Self.json(["from": .int(Int64(from)), "to": .int(Int64(to)), "proof": .array(proof.map { .string($0.hex) })])
        } catch {
            throw Self.proofError(error)
        }
    }

    static func proofError(_ error: LedgerError) -> APIError {
        switch error {
        case .beyondDurableSize, .invalidProofRequest:
            return .badRequest("\(error)", details: [])
        default:
            return .unavailable("The proof could not be computed (\(error)).")
        }
    }
}
