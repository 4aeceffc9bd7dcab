import PointCore
import Testing

/// The worked examples of docs/billing.md, number for number.
@Suite("docs/billing.md worked examples")
struct BillingWorkedExampleTests {
    typealias F = BillingFixture

    @Test("Example 1: an ordinary month at NT$1.1")
    func ordinaryMonth() throws {
        var book = SettlementBook()
        try book.setProfile(F.profile(), resumingFrom: F.feePaidForFirstYear)
        try book.recordGrant(merchantID: F.merchantID, seq: 10, orderID: "ord-1", points: 12_000, at: F.time("2026-03", day: 2))
        try book.recordGrant(merchantID: F.merchantID, seq: 11, orderID: "ord-2", points: 345, at: F.time("2026-03", day: 20))
        try book.recordRevocation(merchantID: F.merchantID, seq: 12, revocationID: "rv-1", points: 345,
                                  grantPeriod: F.month("2026-03"), billedUnitPriceTenths: 11, at: F.time("2026-03", day: 21))
        let invoices = try book.close(F.month("2026-03"), now: F.month("2026-04").startInstant)
        let invoice = try #require(invoices.first)
        #expect(invoice.number?.description == "PC-2026-000001")
        #expect(F.summary(invoice) == ["points_granted 12345×11 = 13580", "revocation_credit 345×11 = -380"])
        #expect(invoice.subtotal == 13_200 && invoice.tax == 660 && invoice.total == 13_860)
        #expect(invoice.lines[0].events?.count == 2 && invoice.lines[0].events?.firstID == "ord-1" && invoice.lines[0].events?.lastSeq == 11)
        #expect(invoice.isConsistent)
    }

    @Test("Example 2: a contract starting mid-month pays the fee in its start month and each anniversary")
    func contractStart() throws {
        var book = SettlementBook()
        // Contract signed 2026-03-15: its start month is 2026-03.
        try book.setProfile(F.profile(start: "2026-03"))
        try book.recordGrant(merchantID: F.merchantID, seq: 1, orderID: "o-1", points: 10_000, at: F.time("2026-03", day: 15))
        let march = try #require(book.close(F.month("2026-03"), now: F.month("2026-04").startInstant).first)
        #expect(F.summary(march) == ["platform_fee 1×1000000 = 100000", "points_granted 10000×11 = 11000"])
        #expect(march.subtotal == 111_000 && march.tax == 5_550 && march.total == 116_550)
        #expect(march.lines[0].contractYear == 0)
        var month = F.month("2026-04")
        var feeMonths: [String] = []
        while month <= F.month("2027-03") {
            try book.recordGrant(merchantID: F.merchantID, seq: UInt64(month.ordinal), orderID: "o-\(month)", points: 100,
                                 at: month.startInstant)
            let invoice = try #require(book.close(month, now: month.endInstant).first)
            if invoice.lines.contains(where: { $0.type == .platformFee }) { feeMonths.append(month.description) }
            guard let next = month.next else { break }
            month = next
        }
        #expect(feeMonths == ["2027-03"])
    }

    @Test("Example 3: an NT$1.2 contract")
    func legacyPrice() throws {
        let calculation = try InvoiceCalculator.calculate(profile: F.profile(priceTenths: 12), period: F.month("2026-03"),
                                                          activity: activity(grants: [1_001]), state: fresh(feeThrough: 0))
        let invoice = try #require(calculation.invoice)
        #expect(F.summary(invoice) == ["points_granted 1001×12 = 1201"])
        #expect(invoice.subtotal == 1_201 && invoice.tax == 60 && invoice.total == 1_261)
    }

