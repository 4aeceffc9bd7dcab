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
        try apply(event, seq: seq, time: time)
    }

    /// Folds a batch from ``LedgerBatchReader``; a record that does not replay stops the read.
    /// The events are those ``decode(_:)`` prepared on the reader thread (decoded here when the
    /// read had no such step).
    mutating func apply(_ batch: LedgerRecordBatch) throws(SettlementLedgerReader.Failure) {
        let decoded = batch.prepared as? DecodedEvents ?? Self.decodedEvents(batch)
        for index in 0..<batch.count {
            do throws(DomainError) {
                guard let event = try decoded.events[index].get() else { continue }
                try apply(event, seq: batch.seqs[index], time: batch.times[index])
            } catch {
                throw SettlementLedgerReader.Failure(description: "record \(batch.seqs[index]) (\(batch.types[index])) does not replay: \(error.message)")
            }
        }
    }

    private mutating func apply(_ event: DomainEvent, seq: UInt64, time: Int64) throws(DomainError) {
        try domain.apply(event, seq: seq, time: time)
        try settlement.apply(event, seq: seq, time: time, domain: domain)
    }

    /// A batch's events decoded on the reader thread, in record order (nil: another layer's type).
    final class DecodedEvents {
        let events: [Result<DomainEvent?, DomainError>]
        init(_ events: [Result<DomainEvent?, DomainError>]) { self.events = events }
    }

    /// The `prepare` step for ``LedgerBatchReader``: decodes every record of `batch` so the
    /// folding thread only applies them.
    @Sendable static func decode(_ batch: LedgerRecordBatch) {
        batch.prepared = decodedEvents(batch)
    }

    private static func decodedEvents(_ batch: LedgerRecordBatch) -> DecodedEvents {
        var events: [Result<DomainEvent?, DomainError>] = []
        events.reserveCapacity(batch.count)
        for index in 0..<batch.count {
            let type = batch.types[index]
            events.append(batch.withData(index) { data in
                Result { () throws(DomainError) -> DomainEvent? in try DomainEvent.decode(type: type, canonicalData: data) }
            })
        }
        return DecodedEvents(events)
    }
}
