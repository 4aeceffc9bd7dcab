import PointCore
import PointLedger

/// Reads a data directory's ledger files alone (read-only, no lock, no service) and folds the
/// domain and the settlement from them, for `pointconnect settle`. The settlement is an audit
/// fold: closes whose recorded invoices differ from the recomputed ones are kept with their
/// differences instead of refusing the ledger.
public enum SettlementLedgerReader {
    /// Why the ledger could not be read or folded.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Folds every durable record of `dataDirectory/ledger`. A torn last line (a write in
    /// progress) is ignored, as the service would on opening. The files are scanned and
    /// hash-checked, and their events decoded, on a reader thread while the calling thread folds
    /// (see ``LedgerBatchReader``).
    public static func fold(dataDirectory: String) throws(Failure) -> (domain: PointsDomain, settlement: SettlementFold, records: UInt64) {
        var replay = LedgerReplay(strictSettlement: false)
        let summary: ScanSummary
        do {
            summary = try LedgerBatchReader.read(directory: dataDirectory + "/ledger", prepare: LedgerReplay.decode) { batch throws(Failure) in
                try replay.apply(batch)
            }
        } catch {
            switch error {
            case .consumer(let failure): throw failure
            case .ledger(let ledgerError): throw Failure(description: "the ledger in \(dataDirectory)/ledger can't be read: \(ledgerError)")
            }
        }
        return (replay.domain, replay.settlement, summary.records)
    }
}
