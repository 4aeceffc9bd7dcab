/// A printable, self-contained HTML invoice: one file, inline CSS, no scripts, no external
/// resources. Every text taken from the invoice is HTML-escaped.
public enum InvoiceHTML {
    /// The issuer printed at the top of every invoice.
    public static let issuerName = "PointConnect — LINE POINT Connect issuance"

    /// The complete HTML document of one invoice.
    public static func render(_ invoice: Invoice) -> String {
        let title = "\(invoice.displayNumber) · \(invoice.period) · \(invoice.merchantName)"
        var html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(escape(title))</title>
        <style>\(style)</style>
        </head>
        <body>
        <main class="invoice\(invoice.mode == .billable ? "" : " statement")">

        """
        if invoice.status != .issued {
            let banner = invoice.status == .draft ? "DRAFT — preview of an open period, not an invoice"
                : "STATEMENT — sandbox merchant, NOT BILLABLE"
            html += "<p class=\"banner\">\(escape(banner))</p>\n"
        }
        html += """
        <header>
        <div><h1>\(invoice.status == .notBillableStatement ? "Statement" : "Invoice")</h1>
        <p class="issuer">\(escape(issuerName))</p></div>
        <dl class="meta">
        <dt>Number</dt><dd>\(escape(invoice.displayNumber))</dd>
        <dt>Period</dt><dd>\(escape(invoice.period.description)) (Asia/Taipei)</dd>
        <dt>Unit price</dt><dd>\(escape(invoice.unitPrice.description)) per point</dd>
        </dl>
        </header>
        <section class="billto">
        <h2>\(invoice.status == .notBillableStatement ? "Statement for" : "Billed to")</h2>
        <p><strong>\(escape(invoice.merchantName))</strong><br>
        Unified Business Number \(escape(invoice.merchantTaxID))<br>
        Merchant ID \(escape(invoice.merchantID))</p>
        </section>
        <table class="lines">
        <thead><tr><th>Description</th><th class="num">Quantity</th><th class="num">Unit price (NT$)</th><th class="num">Amount (NT$)</th></tr></thead>
        <tbody>

        """
        for line in invoice.lines {
            let references = line.referenceSummary
            html += "<tr><td>\(escape(line.type.label))"
            if !references.isEmpty { html += "<div class=\"refs\">\(escape(references))</div>" }
            html += "</td><td class=\"num\">\(escape(grouped(line.quantity)))</td>"
            html += "<td class=\"num\">\(escape(unitPriceText(line)))</td>"
            html += "<td class=\"num\">\(escape(grouped(line.netAmount)))</td></tr>\n"
        }
        html += """
        </tbody>
        <tfoot>
        <tr><th colspan="3">Subtotal (tax-exclusive, taxable)</th><td class="num">\(escape(grouped(invoice.subtotal)))</td></tr>
        <tr><th colspan="3">VAT \(BillingMoney.taxRatePercent)% (rounded half-up to whole NT$)</th><td class="num">\(escape(grouped(invoice.tax)))</td></tr>
        <tr class="total"><th colspan="3">\(invoice.status == .notBillableStatement ? "Total (not billable)" : "Total due")</th><td class="num">\(escape(BillingMoney.format(invoice.total)))</td></tr>
        </tfoot>
        </table>
        <p class="balance">Credit balance: \(escape(BillingMoney.format(invoice.creditBalanceBefore))) before this \(invoice.status == .notBillableStatement ? "statement" : "invoice"), \(escape(BillingMoney.format(invoice.creditBalanceAfter))) carried to the next.</p>
        <footer>Amounts in New Taiwan dollars. Points are billed monthly in arrears at the contract's unit price; line amounts are rounded half-up from exact tenths of NT$. Each line lists the ledger events behind it (count and first/last sequence number); the full list is recomputable from the ledger.</footer>
        </main>
        </body>
        </html>

        """
        return html
    }

    /// Escapes `& < > " '` for use in HTML text and attribute values.
    public static func escape(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output
    }

    static func grouped(_ amount: Int64) -> String {
        let text = BillingMoney.format(amount)
        return amount < 0 ? "-" + text.dropFirst(4) : String(text.dropFirst(3))
    }

    /// Point prices with their tenth (`1.1`); the fee and balance lines as whole NT$ (`100,000`).
    static func unitPriceText(_ line: InvoiceLine) -> String {
        switch line.type {
        case .platformFee, .creditBroughtForward, .creditCarriedForward:
            return grouped(line.unitPriceTenths / 10)
        default:
            return tenths(line.unitPriceTenths)
        }
    }

    static func tenths(_ tenths: Int64) -> String {
        let text = BillingMoney.formatTenths(tenths)
        return String(text.dropFirst(3))
    }

    static let style = """
    @page { size: A4; margin: 16mm; }
    * { box-sizing: border-box; }
    body { margin: 0; background: #f3f4f6; font-family: "Helvetica Neue", Arial, "Noto Sans TC", sans-serif; color: #111827; font-size: 14px; }
    .invoice { max-width: 860px; margin: 24px auto; background: #fff; padding: 40px 48px; border: 1px solid #d1d5db; }
    .statement { border: 3px dashed #b45309; }
    .banner { margin: 0 0 24px; padding: 10px 14px; background: #fef3c7; color: #92400e; font-weight: 700; letter-spacing: .04em; border: 1px solid #f59e0b; }
    header { display: flex; justify-content: space-between; align-items: flex-start; gap: 24px; border-bottom: 2px solid #06c755; padding-bottom: 16px; }
    h1 { margin: 0; font-size: 28px; letter-spacing: .02em; }
    h2 { margin: 0 0 6px; font-size: 12px; text-transform: uppercase; color: #6b7280; letter-spacing: .08em; }
    .issuer { margin: 4px 0 0; color: #4b5563; }
    .meta { display: grid; grid-template-columns: auto auto; gap: 4px 16px; margin: 0; }
    .meta dt { color: #6b7280; }
    .meta dd { margin: 0; font-weight: 600; text-align: right; }
    .billto { margin: 20px 0; }
    .billto p { margin: 0; line-height: 1.5; }
    table.lines { width: 100%; border-collapse: collapse; margin-top: 8px; }
    .lines th, .lines td { padding: 8px 6px; border-bottom: 1px solid #e5e7eb; vertical-align: top; text-align: left; }
    .lines thead th { font-size: 12px; text-transform: uppercase; color: #6b7280; letter-spacing: .05em; border-bottom: 2px solid #9ca3af; }
    .lines .num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
    .lines tfoot th { text-align: right; font-weight: 500; }
    .lines tfoot .total th, .lines tfoot .total td { font-size: 17px; font-weight: 700; border-top: 2px solid #111827; border-bottom: none; }
    .refs { margin-top: 3px; font-size: 11px; color: #6b7280; word-break: break-all; }
    .balance { margin: 16px 0 0; color: #374151; }
    footer { margin-top: 28px; padding-top: 12px; border-top: 1px solid #e5e7eb; font-size: 11px; color: #6b7280; line-height: 1.5; }
    @media print { body { background: #fff; } .invoice { margin: 0; border: none; padding: 0; max-width: none; } .statement { border: none; } }
    """
}
