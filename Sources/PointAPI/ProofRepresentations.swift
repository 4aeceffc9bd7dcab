import PointCore
import PointCrypto
import PointJSON
import PointLedger

/// Receipts and proofs as JSON.
enum ProofRepresentations {
    /// A write's receipt: the ledger seq, time and RFC 6962 leaf hash of its record, and where to
    /// fetch its inclusion proof against a signed checkpoint.
    static func receipt(seq: UInt64, time: Int64, leafHash: SHA256Digest?, ledger: Ledger) -> JSONValue {
        [
            "seq": .int(Int64(seq)), "time": .string(CivilTime.formatUTC(time)),
            "leafHash": leafHash.map { .string($0.hex) } ?? .null,
            "inclusionProof": .string("/v1/audit/proofs/inclusion?seq=\(seq)"),
        ]
    }

    static func record(_ record: LedgerRecord) -> JSONValue {
        [
            "seq": .int(Int64(record.seq)), "time": .string(CivilTime.formatUTC(record.time)), "type": .string(record.type),
            "prev": .string(record.prev.hex), "data": record.data, "leafHash": .string(record.leafHash.hex),
            "line": .string(String(decoding: record.line, as: UTF8.self)),
        ]
    }
}
