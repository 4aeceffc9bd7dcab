import PointHTTP
import PointJSON
import PointLedger

/// `/v1/audit/…`: the ledger itself, checkpoints and proofs (read-only).
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

    func auditLatestCheckpoint() throws(APIError) -> HTTPResponse {
        throw .unavailable("Checkpoints are not available yet.")
    }

    func auditInclusionProof(_ context: Context) throws(APIError) -> HTTPResponse {
        throw .unavailable("Inclusion proofs are not available yet.")
    }

    func auditConsistencyProof(_ context: Context) throws(APIError) -> HTTPResponse {
        throw .unavailable("Consistency proofs are not available yet.")
    }
}
