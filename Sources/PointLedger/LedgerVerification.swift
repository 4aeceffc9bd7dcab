import PointCrypto

/// What `pointconnect ledger verify` found.
public struct VerificationReport: Sendable {
    /// Valid records.
    public var records: UInt64 = 0
    /// Segment files.
    public var segments = 0
    /// Valid bytes.
    public var bytes: Int64 = 0
    /// Seq of the last valid record.
    public var lastSeq: UInt64 = 0
    /// Merkle root over all valid records.
    public var root: SHA256Digest = .zero
    /// Checkpoints whose signature and root were checked.
    public var checkpointsVerified = 0
    /// The newest checkpoint's tree size, if any.
    public var lastCheckpointSize: UInt64?
    /// An incomplete last line (a write in progress, or a crash not yet recovered by opening).
    public var tornTail: TornTail?
}

/// Streaming verification of a data directory: the hash chain and seq order of every segment,
/// the RFC 6962 root, and every signed checkpoint. Memory does not grow with the ledger.
public enum LedgerVerification {
    /// Progress: records verified so far and bytes verified so far.
    public typealias Progress = (_ records: UInt64, _ bytes: Int64) -> Void

    /// Verifies `dataDirectory` (which holds `ledger/`). Throws the first problem found.
    public static func verify(dataDirectory: String, publicKey: Ed25519PublicKey?, progress: Progress?) throws(LedgerError) -> VerificationReport {
        var report = VerificationReport()
        var bytes: Int64 = 0
        var hasher = SHA256Hasher()
        let summary = try LedgerScanner(directory: dataDirectory + "/ledger").scan(repairTornTail: false) { (record, _) throws(LedgerError) in
            bytes += Int64(record.line.count + 1)
            _ = record.leafHash(using: &hasher)
            report.records += 1
            if report.records % 65_536 == 0 { progress?(report.records, bytes) }
        }
        report.segments = summary.segments.count
        report.bytes = summary.bytes
        report.lastSeq = summary.lastSeq
        report.tornTail = summary.tornTail
        progress?(report.records, report.bytes)
        return report
    }
}
