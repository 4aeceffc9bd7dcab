/// CSV export of invoices (RFC 4180: comma separated, CRLF line ends, fields quoted when they
/// contain a comma, a double quote, CR or LF, with inner quotes doubled).
///
/// Columns: `invoice_number, period, merchant_tax_id, line_type, quantity, unit_price, net,
/// tax, total, references`. Each invoice gives one row per line (tax and total empty, so the
/// `net` column sums to the subtotal) and then one `invoice_total` row whose `net` is the
/// subtotal and which carries the tax and the total. `unit_price` is NT$ with one decimal
/// (`1.1`); `net`, `tax` and `total` are whole NT$. Drafts show `DRAFT` and sandbox statements
/// `STATEMENT` in place of an invoice number.
public enum InvoiceCSV {
    /// The header row's fields.
    public static let header = ["invoice_number", "period", "merchant_tax_id", "line_type", "quantity",
                                "unit_price", "net", "tax", "total", "references"]

    /// The header and every invoice's rows, each row ending in CRLF.
    public static func document(_ invoices: [Invoice]) -> String {
        var output = row(header)
        for invoice in invoices { output += rows(invoice) }
        return output
    }

    /// One invoice's rows (no header).
    public static func rows(_ invoice: Invoice) -> String {
        let number: String
        switch invoice.status {
        case .issued: number = invoice.number?.description ?? "DRAFT"
        case .draft: number = "DRAFT"
        case .notBillableStatement: number = "STATEMENT"
        }
        let period = invoice.period.description
        var output = ""
        for line in invoice.lines {
            output += row([number, period, invoice.merchantTaxID, line.type.rawValue, String(line.quantity),
                           decimalTenths(line.unitPriceTenths), String(line.netAmount), "", "", line.referenceSummary])
        }
        output += row([number, period, invoice.merchantTaxID, "invoice_total", "", "", String(invoice.subtotal),
                       String(invoice.tax), String(invoice.total), ""])
        return output
    }

    /// One row: fields quoted as needed, joined by commas, ended by CRLF.
    public static func row(_ fields: [String]) -> String {
        fields.map(quoted).joined(separator: ",") + "\r\n"
    }

    /// A field quoted per RFC 4180 when it needs to be.
    public static func quoted(_ field: String) -> String {
        let needsQuotes = field.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0D || $0 == 0x0A }
        guard needsQuotes else { return field }
        var escaped = "\""
        for character in field.unicodeScalars {
            if character == "\"" { escaped += "\"\"" } else { escaped.unicodeScalars.append(character) }
        }
        return escaped + "\""
    }

    /// `1.1` from 11 tenths (no grouping, a leading minus when negative).
    static func decimalTenths(_ tenths: Int64) -> String {
        let magnitude = tenths.magnitude
        return (tenths < 0 ? "-" : "") + String(magnitude / 10) + "." + String(magnitude % 10)
    }
}
