import PointCore
import PointLedger

/// The points domain and the settlement folded over ledger records: the service's state at
/// start. (`settle` folds the settlement alone, with ``BillingReplay``.)
struct LedgerReplay {
    var domain = PointsDomain()
    var settlement: SettlementFold

    /// - Parameter strictSettlement: refuse billing records that contradict the rules (the
    ///   service), or keep them as differences to report.
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
}
