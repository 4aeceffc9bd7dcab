/// Where an invoice stands.
public enum InvoiceStatus: String, Sendable, Hashable {
    /// A closed period's invoice with its number: payable.
    case issued
    /// A preview of an open (or not yet closed) period for a billable merchant.
    case draft
    /// A sandbox merchant's statement: the same calculation, not billable, never numbered.
    case notBillableStatement = "not_billable_statement"
}

/// One merchant's invoice (or statement) for one period.
///
/// Invariants: the lines' net amounts sum to ``subtotal``; ``subtotal`` is never negative;
/// ``tax`` is 5% of ``subtotal`` rounded half-up; ``subtotal`` + ``tax`` = ``total``.
public struct Invoice: Sendable, Hashable {
    /// Assigned when the period is closed; `nil` for drafts and statements.
    public var number: InvoiceNumber?
    /// The billed period.
    public var period: BillingMonth
    /// The merchant's id.
    public var merchantID: String
    /// The merchant's Unified Business Number.
    public var merchantTaxID: String
    /// The merchant's name.
    public var merchantName: String
    /// Invoice or sandbox statement.
    public var mode: BillingMode
    /// The contract's unit price in this period.
    public var unitPrice: UnitPrice
    /// The lines in print order.
    public var lines: [InvoiceLine]
    /// Sum of the lines' net amounts, whole NT$, tax-exclusive; the taxable total.
    public var subtotal: Int64
    /// VAT, 5% of ``subtotal`` rounded half-up.
    public var tax: Int64
    /// ``subtotal`` + ``tax``.
    public var total: Int64
    /// Credit available before this invoice.
    public var creditBalanceBefore: Int64
    /// Credit left for later invoices.
    public var creditBalanceAfter: Int64
    /// The signed ledger checkpoint the close was taken against (tree size and root hash), when
    /// one was available; `nil` for drafts and for closes without a checkpoint.
    public var checkpoint: InvoiceCheckpoint? = nil

    /// Issued, draft or not-billable statement.
    public var status: InvoiceStatus {
        if mode == .sandboxStatement { return .notBillableStatement }
        return number == nil ? .draft : .issued
    }

    /// Whether the invariants hold (lines sum to subtotal, tax recomputes, total adds up,
    /// each line's amount follows from its quantity and unit price).
    public var isConsistent: Bool {
        var sum: Int64 = 0
        for line in lines {
            guard let magnitude = try? BillingMoney.lineAmount(quantity: line.quantity, unitPriceTenths: line.unitPriceTenths),
                  line.netAmount == line.type.sign * magnitude else { return false }
            sum += line.netAmount
        }
        guard let recomputedTax = try? BillingMoney.tax(onTaxableTotal: subtotal) else { return false }
        return sum == subtotal && subtotal >= 0 && tax == recomputedTax && total == subtotal + tax
    }

    /// The document's name as printed: the invoice number, `DRAFT`, or `STATEMENT (not billable)`.
    public var displayNumber: String {
        switch status {
        case .issued: return number?.description ?? "DRAFT"
        case .draft: return "DRAFT"
        case .notBillableStatement: return "STATEMENT (not billable)"
        }
    }
}

/// The signed ledger checkpoint an issued invoice refers to: the tree size and the RFC 6962
/// root hash (lowercase hex) covering the events it bills.
public struct InvoiceCheckpoint: Sendable, Hashable {
    public var treeSize: UInt64
    public var rootHash: String

    public init(treeSize: UInt64, rootHash: String) {
        self.treeSize = treeSize
        self.rootHash = rootHash
    }
}
