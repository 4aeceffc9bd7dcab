import PointCore
import Testing

@Suite("Billing periods in Asia/Taipei")
struct BillingPeriodTests {
    @Test("YYYY-MM parses strictly and formats back")
    func parseAndFormat() throws {
        let march = try BillingMonth(parsing: "2026-03")
        #expect(march.year == 2026 && march.month == 3)
        #expect(march.description == "2026-03")
        #expect(try BillingMonth(year: 1970, month: 12).description == "1970-12")
        for text in ["2026-3", "2026-13", "2026-00", "26-03", "2026/03", "2026-03 ", "２０２６-03", "1969-12", "+026-03", ""] {
            #expect(throws: BillingError.self) { try BillingMonth(parsing: text) }
        }
        #expect(throws: BillingError.malformedMonth(text: "2026-13", reason: "the month must be 01…12")) {
            try BillingMonth(parsing: "2026-13")
        }
        #expect(throws: BillingError.monthOutOfRange(year: 2026, month: 0)) { try BillingMonth(year: 2026, month: 0) }
    }

    @Test("A ledger time belongs to its Asia/Taipei month (UTC+8)")
    func taipeiMonth() throws {
        let aprilStartUTC: Int64 = 1_774_972_800_000_000 // 2026-03-31T16:00:00Z = 2026-04-01T00:00+08:00
        #expect(try BillingMonth(containingLedgerTime: aprilStartUTC - 1).description == "2026-03")
        #expect(try BillingMonth(containingLedgerTime: aprilStartUTC).description == "2026-04")
        #expect(try BillingMonth(containingLedgerTime: 0).description == "1970-01")
        #expect(try BillingMonth(containingLedgerTime: 1_767_196_800_000_000).description == "2026-01") // New Year, Taipei
        let march = try BillingMonth(parsing: "2026-03")
        #expect(march.endInstant == aprilStartUTC)
        #expect(march.next?.startInstant == aprilStartUTC)
        #expect(march.contains(ledgerTime: aprilStartUTC - 1) && !march.contains(ledgerTime: aprilStartUTC))
        #expect(!march.hasEnded(at: aprilStartUTC - 1))
        #expect(march.hasEnded(at: aprilStartUTC))
        #expect(throws: BillingError.ledgerTimeOutOfRange(micros: Int64.max)) { try BillingMonth(containingLedgerTime: .max) }
    }

    @Test("Month arithmetic across years and leap Februaries")
    func arithmetic() throws {
        let december = try BillingMonth(parsing: "2026-12")
        #expect(december.next?.description == "2027-01")
        #expect(december.adding(months: -12)?.description == "2025-12")
        #expect(try BillingMonth(parsing: "2028-03").months(since: december) == 15)
        let february2028 = try BillingMonth(parsing: "2028-02")
        #expect(february2028.endInstant - february2028.startInstant == 29 * 86_400_000_000)
        #expect(BillingMonth(ordinal: 1970 * 12 - 1) == nil)
        #expect(try BillingMonth(parsing: "9999-12").next == nil)
        // Every month boundary of four years round-trips through the ledger-time mapping.
        var month = try BillingMonth(parsing: "2025-01")
        for _ in 0..<48 {
            #expect(try BillingMonth(containingLedgerTime: month.startInstant) == month)
            #expect(try BillingMonth(containingLedgerTime: month.endInstant - 1) == month)
            guard let next = month.next else { break }
            month = next
        }
    }
}

@Suite("Billing money and invoice numbers")
struct BillingMoneyTests {
    @Test("Half-up rounding at .5, mirrored for credits")
    func rounding() {
        #expect(BillingMoney.roundTenthsHalfUp(55) == 6)
        #expect(BillingMoney.roundTenthsHalfUp(54) == 5)
        #expect(BillingMoney.roundTenthsHalfUp(-55) == -6)
        #expect(BillingMoney.roundTenthsHalfUp(-54) == -5)
        #expect(BillingMoney.roundTenthsHalfUp(0) == 0)
        #expect((try? BillingMoney.lineAmount(quantity: 5, unitPriceTenths: 11)) == 6)   // 5.5 → 6
        #expect((try? BillingMoney.lineAmount(quantity: 4, unitPriceTenths: 11)) == 4)   // 4.4 → 4
        #expect((try? BillingMoney.lineAmount(quantity: 1_001, unitPriceTenths: 12)) == 1_201) // 1,201.2
    }

    @Test("VAT: 5% of the taxable total, half-up to whole NT$")
    func vat() throws {
        #expect(try BillingMoney.tax(onTaxableTotal: 10) == 1)  // 0.5 → 1
        #expect(try BillingMoney.tax(onTaxableTotal: 9) == 0)   // 0.45 → 0
        #expect(try BillingMoney.tax(onTaxableTotal: 13_200) == 660)
        #expect(try BillingMoney.tax(onTaxableTotal: 0) == 0)
        #expect(throws: BillingError.self) { try BillingMoney.tax(onTaxableTotal: -1) }
    }

    @Test("Overflow and bounds are refused, never wrapped")
    func bounds() throws {
        #expect(throws: BillingError.self) { try BillingMoney.lineAmount(quantity: .max, unitPriceTenths: 11) }
        #expect(throws: BillingError.self) { try BillingMoney.add(BillingMoney.maximumAmount, 1, "sum") }
        #expect(throws: BillingError.pointsOutOfRange(points: 0)) { try BillingMoney.addPoints(0, 0) }
        #expect(throws: BillingError.self) { try BillingMoney.addPoints(BillingMoney.maximumPoints, 1) }
        #expect(throws: BillingError.unitPriceOutOfRange(tenths: 0)) { try UnitPrice(tenths: 0) }
        var activity = PeriodActivity()
        #expect(throws: BillingError.pointsOutOfRange(points: -3)) { try activity.recordGrant(seq: 1, orderID: "o", points: -3) }
        #expect(BillingMoney.format(1_234_567) == "NT$1,234,567")
        #expect(BillingMoney.format(-220) == "-NT$220")
        #expect(UnitPrice.standard.description == "NT$1.1")
    }

    @Test("Invoice numbers: PC-YYYY-NNNNNN, gapless per year")
    func numbers() throws {
        var sequence = InvoiceNumberSequence()
        let december = try BillingMonth(parsing: "2026-12")
        #expect(try sequence.next(for: december).description == "PC-2026-000001")
        #expect(try sequence.next(for: december).description == "PC-2026-000002")
        let january = try BillingMonth(parsing: "2027-01")
        #expect(try sequence.next(for: january).description == "PC-2027-000001")
        #expect(try InvoiceNumber(parsing: "PC-2026-000123") == InvoiceNumber(year: 2026, serial: 123))
        for text in ["PC-2026-0001", "PC-2026-000000", "XX-2026-000001", "PC-2026-00001a"] {
            #expect(throws: BillingError.self) { try InvoiceNumber(parsing: text) }
        }
        var full = InvoiceNumberSequence(lastSerialByYear: [2026: InvoiceNumber.maximumSerial])
        #expect(throws: BillingError.invoiceNumbersExhausted(year: 2026)) { try full.next(for: december) }
    }
}