    @Test("Example 4: rounding at .5 — line and tax")
    func roundingAtHalf() throws {
        let five = try #require(InvoiceCalculator.calculate(profile: F.profile(), period: F.month("2026-03"),
                                                            activity: activity(grants: [5]), state: fresh(feeThrough: 0)).invoice)
        #expect(F.summary(five) == ["points_granted 5×11 = 6"]) // 5.5 → 6
        #expect(five.tax == 0 && five.total == 6)              // 0.3 → 0
        let nine = try #require(InvoiceCalculator.calculate(profile: F.profile(), period: F.month("2026-03"),
                                                            activity: activity(grants: [9]), state: fresh(feeThrough: 0)).invoice)
        #expect(nine.subtotal == 10 && nine.tax == 1 && nine.total == 11) // 9.9 → 10; tax 0.5 → 1
    }

    @Test("Example 5: revoking a grant from a closed month credits the open month, citing the earlier invoice")
    func revocationOfClosedMonthGrant() throws {
        var book = SettlementBook()
        try book.setProfile(F.profile(), resumingFrom: F.feePaidForFirstYear)
        try book.recordGrant(merchantID: F.merchantID, seq: 1, orderID: "o-1", points: 1_000, at: F.time("2026-03"))
        let march = try #require(book.close(F.month("2026-03"), now: F.month("2026-04").startInstant).first)
        #expect(march.total == 1_155) // 1,100 + 55
        #expect(throws: BillingError.periodAlreadyClosed(month: F.month("2026-03"))) {
            try book.recordGrant(merchantID: F.merchantID, seq: 2, orderID: "late", points: 1, at: F.time("2026-03", day: 31))
        }
        try book.recordGrant(merchantID: F.merchantID, seq: 3, orderID: "o-2", points: 300, at: F.time("2026-04", day: 3))
        try book.recordRevocation(merchantID: F.merchantID, seq: 4, revocationID: "rv-1", points: 200, grantPeriod: F.month("2026-03"),
                                  billedUnitPriceTenths: 11, at: F.time("2026-04", day: 5))
        let april = try #require(book.close(F.month("2026-04"), now: F.month("2026-05").startInstant).first)
        #expect(F.summary(april) == ["points_granted 300×11 = 330", "revocation_credit 200×11 = -220"])
        #expect(april.lines[1].cites?.description == "PC-2026-000001")
        #expect(april.subtotal == 110 && april.tax == 6 && april.total == 116) // tax 5.5 → 6
        #expect(april.number?.description == "PC-2026-000002")
    }

    @Test("Example 6: findings before close, after close, and withdrawn")
    func findings() throws {
        var book = SettlementBook()
        try book.setProfile(F.profile(), resumingFrom: F.feePaidForFirstYear)
        try book.recordGrant(merchantID: F.merchantID, seq: 1, orderID: "o-1", points: 1_000, at: F.time("2026-04", day: 1))
        try book.recordRevocation(merchantID: F.merchantID, seq: 2, revocationID: "rv-early", points: 100, grantPeriod: F.month("2026-04"),
                                  billedUnitPriceTenths: 11, at: F.time("2026-04", day: 2))
        try book.recordRevocation(merchantID: F.merchantID, seq: 3, revocationID: "rv-late", points: 200, grantPeriod: F.month("2026-04"),
                                  billedUnitPriceTenths: 11, at: F.time("2026-04", day: 3))
        // Before close: the finding stands when April closes → no credit, shown for the record.
        try book.recordFinding(revocationID: "rv-early", seq: 4, at: F.time("2026-04", day: 20))
        let april = try #require(book.close(F.month("2026-04"), now: F.month("2026-05").startInstant).first)
        #expect(F.summary(april) == ["points_granted 1000×11 = 1100", "revocation_credit 200×11 = -220",
                                     "revocation_not_credited 100×11 = 0"])
        #expect(april.subtotal == 880 && april.tax == 44 && april.total == 924)
        // After close: the credit given in April is charged back in May, citing April's invoice.
        try book.recordFinding(revocationID: "rv-late", seq: 5, at: F.time("2026-05", day: 6))
        let may = try #require(book.close(F.month("2026-05"), now: F.month("2026-06").startInstant).first)
        #expect(F.summary(may) == ["late_finding_charge 200×11 = 220"])
        #expect(may.lines[0].cites?.description == "PC-2026-000001")
        #expect(may.subtotal == 220 && may.tax == 11 && may.total == 231)
        // Withdrawn in June: credited again, the same way.
        try book.recordFindingWithdrawn(revocationID: "rv-late", seq: 6, at: F.time("2026-06", day: 2))
        try book.recordGrant(merchantID: F.merchantID, seq: 7, orderID: "o-2", points: 500, at: F.time("2026-06", day: 3))
        let june = try #require(book.close(F.month("2026-06"), now: F.month("2026-07").startInstant).first)
        #expect(F.summary(june) == ["points_granted 500×11 = 550", "withdrawn_finding_credit 200×11 = -220"])
        #expect(june.lines[1].cites?.description == "PC-2026-000001")
        #expect(june.subtotal == 330 && june.tax == 17 && june.total == 347) // 16.5 → 17
    }

    @Test("Example 7: excess credit carries forward over several months")
    func carryForward() throws {
        var book = SettlementBook()
        try book.setProfile(F.profile(), resumingFrom: F.feePaidForFirstYear)
        try book.recordGrant(merchantID: F.merchantID, seq: 1, orderID: "o-feb", points: 2_000, at: F.time("2026-02"))
        _ = try book.close(F.month("2026-02"), now: F.month("2026-03").startInstant)
        try book.recordGrant(merchantID: F.merchantID, seq: 2, orderID: "o-mar", points: 100, at: F.time("2026-03"))
        try book.recordRevocation(merchantID: F.merchantID, seq: 3, revocationID: "rv-1", points: 1_000, grantPeriod: F.month("2026-02"),
                                  billedUnitPriceTenths: 11, at: F.time("2026-03", day: 11))
        let march = try #require(book.close(F.month("2026-03"), now: F.month("2026-04").startInstant).first)
        #expect(F.summary(march) == ["points_granted 100×11 = 110", "revocation_credit 1000×11 = -1100", "credit_carried_forward 1×9900 = 990"])
        #expect(march.subtotal == 0 && march.tax == 0 && march.total == 0 && march.creditBalanceAfter == 990)
        try book.recordGrant(merchantID: F.merchantID, seq: 4, orderID: "o-apr", points: 500, at: F.time("2026-04"))
        let april = try #require(book.close(F.month("2026-04"), now: F.month("2026-05").startInstant).first)
        #expect(F.summary(april) == ["points_granted 500×11 = 550", "credit_brought_forward 1×5500 = -550"])
        #expect(april.total == 0 && april.creditBalanceAfter == 440)
        // May: nothing at all — no invoice; the credit waits.
        #expect(try book.close(F.month("2026-05"), now: F.month("2026-06").startInstant).isEmpty)
        #expect(book.states[F.merchantID]?.creditBalance == 440)
        try book.recordGrant(merchantID: F.merchantID, seq: 5, orderID: "o-jun", points: 1_000, at: F.time("2026-06"))
        let june = try #require(book.close(F.month("2026-06"), now: F.month("2026-07").startInstant).first)
        #expect(F.summary(june) == ["points_granted 1000×11 = 1100", "credit_brought_forward 1×4400 = -440"])
        #expect(june.subtotal == 660 && june.tax == 33 && june.total == 693 && june.creditBalanceAfter == 0)
        #expect(june.number?.description == "PC-2026-000004")
    }

    @Test("Example 8: zero-activity months — nothing, or the fee alone")
    func zeroActivity() throws {
        var book = SettlementBook()
        try book.setProfile(F.profile(start: "2025-06"))
        _ = try book.close(F.month("2025-06"), now: F.month("2025-07").startInstant) // fee-only start month
        var month = F.month("2025-07")
        while month < F.month("2026-06") {
            #expect(try book.close(month, now: month.endInstant).isEmpty)
            guard let next = month.next else { break }
            month = next
        }
        let anniversary = try #require(book.close(F.month("2026-06"), now: F.month("2026-07").startInstant).first)
        #expect(F.summary(anniversary) == ["platform_fee 1×1000000 = 100000"])
        #expect(anniversary.tax == 5_000 && anniversary.total == 105_000)
        #expect(anniversary.number?.description == "PC-2026-000001") // empty months took no numbers
    }

    @Test("Example 9: sandbox statements are not billable and take no invoice number")
    func sandboxStatement() throws {
        var book = SettlementBook()
        try book.setProfile(F.profile("1650000001"), resumingFrom: F.feePaidForFirstYear)
        try book.setProfile(F.profile("1650000000", start: "2026-03", mode: .sandboxStatement))
        try book.recordGrant(merchantID: "1650000000", seq: 1, orderID: "t-1", points: 50, at: F.time("2026-03"))
        try book.recordGrant(merchantID: "1650000001", seq: 2, orderID: "p-1", points: 50, at: F.time("2026-03"))
        let invoices = try book.close(F.month("2026-03"), now: F.month("2026-04").startInstant)
        #expect(invoices.map(\.status) == [.notBillableStatement, .issued])
        #expect(invoices[0].number == nil && invoices[1].number?.description == "PC-2026-000001")
        #expect(invoices[0].total == 105_058) // the fee and 55 points' worth, shown but not billable
    }

    func activity(grants: [Int64]) throws -> PeriodActivity {
        var activity = PeriodActivity()
        for (index, points) in grants.enumerated() {
            try activity.recordGrant(seq: UInt64(index + 1), orderID: "o-\(index + 1)", points: points)
        }
        return activity
    }

    func fresh(feeThrough contractYear: Int?) -> MerchantBillingState {
        MerchantBillingState(creditBalance: 0, platformFeeChargedThroughContractYear: contractYear, mode: .billable)
    }
}
