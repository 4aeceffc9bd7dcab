import Foundation
import PointCore
import PointJSON
import Testing

@Suite("Invoice exports")
struct BillingExportTests {
    typealias F = BillingFixture

    static func sample(name: String = "Formosa Rewards Co.") throws -> Invoice {
        var book = SettlementBook()
        var profile = try F.profile()
        profile.merchantName = name
        book.setProfile(profile, resumingFrom: F.feePaidForFirstYear)
        try book.recordGrant(merchantID: F.merchantID, seq: 1, orderID: "o-1", points: 1_000, at: F.time("2026-03"))
        _ = try book.close(F.month("2026-03"), now: F.month("2026-04").startInstant)
        try book.recordGrant(merchantID: F.merchantID, seq: 2, orderID: "o-2", points: 12_000, at: F.time("2026-04", day: 2))
        try book.recordGrant(merchantID: F.merchantID, seq: 3, orderID: "o-3,\"x\"", points: 345, at: F.time("2026-04", day: 9))
        try book.recordRevocation(merchantID: F.merchantID, seq: 4, revocationID: "rv-1", points: 200, grantPeriod: F.month("2026-03"),
                                  billedUnitPriceTenths: 11, at: F.time("2026-04", day: 11))
        return try #require(book.close(F.month("2026-04"), now: F.month("2026-05").startInstant).first)
    }

    @Test("JSON: canonical, integers only, every line with its references")
    func json() throws {
        let invoice = try Self.sample()
        let text = CanonicalJSON.string(invoice.json)
        #expect(text.hasPrefix(#"{"billable":true,"creditBalanceAfter":0,"creditBalanceBefore":0,"currency":"TWD","lines":[{"events":{"count":2,"firstId":"o-2","firstSeq":2,"lastId":"o-3,\"x\"","lastSeq":3},"label":"LINE POINTS granted","netAmount":13580,"quantity":12345,"type":"points_granted","unitPriceTenths":11},{"cites":{"invoiceNumber":"PC-2026-000001","period":"2026-03"}"#))
        #expect(text.hasSuffix(#""merchantId":"1650000001","merchantName":"Formosa Rewards Co.","merchantTaxId":"04595257","number":"PC-2026-000002","period":"2026-04","status":"issued","subtotal":13360,"tax":668,"taxRatePercent":5,"total":14028,"unitPriceTenths":11}"#))
    }

    @Test("CSV: RFC 4180 quoting, CRLF, net sums to the subtotal, a total row")
    func csv() throws {
        let invoice = try Self.sample()
        let csv = InvoiceCSV.document([invoice])
        let rows = csv.components(separatedBy: "\r\n")
        #expect(rows[0] == "invoice_number,period,merchant_tax_id,line_type,quantity,unit_price,net,tax,total,references")
        #expect(rows[1] == #"PC-2026-000002,2026-04,04595257,points_granted,12345,1.1,13580,,,"2 events, seq 2 (o-2) … 3 (o-3,""x"")""#)
        #expect(rows[2] == "PC-2026-000002,2026-04,04595257,revocation_credit,200,1.1,-220,,,\"1 event, seq 4 (rv-1); cites PC-2026-000001\"")
        #expect(rows[3] == "PC-2026-000002,2026-04,04595257,invoice_total,,,13360,668,14028,")
        #expect(rows[4] == "" && rows.count == 5)
        #expect(InvoiceCSV.quoted("plain") == "plain")
        #expect(InvoiceCSV.quoted("a\nb") == "\"a\nb\"")
    }

    @Test("HTML: self-contained, everything escaped, draft and statement banners")
    func html() throws {
        let invoice = try Self.sample(name: "<script>alert('x')</script> & Sons \"Ltd\"")
        let html = InvoiceHTML.render(invoice)
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Sons &quot;Ltd&quot;"))
        #expect(html.contains("o-3,&quot;x&quot;"))
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("<link") && !html.contains("src="))
        #expect(html.contains("PC-2026-000002") && html.contains("NT$14,028") && html.contains("13,580"))
        var draft = invoice
        draft.number = nil
        #expect(InvoiceHTML.render(draft).contains("DRAFT — preview of an open period"))
        draft.mode = .sandboxStatement
        #expect(InvoiceHTML.render(draft).contains("NOT BILLABLE"))
        if let path = ProcessInfo.processInfo.environment["BILLING_HTML_SAMPLE"] {
            try InvoiceHTML.render(invoice).write(toFile: path, atomically: true, encoding: .utf8)
            var statement = try #require(InvoiceCalculator.calculate(profile: F.profile(start: "2026-04", mode: .sandboxStatement),
                                                                     period: F.month("2026-04"), activity: PeriodActivity(),
                                                                     state: .initial).invoice)
            statement.merchantName = "Formosa Rewards Co. (sandbox)"
            try InvoiceHTML.render(statement).write(toFile: path + ".statement.html", atomically: true, encoding: .utf8)
        }
    }
}
