import PointCore
import Testing

@Suite("Billing at scale")
struct BillingScaleTests {
    typealias F = BillingFixture

    /// A month with 1,000,000 grants for one merchant: fed and closed well under 2 s, as one line.
    @Test("Closing a month with 1,000,000 grants bills every one of them (timing: pointconnect bench settle)")
    func millionGrants() throws {
        var book = SettlementBook()
        book.setProfile(try F.profile(), resumingFrom: F.feePaidForFirstYear)
        let march = F.month("2026-03")
        let base = march.startInstant
        for index in 0..<1_000_000 {
            try book.recordGrant(merchantID: F.merchantID, seq: UInt64(index + 1), orderID: "o", points: 3,
                                 at: base + Int64(index) * 2_000_000)
        }
        let invoices = try book.close(march, now: march.endInstant)
        let invoice = try #require(invoices.first)
        #expect(F.summary(invoice) == ["points_granted 3000000×11 = 3300000"])
        #expect(invoice.lines[0].events?.count == 1_000_000)
    }
}
