import PointCore
import PointLedger

/// The points domain and the settlement folded over ledger records: the service's state at
/// start, and `settle`'s recomputation from the files.
struct LedgerReplay {
    var domain = PointsDomain()
    var settlement: SettlementFold

    /// - Parameter strictSettlement: refuse billing records that contradict the rules (the
    ///   service), or keep them as differences to report (`settle`, the audit toolkit).
    init(strictSettlement: Bool) {
        settlement = SettlementFold(strict: strictSettlement)
    }

    /// Folds one record from its type and canonical `data` bytes. Records of other layers'
    /// types are skipped.
    mutating func apply(type: String, seq: UInt64, time: Int64, data: UnsafeRawBufferPointer) throws(DomainError) {
        guard let event = try DomainEvent.decode(type: type, canonicalData: data) else { return }
        try domain.apply(event, seq: seq, time: time)
        try settlement.apply(event, seq: seq, time: time, domain: domain)
    }

    /// Folds a batch from ``LedgerBatchReader``; a record that does not replay stops the read.
    mutating func apply(_ batch: LedgerRecordBatch) throws(SettlementLedgerReader.Failure) {
        for index in 0..<batch.count {
            let seq = batch.seqs[index]
            let type = batch.types[index]
            do throws(DomainError) {
                try batch.withData(index) { data throws(DomainError) in try apply(type: type, seq: seq, time: batch.times[index], data: data) }
            } catch {
                throw SettlementLedgerReader.Failure(description: "record \(seq) (\(type)) does not replay: \(error.message)")
            }
        }
    }
}
