/// A compact reference to the ledger events behind one invoice line: how many, and the first
/// and last by sequence number with their ids (grant orderIds, revocation ids).
///
/// The complete list is recomputable: every event of the line's kind for the merchant in the
/// period (and, for credits and adjustments, at the line's unit price and citing the line's
/// earlier document) lies between ``firstSeq`` and ``lastSeq``.
public struct EventSpan: Sendable, Hashable {
    /// Number of events.
    public private(set) var count: Int64
    /// The lowest ledger sequence number.
    public private(set) var firstSeq: UInt64
    /// The id (orderId / revocation id) of the event at ``firstSeq``.
    public private(set) var firstID: String
    /// The highest ledger sequence number.
    public private(set) var lastSeq: UInt64
    /// The id of the event at ``lastSeq``.
    public private(set) var lastID: String

    /// A span of one event.
    public init(seq: UInt64, id: String) {
        count = 1
        firstSeq = seq
        firstID = id
        lastSeq = seq
        lastID = id
    }

    /// A span from its parts, as read back from an invoice record.
    public init(count: Int64, firstSeq: UInt64, firstID: String, lastSeq: UInt64, lastID: String) {
        self.count = count
        self.firstSeq = firstSeq
        self.firstID = firstID
        self.lastSeq = lastSeq
        self.lastID = lastID
    }

    /// Adds one event; events may arrive in any order.
    public mutating func include(seq: UInt64, id: String) {
        include(count: 1, firstSeq: seq, firstID: id, lastSeq: seq, lastID: id)
    }

    /// Adds a run of `count` events whose lowest and highest seqs and ids are given (as many
    /// ``include(seq:id:)`` calls would).
    public mutating func include(count added: Int64, firstSeq runFirst: UInt64, firstID runFirstID: String,
                                 lastSeq runLast: UInt64, lastID runLastID: String) {
        count += added
        if runFirst < firstSeq {
            firstSeq = runFirst
            firstID = runFirstID
        }
        if runLast > lastSeq {
            lastSeq = runLast
            lastID = runLastID
        }
    }

    /// Every field, also for one event: `1 event, first seq 100 (ord-1), last seq 100 (ord-1)`
    /// (what a comparison of a recorded span with a recomputed one prints).
    public var detail: String {
        "\(count) event\(count == 1 ? "" : "s"), first seq \(firstSeq) (\(firstID)), last seq \(lastSeq) (\(lastID))"
    }

    /// `12 events, seq 100 (ord-1) … 250 (ord-9)`.
    public var summary: String {
        if count == 1 { return "1 event, seq \(firstSeq) (\(firstID))" }
        return "\(count) events, seq \(firstSeq) (\(firstID)) … \(lastSeq) (\(lastID))"
    }
}

/// An earlier document an adjustment line cites: the invoice (or sandbox statement) of an
/// earlier, closed period.
public struct CitedDocument: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The period the earlier document billed.
    public var period: BillingMonth
    /// Its invoice number; `nil` for a sandbox statement (or a period not closed yet).
    public var invoiceNumber: InvoiceNumber?

    public init(period: BillingMonth, invoiceNumber: InvoiceNumber?) {
        self.period = period
        self.invoiceNumber = invoiceNumber
    }

    /// `PC-2026-000012`, or `period 2026-03` when there is no number.
    public var description: String { invoiceNumber?.description ?? "period \(period)" }

    public static func < (left: CitedDocument, right: CitedDocument) -> Bool {
        if left.period != right.period { return left.period < right.period }
        return (left.invoiceNumber?.serial ?? 0) < (right.invoiceNumber?.serial ?? 0)
    }
}
