import PointCore
import PointCrypto
import PointJSON
import PointLedger

/// Receipts and proofs as JSON.
enum ProofRepresentations {
    /// A write's receipt: the ledger seq, time and RFC 6962 leaf hash of its record, and where to
    /// fetch its inclusion proof against a signed checkpoint.
    /// The proof link needs no tree size: the service proves against the newest signed
    /// checkpoint, signing one on demand when the record is newer than it.
    static func receipt(seq: UInt64, time: Int64, leafHash: SHA256Digest?, ledger: Ledger) -> JSONValue {
        let hash = receiptLeafHash(seq: seq, known: leafHash, ledger: ledger)
        return [
            "seq": .int(Int64(seq)), "time": .string(CivilTime.formatUTC(time)),
            "leafHash": hash.map { .string($0.hex) } ?? .null,
            "inclusionProof": .string("/v1/audit/proofs/inclusion?seq=\(seq)"),
        ]
    }

    /// The leaf hash a receipt shows: the one known from the write, else the durable record's
    /// (nil when there is none yet).
    static func receiptLeafHash(seq: UInt64, known: SHA256Digest?, ledger: Ledger) -> SHA256Digest? {
        known ?? (seq >= 1 ? try? ledger.leafHash(seq: seq) : nil)
    }

    /// A signed checkpoint with what an auditor needs to check it.
    static func checkpoint(_ signed: SignedCheckpoint, store: LedgerStore) throws(APIError) -> JSONValue {
        let pem: String
        do throws(CryptoError) { pem = try store.publicKey.pemRepresentation() } catch {
            throw .unavailable("The checkpoint public key could not be encoded (\(error)).")
        }
        return [
            "origin": .string(signed.checkpoint.origin), "treeSize": .int(Int64(signed.checkpoint.size)),
            "rootHash": .string(Base64.encode(signed.checkpoint.root.bytes)), "note": .string(signed.note), "publicKey": .string(pem),
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
