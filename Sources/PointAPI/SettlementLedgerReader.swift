import PointCore
import PointLedger

/// Reads a data directory's ledger files alone (read-only, no lock, no service) and folds the
/// settlement from them, for `pointconnect settle`. The settlement is an audit fold: closes
/// whose recorded invoices differ from the recomputed ones are kept with their differences
/// instead of refusing the ledger. The fold is ``BillingReplay``: it refuses records that would
/// make an amount wrong, and leaves the usage rules to the service's replay at start.
public enum SettlementLedgerReader {
    /// Why the ledger could not be read or folded.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Folds every durable record of `dataDirectory/ledger`. A torn last line (a write in
    /// progress) is ignored, as the service would on opening. The files are scanned and
    /// hash-checked, and the records billing reads other than grants decoded, on a reader thread
    /// while the calling thread folds (see ``LedgerBatchReader``).
    public static func fold(dataDirectory: String) throws(Failure) -> (replay: BillingReplay, settlement: SettlementFold, records: UInt64) {
        var replay = BillingReplay(strict: false)
        let summary: ScanSummary
        do {
            summary = try LedgerBatchReader.read(directory: dataDirectory + "/ledger", prepare: DecodedEvents.prepare) { batch throws(Failure) in
                let decoded = batch.prepared as? DecodedEvents
                try batch.withRecords { (records) throws(Failure) in
                    for index in 0..<records.count {
                        do throws(DomainError) {
                            if let prepared = decoded?.events[index] {
                                guard let event = try prepared.get() else { continue }
                                try replay.apply(event, seq: records.seqs[index], time: records.times[index])
                            } else {
                                try replay.apply(type: records.types[index], seq: records.seqs[index], time: records.times[index],
                                                 canonicalData: records.data(index))
                            }
                        } catch {
                            throw Failure(description: "record \(records.seqs[index]) (\(records.types[index])) does not replay: \(error.message)")
                        }
                    }
                }
            }
        } catch {
            switch error {
            case .consumer(let failure): throw failure
            case .ledger(let ledgerError): throw Failure(description: "the ledger in \(dataDirectory)/ledger can't be read: \(ledgerError)")
            }
        }
        return (replay, replay.settlement, summary.records)
    }

    /// A batch's records other than `grant.issued` decoded on the reader thread (nil: left for
    /// the folding thread, which reads grants straight from their bytes; records billing does
    /// not read are not decoded at all).
    private final class DecodedEvents {
        let events: [Result<DomainEvent?, DomainError>?]
        init(_ events: [Result<DomainEvent?, DomainError>?]) { self.events = events }

        @Sendable static func prepare(_ batch: LedgerRecordBatch) {
            var events: [Result<DomainEvent?, DomainError>?] = []
            events.reserveCapacity(batch.count)
            batch.withRecords { records in
                for index in 0..<records.count {
                    let type = records.types[index]
                    if type == "grant.issued" {
                        events.append(nil)
                    } else if !BillingReplay.reads(type: type) {
                        events.append(.success(nil))
                    } else {
                        events.append(Result { () throws(DomainError) -> DomainEvent? in
                            try DomainEvent.decode(type: type, canonicalData: records.data(index))
                        })
                    }
                }
            }
            batch.prepared = DecodedEvents(events)
        }
    }
}
