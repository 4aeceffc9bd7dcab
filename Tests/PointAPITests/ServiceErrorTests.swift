import Testing
import PointCore
import PointLedger
@testable import PointAPI

@Suite("Service errors in words")
struct ServiceErrorDescriptionTests {
    @Test("A service error reads as its underlying error, without the enum's wrapping")
    func description() {
        let domain = ServiceError.domain(DomainError(.conflict, code: "ledger_event_inconsistent", message: "Ledger record 7 contradicts the records before it."))
        #expect(domain.description == "ledger_event_inconsistent: Ledger record 7 contradicts the records before it.")
        let ledger = ServiceError.ledger(.corrupt(file: "00000000000000000001.jsonl", offset: 120, seq: 3, reason: "bad prev"))
        #expect(ledger.description == "ledger is damaged in 00000000000000000001.jsonl at byte 120 (seq 3): bad prev. Records from there on can't be trusted: restore the file from a replica or backup.")
        #expect(!String(describing: ledger).hasPrefix("ledger(") && !String(describing: domain).hasPrefix("domain("))
    }
}
