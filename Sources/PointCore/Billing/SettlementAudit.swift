/// What `pointconnect settle` found for one month.
public struct SettlementAuditReport: Sendable, Equatable {
    public var month: BillingMonth
    /// Whether the month is closed in the ledger.
    public var closed: Bool
    /// Closed: the recorded invoices equal the recomputed ones. Open: the drafts could be
    /// computed and every record of the month could be billed.
    public var reproduced: Bool
    /// The recorded invoices (closed) or the drafts (open), filtered to the merchant when given.
    public var invoices: [Invoice]
    /// Every difference (closed months), or the records of an open month that can't be billed.
    public var differences: [String]
    /// The report as printed, one line each.
    public var lines: [String]
}

/// Recomputes a month's invoices from the ledger's events and compares them with its
/// `invoice.issued` records (``SettlementFold`` with `strict: false` does the recomputing).
public enum SettlementAudit {
    public static func report(_ fold: SettlementFold, month: BillingMonth, merchantID: String? = nil) -> SettlementAuditReport {
        func mine(_ invoice: Invoice) -> Bool { merchantID == nil || invoice.merchantID == merchantID }
        let scope = merchantID.map { " for merchant \($0)" } ?? ""
        if let closed = fold.closed[month] {
            let recorded = closed.issued.filter(mine)
            // For one merchant: its own documents, and whatever is wrong with the close as a whole.
            var differences = merchantID == nil ? closed.differences
                : closed.closeDifferences + SettlementComparison.differences(recorded: recorded, recomputed: closed.recomputed.filter(mine))
            differences += faultLines(fold, month: month)
            var lines: [String]
            if differences.isEmpty {
                lines = ["\(month): reproduced \(recorded.count) invoices exactly\(scope) (closed \(CivilTime.formatUTC(closed.closedAt)), seq \(closed.seq))"]
                for invoice in recorded { lines.append("  " + summary(invoice)) }
            } else {
                lines = ["\(month): \(differences.count) difference\(differences.count == 1 ? "" : "s")\(scope) between the invoice.issued records and the invoices recomputed from the events:"]
                lines += differences.map { "  - " + $0 }
            }
            lines += interruptedNotes(fold.interruptedIssues, month: month, mine: mine, unclosed: false)
            return SettlementAuditReport(month: month, closed: true, reproduced: differences.isEmpty, invoices: recorded,
                                         differences: differences, lines: lines)
        }
        if let lastClosed = fold.lastClosed, month <= lastClosed {
            let line = "\(month) was never closed: settlement in this ledger began after it (last closed \(lastClosed))."
            return SettlementAuditReport(month: month, closed: false, reproduced: true, invoices: [], differences: [], lines: [line])
        }
        do throws(BillingError) {
            let drafts = try fold.preview(month).filter(mine)
            var lines = ["\(month) is not closed; \(drafts.count) draft invoice\(drafts.count == 1 ? "" : "s")\(scope) from the events so far (not issued, no numbers):"]
            for invoice in drafts { lines.append("  " + summary(invoice)) }
            // Records the drafts could not take in: the drafts leave them out, so they are not the month's whole bill.
            let faults = faultLines(fold, month: month)
            if !faults.isEmpty {
                lines.append("  \(faults.count) record\(faults.count == 1 ? "" : "s") of the month can't be billed, so the drafts leave \(faults.count == 1 ? "it" : "them") out:")
                lines += faults.map { "  - " + $0 }
            }
            lines += interruptedNotes(fold.interruptedIssues, month: month, mine: mine, unclosed: false)
            lines += interruptedNotes(fold.unclosedIssues, month: month, mine: mine, unclosed: true)
            if !drafts.isEmpty {
                lines.append("")
                lines += InvoiceCSV.document(drafts).split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
            }
            return SettlementAuditReport(month: month, closed: false, reproduced: faults.isEmpty, invoices: drafts, differences: faults, lines: lines)
        } catch {
            let line = "\(month) is not closed and its drafts can't be computed: \(error)"
            return SettlementAuditReport(month: month, closed: false, reproduced: false, invoices: [], differences: [line], lines: [line])
        }
    }

    /// The folding faults of `month` (and those of no month), one line each.
    private static func faultLines(_ fold: SettlementFold, month: BillingMonth) -> [String] {
        fold.faults.filter { $0.period == nil || $0.period == month }.map { "record \($0.seq): \($0.message)" }
    }

    /// One note per `invoice.issued` record of `month` that no `period.closed` confirmed.
    /// `unclosed`: records at the ledger's end, which a close still being written when the files
    /// were read leaves as well as one that was interrupted.
    private static func interruptedNotes(_ issues: [SettlementFold.InterruptedIssue], month: BillingMonth,
                                         mine: (Invoice) -> Bool, unclosed: Bool) -> [String] {
        let what = unclosed
            ? "has no period.closed after it yet: a close still being written when the files were read, or one interrupted before its period.closed; either way not acknowledged, not an issued invoice"
            : "belongs to a close that was interrupted before its period.closed: never acknowledged, not an issued invoice"
        return issues.filter { $0.invoice.period == month && mine($0.invoice) }.map {
            "  note: invoice.issued at seq \($0.seq) (\($0.invoice.displayNumber), merchant \($0.invoice.merchantID)) \(what)"
        }
    }

    /// `PC-2026-000001 1650000001 Formosa Books: 3 lines, subtotal NT$101,370, tax NT$5,069, total NT$106,439`.
    public static func summary(_ invoice: Invoice) -> String {
        "\(invoice.displayNumber) \(invoice.merchantID) \(invoice.merchantName): \(invoice.lines.count) lines, subtotal \(BillingMoney.format(invoice.subtotal)), tax \(BillingMoney.format(invoice.tax)), total \(BillingMoney.format(invoice.total))"
    }
}
