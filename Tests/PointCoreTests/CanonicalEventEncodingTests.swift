import PointCore
import PointJSON
import Testing

@Suite("Encoding events to canonical bytes")
struct CanonicalEventEncodingTests {
    @Test("A grant's bytes equal the canonical encoding of its data object, whatever its strings", arguments: [
        ("order-1", "member-1", 100),
        ("注文-點數-🎁", "member-1", 1),                    // non-ASCII is written as-is
        ("quote\"and\\backslash", "tab\there\nnew", 0),   // escapes
        ("ctl\u{01}\u{1F}", "", -5),                       // control characters as \u00XX; empty string
        ("o", "m", Int(Int64.max)),
    ])
    func grantBytesMatchTheEncoder(orderID: String, memberID: String, points: Int) throws {
        let event = DomainEvent.pointsGranted(PointsGranted(merchantID: "1650000001", orderID: orderID, memberID: memberID,
                                                            lineUserID: "U0123456789abcdef0123456789abcdef", scenarioID: "SCN-1", points: points))
        let bytes = event.canonicalLedgerData
        #expect(bytes == CanonicalJSON.encode(event.ledgerData))
        #expect(bytes.withUnsafeBytes { CanonicalJSONValidator.validate($0) } == nil)
        // And it decodes back to the same event.
        #expect(try bytes.withUnsafeBytes { try DomainEvent.decode(type: "grant.issued", canonicalData: $0) } == event)
    }

    @Test func otherEventsUseTheEncoder() {
        let events: [DomainEvent] = [
            .userBound(merchantID: "1650000001", memberID: "m-1", lineUserID: "U0123456789abcdef0123456789abcdef"),
            .findingRecorded(merchantID: "1650000001", revocationID: "RV-1", note: "line\nbreak"),
        ]
        for event in events {
            #expect(event.canonicalLedgerData == CanonicalJSON.encode(event.ledgerData))
        }
    }
}
