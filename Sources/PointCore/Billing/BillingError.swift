/// Why a billing calculation, a period or an invoice number was refused.
///
/// Every case carries enough context to say exactly what was wrong; ``description`` is the
/// message shown to finance and auditors.
public enum BillingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A `YYYY-MM` period text that does not parse; the payload is the offending text and why.
    case malformedMonth(text: String, reason: String)
    /// A year or month outside the supported calendar (years 1970–9999, months 1–12).
    case monthOutOfRange(year: Int, month: Int)
    /// A ledger time whose Asia/Taipei month lies outside the supported calendar.
    case ledgerTimeOutOfRange(micros: Int64)
    /// A unit price outside ``UnitPrice/supportedTenths``.
    case unitPriceOutOfRange(tenths: Int64)
    /// A point quantity that is zero, negative or above ``BillingMoney/maximumPoints``.
    case pointsOutOfRange(points: Int64)
    /// An amount (in tenths or whole NT$) that would leave ``BillingMoney/maximumAmount``.
    case amountOutOfBounds(what: String)
    /// An `PC-YYYY-NNNNNN` invoice number text that does not parse.
    case malformedInvoiceNumber(text: String)
    /// All ``InvoiceNumber/maximumSerial`` numbers of a year have been issued.
    case invoiceNumbersExhausted(year: Int)
    /// A period was closed before it ended in Asia/Taipei, or out of order.
    case periodNotClosable(month: BillingMonth, reason: String)
    /// An event's ledger time falls in a period that is already closed.
    case periodAlreadyClosed(month: BillingMonth)
    /// An event refers to a merchant the settlement has no billing profile for.
    case unknownMerchant(merchantID: String)
    /// A finding refers to a revocation the settlement has not seen.
    case unknownRevocation(revocationID: String)

    public var description: String {
        switch self {
        case .malformedMonth(let text, let reason):
            return "billing month \"\(text)\" is not YYYY-MM: \(reason)"
        case .monthOutOfRange(let year, let month):
            return "billing month \(year)-\(month) is outside 1970-01…9999-12"
        case .ledgerTimeOutOfRange(let micros):
            return "ledger time \(micros) µs falls outside the supported Asia/Taipei months 1970-01…9999-12"
        case .unitPriceOutOfRange(let tenths):
            return "unit price \(tenths) tenths of NT$ is outside \(UnitPrice.supportedTenths.lowerBound)…\(UnitPrice.supportedTenths.upperBound)"
        case .pointsOutOfRange(let points):
            return "point quantity \(points) is outside 1…\(BillingMoney.maximumPoints)"
        case .amountOutOfBounds(let what):
            return "\(what) exceeds the supported amount of NT$\(BillingMoney.maximumAmount)"
        case .malformedInvoiceNumber(let text):
            return "invoice number \"\(text)\" is not PC-YYYY-NNNNNN"
        case .invoiceNumbersExhausted(let year):
            return "all \(InvoiceNumber.maximumSerial) invoice numbers of \(year) have been issued"
        case .periodNotClosable(let month, let reason):
            return "period \(month) cannot be closed: \(reason)"
        case .periodAlreadyClosed(let month):
            return "period \(month) is closed; later events belong to the next open period"
        case .unknownMerchant(let merchantID):
            return "no billing profile for merchant \(merchantID)"
        case .unknownRevocation(let revocationID):
            return "no revocation \(revocationID) in the settlement"
        }
    }
}
