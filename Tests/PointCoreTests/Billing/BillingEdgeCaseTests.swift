import PointCore
import Testing

@Suite("Billing edge cases")
struct BillingEdgeCaseTests {
    typealias F = BillingFixture

    @Test("A period closes only after it ended in Asia/Taipei, once, and in order")
    func closingRules() throws {
        var book = SettlementBook()
        book.setProfile(try F.profile(), resumingFrom: F.feePaidForFirstYear)
        let march = F.month("2026-03")
        #expect(throws: BillingError.self) { try book.close(march, now: march.endInstant - 1) }
        try book.recordGrant(merchantID: F.merchantID, seq: 1, orderID: "o-1", points: 10, at: F.time("2026-02"))
        #expect(throws: BillingError.periodNotClosable(month: march, reason: "the earlier period 2026-02 has activity and is still open")) {
            try book.close(march, now: march.endInstant)
        }
        _ = try book.close(F.month("2026-02"), now: march.startInstant)
        #expect(throws: BillingError.self) { try book.close(F.month("2026-02"), now: march.endInstant) }
        #expect(throws: BillingError.periodNotClosable(month: F.month("2026-04"), reason: "2026-03 is next, the month after the last closed (2026-02)")) {
            try book.close(F.month("2026-04"), now: F.month("2026-05").startInstant)
        }
        #expect(throws: BillingError.unknownMerchant(merchantID: "nobody")) {
            try book.recordGrant(merchantID: "nobody", seq: 2, orderID: "o", points: 1, at: F.time("2026-03"))
        }
        #expect(throws: BillingError.unknownRevocation(revocationID: "rv-x")) {
            try book.recordFinding(revocationID: "rv-x", seq: 3, at: F.time("2026-03"))
        }
    }

    @Test("The first event at 00:00 Asia/Taipei on the 1st belongs to the new month")
    func boundaryEvent() throws {
        var book = SettlementBook()
        book.setProfile(try F.profile(), resumingFrom: F.feePaidForFirstYear)
        let april = F.month("2026-04")
        try book.recordGrant(merchantID: F.merchantID, seq: 1, orderID: "last-of-march", points: 10, at: april.startInstant - 1)
        try book.recordGrant(merchantID: F.merchantID, seq: 2, orderID: "first-of-april", points: 20, at: april.startInstant)
        let march = try #require(book.close(F.month("2026-03"), now: april.startInstant).first)
        #expect(march.lines.map(\.quantity) == [10])
        #expect(try book.preview(april).first?.lines.map(\.quantity) == [20])
    }

    @Test("A preview equals the close except for the number, and takes none")
    func previewMatchesClose() throws {
        var book = SettlementBook()
        book.setProfile(try F.profile(), resumingFrom: F.feePaidForFirstYear)
        try book.recordGrant(merchantID: F.merchantID, seq: 1, orderID: "o-1", points: 777, at: F.time("2026-03"))
        let draft = try #require(book.preview(F.month("2026-03")).first)
        #expect(draft.status == .draft && draft.number == nil)
        #expect(book.numbering.lastSerialByYear.isEmpty)
        var issued = try #require(book.close(F.month("2026-03"), now: F.month("2026-04").startInstant).first)
        #expect(issued.status == .issued)
        issued.number = nil
        #expect(issued == draft)
    }

    @Test("A finding and its withdrawal in the same later month net to nothing; repeats change nothing")
    func findingNoise() throws {
        var book = SettlementBook()
        book.setProfile(try F.profile(), resumingFrom: F.feePaidForFirstYear)
        try book.recordGrant(merchantID: F.merchantID, seq: 1, orderID: "o-1", points: 100, at: F.time("2026-03"))
        try book.recordRevocation(merchantID: F.merchantID, seq: 2, revocationID: "rv-1", points: 100, grantPeriod: F.month("2026-03"),
                                  billedUnitPriceTenths: 11, at: F.time("2026-03", day: 12))
        let march = try #require(book.close(F.month("2026-03"), now: F.month("2026-04").startInstant).first)
        #expect(march.total == 0 && march.lines.count == 2)
        try book.recordFinding(revocationID: "rv-1", seq: 3, at: F.time("2026-04", day: 2))
        try book.recordFinding(revocationID: "rv-1", seq: 4, at: F.time("2026-04", day: 3)) // already standing
        try book.recordFindingWithdrawn(revocationID: "rv-1", seq: 5, at: F.time("2026-04", day: 4))
        try book.recordFindingWithdrawn(revocationID: "rv-1", seq: 6, at: F.time("2026-04", day: 5)) // nothing stands
        let april = try #require(book.close(F.month("2026-04"), now: F.month("2026-05").startInstant).first)
        #expect(F.summary(april) == ["late_finding_charge 100×11 = 110", "withdrawn_finding_credit 100×11 = -110"])
        #expect(april.total == 0)
    }

    @Test("A finding recorded in the next month before the close still denies the credit")
    func findingAfterPeriodBeforeClose() throws {
        var book = SettlementBook()
        book.setProfile(try F.profile(), resumingFrom: F.feePaidForFirstYear)
        try book.recordGrant(merchantID: F.merchantID, seq: 1, orderID: "o-1", points: 100, at: F.time("2026-03"))
        try book.recordRevocation(merchantID: F.merchantID, seq: 2, revocationID: "rv-1", points: 40, grantPeriod: F.month("2026-03"),
                                  billedUnitPriceTenths: 11, at: F.time("2026-03", day: 30))
        try book.recordFinding(revocationID: "rv-1", seq: 3, at: F.time("2026-04", day: 1))
        let march = try #require(book.close(F.month("2026-03"), now: F.time("2026-04", day: 2)).first)
        #expect(F.summary(march) == ["points_granted 100×11 = 110", "revocation_not_credited 40×11 = 0"])
        #expect(try book.preview(F.month("2026-04")).isEmpty)
    }

    @Test("Credits are given at the price the grant was billed at, one line per price and earlier invoice")
    func creditsAtBilledPrice() throws {
        var activity = PeriodActivity()
        let january = CitedDocument(period: F.month("2026-01"), invoiceNumber: try InvoiceNumber(year: 2026, serial: 3))
        let february = CitedDocument(period: F.month("2026-02"), invoiceNumber: try InvoiceNumber(year: 2026, serial: 9))
        try activity.recordGrant(seq: 10, orderID: "o", points: 1_000)
        try activity.recordRevocation(seq: 11, revocationID: "a", points: 5, billedUnitPriceTenths: 12, grantBilledOn: january, hasStandingFinding: false)
        try activity.recordRevocation(seq: 12, revocationID: "b", points: 5, billedUnitPriceTenths: 11, grantBilledOn: february, hasStandingFinding: false)
        try activity.recordRevocation(seq: 13, revocationID: "c", points: 5, billedUnitPriceTenths: 12, grantBilledOn: january, hasStandingFinding: false)
        try activity.recordRevocation(seq: 14, revocationID: "d", points: 3, billedUnitPriceTenths: 11, grantBilledOn: nil, hasStandingFinding: false)
        let invoice = try #require(InvoiceCalculator.calculate(profile: F.profile(), period: F.month("2026-03"), activity: activity,
                                                               state: F.feePaidForFirstYear).invoice)
        #expect(F.summary(invoice) == ["points_granted 1000×11 = 1100", "revocation_credit 3×11 = -3", "revocation_credit 10×12 = -12",
                                       "revocation_credit 5×11 = -6"])
        #expect(invoice.lines.map { $0.cites?.description ?? "-" } == ["-", "-", "PC-2026-000003", "PC-2026-000009"])
        #expect(invoice.lines[2].events?.summary == "2 events, seq 11 (a) … 13 (c)")
        #expect(invoice.subtotal == 1_079 && invoice.isConsistent)
    }

    @Test("Going live starts afresh: sandbox grants are never credited, the year's fee falls due on the first invoice")
    func goLive() throws {
        var book = SettlementBook()
        var profile = try F.profile(start: "2026-01", mode: .sandboxStatement)
        book.setProfile(profile)
        try book.recordGrant(merchantID: F.merchantID, seq: 1, orderID: "t-1", points: 10, at: F.time("2026-01"))
        try book.recordRevocation(merchantID: F.merchantID, seq: 2, revocationID: "rv-t", points: 10, grantPeriod: F.month("2026-01"),
                                  billedUnitPriceTenths: 11, at: F.time("2026-02"))
        let january = try #require(book.close(F.month("2026-01"), now: F.month("2026-02").startInstant).first)
        #expect(january.status == .notBillableStatement && january.lines.first?.type == .platformFee)
        profile.mode = .billable
        book.setProfile(profile)
        // February's revocation of a sandbox grant (never invoiced) gets no credit on the now
        // billable invoice; the fee of the contract year falls due on the first invoice.
        let february = try #require(book.close(F.month("2026-02"), now: F.month("2026-03").startInstant).first)
        #expect(F.summary(february) == ["platform_fee 1×1000000 = 100000"])
        #expect(february.number?.description == "PC-2026-000001" && february.creditBalanceBefore == 0)
        // A finding on that revocation later changes nothing.
        try book.recordFinding(revocationID: "rv-t", seq: 3, at: F.time("2026-03"))
        #expect(try book.preview(F.month("2026-03")).isEmpty)
    }

    @Test("Bounds: a quantity beyond 10^12 points is refused, not wrapped")
    func quantityBounds() throws {
        var activity = PeriodActivity()
        try activity.recordGrant(seq: 1, orderID: "a", points: BillingMoney.maximumPoints)
        #expect(throws: BillingError.pointsOutOfRange(points: BillingMoney.maximumPoints + 1)) {
            try activity.recordGrant(seq: 2, orderID: "b", points: 1)
        }
        #expect(throws: BillingError.unitPriceOutOfRange(tenths: 0)) {
            try activity.recordRevocation(seq: 3, revocationID: "r", points: 1, billedUnitPriceTenths: 0, grantBilledOn: nil, hasStandingFinding: false)
        }
    }
}
