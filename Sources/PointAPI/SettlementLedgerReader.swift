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
    /// progress) is ignored, as the service would on opening.
    public static func fold(dataDirectory: String) throws(Failure) -> (domain: PointsDomain, settlement: SettlementFold, records: UInt64) {
        var domain = PointsDomain()
        var settlement = SettlementFold(strict: false)
        var failure: Failure?
        let summary: ScanSummary
        do {
            summary = try LedgerScanner(directory: dataDirectory + "/ledger").scan(repairTornTail: false) { (view, location) throws(LedgerError) in
                let record: LedgerRecord
                switch view.decode() {
                case .success(let decoded): record = decoded
                case .failure(let problem):
                    throw LedgerError.corrupt(file: location.file, offset: Int(location.offset) + problem.offset, seq: view.seq, reason: problem.reason)
                }
                do throws(DomainError) {
                    guard let event = try DomainEvent.decode(type: record.type, data: record.data) else { return }
                    try domain.apply(event, seq: record.seq, time: record.time)
                    try settlement.apply(event, seq: record.seq, time: record.time, domain: domain)
                } catch {
                    failure = Failure(description: "record \(record.seq) (\(record.type)) does not replay: \(error.message)")
                    throw LedgerError.invalidEntry("record \(record.seq) does not replay")
                }
            }
        } catch {
            if let failure { throw failure }
            throw Failure(description: "the ledger in \(dataDirectory)/ledger can't be read: \(error)")
        }
        return (domain, settlement, summary.records)
    }
}
