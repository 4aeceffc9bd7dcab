/// One ledger event behind an invoice line, or a revocation of a traced grant.
public struct TracedEvent: Sendable, Equatable {
    public var seq: UInt64
    public var time: Int64
    /// The ledger record type (`grant.issued`, `revocation.recorded`, `finding.recorded`, `finding.withdrawn`).
    public var type: String
    /// The grant's orderId (grants) or the revocation id (revocations, findings).
    public var id: String
    /// The grant a revocation or finding concerns.
    public var orderID: String
    public var points: Int64

    public init(seq: UInt64, time: Int64, type: String, id: String, orderID: String, points: Int64) {
        self.seq = seq
        self.time = time
        self.type = type
        self.id = id
        self.orderID = orderID
        self.points = points
    }
}

/// Finds the ledger events behind one line of an issued invoice (or statement).
///
/// An invoice line cites an ``EventSpan``: how many events, the first and last seq. The
/// events themselves are every event of the line's kind for the merchant between those seqs
/// that the settlement rules put on that line:
/// - `points_granted`: the merchant's `grant.issued` records;
/// - `revocation_credit` / `revocation_not_credited`: its `revocation.recorded` records whose
///   grant was billed on the line's cited document (none: this period), without / with a
///   non-compliance finding standing when the period was closed; revocations after go-live of
///   grants made in the sandbox are never on an invoice;
/// - `late_finding_charge` / `withdrawn_finding_credit`: its `finding.recorded` /
///   `finding.withdrawn` records about revocations billed on the cited document, made after
///   that document's period was closed.
///
/// Feed the records from ``scanRange`` in ledger order with the domain state folded over the
/// whole ledger (grant and revocation facts never change after they are recorded), then
/// ``finish()``. The result is complete when the events found add up to the line's count and
/// quantity — the check an auditor wants.
public struct InvoiceLineTracer: Sendable {
    /// A closed period: the seq of its `period.closed` record and each merchant's document number
    /// (nil for a sandbox statement).
    public struct Close: Sendable, Equatable {
        public var seq: UInt64
        public var documents: [String: InvoiceNumber?]

        public init(seq: UInt64, documents: [String: InvoiceNumber?]) {
            self.seq = seq
            self.documents = documents
        }
    }

    public enum TraceError: Error, Sendable, Equatable, CustomStringConvertible {
        case noSuchLine(Int, lines: Int)
        case lineWithoutEvents(InvoiceLineType)

        public var description: String {
            switch self {
            case .noSuchLine(let line, let lines): return "line \(line) does not exist; the invoice has \(lines) lines (numbered from 1)"
            case .lineWithoutEvents(let type): return "a \(type.rawValue) line cites no ledger events (fee and balance lines are computed, not recorded)"
            }
        }
    }

    /// The outcome of a trace.
    public struct Result: Sendable, Equatable {
        public var invoice: Invoice
        /// 1-based.
        public var lineNumber: Int
        public var line: InvoiceLine
        public var span: EventSpan
        public var events: [TracedEvent]
        public var points: Int64
        /// The events found add up to the line: as many as the span counts, the line's quantity
        /// in points, and the span's first and last seq among them.
        public var complete: Bool {
            Int64(events.count) == span.count && points == line.quantity
                && events.first?.seq == span.firstSeq && events.last?.seq == span.lastSeq
        }
    }

    public let invoice: Invoice
    public let lineNumber: Int
    public let line: InvoiceLine
    public let span: EventSpan
    let closes: [BillingMonth: Close]
    /// Revocations of the span waiting for the close: their finding state decides the line.
    private var pending: [(event: TracedEvent, standing: Bool)] = []
    private var pendingIndex: [String: Int] = [:]
    private var found: [TracedEvent] = []

    /// - Parameters:
    ///   - lineNumber: 1-based, in print order.
    ///   - closes: every closed period (see ``closes(of:)``).
    public init(invoice: Invoice, lineNumber: Int, closes: [BillingMonth: Close]) throws(TraceError) {
        guard lineNumber >= 1, lineNumber <= invoice.lines.count else { throw .noSuchLine(lineNumber, lines: invoice.lines.count) }
        let line = invoice.lines[lineNumber - 1]
        guard let span = line.events else { throw .lineWithoutEvents(line.type) }
        self.invoice = invoice
        self.lineNumber = lineNumber
        self.line = line
        self.span = span
        self.closes = closes
    }

    /// The closed periods of a settlement fold.
    public static func closes(of settlement: SettlementFold) -> [BillingMonth: Close] {
        var result: [BillingMonth: Close] = [:]
        for (period, closed) in settlement.closed {
            var documents: [String: InvoiceNumber?] = [:]
            for invoice in closed.issued { documents[invoice.merchantID] = .some(invoice.number) }
            result[period] = Close(seq: closed.seq, documents: documents)
        }
        return result
    }

    /// The seqs to feed: the span, and up to the close of the invoice's period for the finding
    /// state of revocations.
    public var scanRange: ClosedRange<UInt64> {
        let end = closes[invoice.period].map { max($0.seq, span.lastSeq) } ?? span.lastSeq
        return span.firstSeq...end
    }

    /// Feeds one record's event (records outside ``scanRange`` are ignored).
    public mutating func feed(_ event: DomainEvent, seq: UInt64, time: Int64, domain: borrowing PointsDomain) {
        guard scanRange.contains(seq) else { return }
        let merchantID = invoice.merchantID
        let inSpan = seq <= span.lastSeq
        switch event {
        case .pointsGranted(let granted) where inSpan && line.type == .pointsGranted && granted.merchantID == merchantID:
            found.append(TracedEvent(seq: seq, time: time, type: event.type, id: granted.orderID, orderID: granted.orderID,
                                     points: Int64(granted.points)))
        case .pointsRevoked(let revoked) where inSpan && revoked.merchantID == merchantID
            && (line.type == .revocationCredit || line.type == .revocationNotCredited):
            // The grant the revocation took its points from (not the orderId's grant at the end of
            // the ledger: a production grant of the same orderId may come later).
            guard let revocation = domain.revocation(merchantID: merchantID, revocationID: revoked.revocationID),
                  case let grant = domain.grant(revokedBy: revocation), billable(grant: grant),
                  citedDocument(forGrantAt: grant.grantedAt) == line.cites
            else { return }
            pendingIndex[revoked.revocationID] = pending.count
            pending.append((TracedEvent(seq: seq, time: time, type: event.type, id: revoked.revocationID, orderID: revoked.orderID,
                                        points: Int64(revoked.points)), false))
        case .findingRecorded(let merchant, let revocationID, _), .findingWithdrawn(let merchant, let revocationID, _):
            guard merchant == merchantID else { return }
            let standing = if case .findingRecorded = event { true } else { false }
            if let index = pendingIndex[revocationID] {
                pending[index].standing = standing
                return
            }
            guard inSpan, line.type == (standing ? .lateFindingCharge : .withdrawnFindingCredit),
                  let revocation = domain.revocation(merchantID: merchantID, revocationID: revocationID),
                  case let grant = domain.grant(revokedBy: revocation), billable(grant: grant),
                  let period = try? BillingMonth(containingLedgerTime: revocation.revokedAt),
                  let close = closes[period], close.seq < seq, let number = close.documents[merchantID],
                  CitedDocument(period: period, invoiceNumber: number) == line.cites
            else { return }
            found.append(TracedEvent(seq: seq, time: time, type: event.type, id: revocationID, orderID: revocation.orderID,
                                     points: Int64(revocation.points)))
        default:
            return
        }
    }

    /// The events found, in ledger order, and whether they add up to the line.
    public func finish() -> Result {
        var events = found
        for (event, standing) in pending where standing == (line.type == .revocationNotCredited) { events.append(event) }
        events.sort { $0.seq < $1.seq }
        return Result(invoice: invoice, lineNumber: lineNumber, line: line, span: span, events: events,
                      points: events.reduce(0) { $0 + $1.points })
    }

    /// A test grant made in the sandbox before go-live never reaches an invoice: told by the
    /// grant's environment (ledger order), as the settlement tells it, not by comparing times.
    private func billable(grant: Grant) -> Bool {
        guard invoice.mode == .billable else { return true }
        return grant.environment == .production
    }

    /// The document a revocation line cites for a grant made at `time`: none in the invoice's
    /// own period, else that period's document of the merchant (a number, or none for a statement).
    private func citedDocument(forGrantAt time: Int64) -> CitedDocument? {
        guard let period = try? BillingMonth(containingLedgerTime: time), period != invoice.period else { return nil }
        let number = closes[period]?.documents[invoice.merchantID] ?? nil
        return CitedDocument(period: period, invoiceNumber: number)
    }
}

/// How one grant was billed: the document of its period, and the line that counts it.
public struct GrantBilling: Sendable, Equatable {
    /// The grant's period.
    public var period: BillingMonth
    /// The issued document (invoice or sandbox statement) of the period, when it is closed and
    /// the grant is on it.
    public var document: Invoice?
    /// The 1-based `points_granted` line of ``document`` that counts the grant.
    public var lineNumber: Int?
    /// Why there is no document: the period is open, or the grant was left off (sandbox
    /// activity of the go-live month).
    public var note: String?

    /// Finds the document that billed a grant made at `grantedAt` with ledger seq `seq`: the
    /// merchant's document of the grant's period whose `points_granted` span covers the seq
    /// (every grant of the merchant between the span's first and last seq is on that line).
    public static func of(merchantID: String, seq: UInt64, grantedAt: Int64, settlement: borrowing SettlementFold) -> GrantBilling? {
        guard let period = try? BillingMonth(containingLedgerTime: grantedAt) else { return nil }
        guard let closed = settlement.closed[period] else {
            return GrantBilling(period: period, document: nil, lineNumber: nil,
                                note: "\(period) is not closed yet: the grant is on the draft of the merchant's \(period) document")
        }
        guard let document = closed.issued.first(where: { $0.merchantID == merchantID }),
              let index = document.lines.firstIndex(where: {
                  $0.type == .pointsGranted && ($0.events.map { $0.firstSeq <= seq && seq <= $0.lastSeq } ?? false)
              })
        else {
            return GrantBilling(period: period, document: nil, lineNumber: nil,
                                note: "no document of \(period) counts the grant (sandbox activity of the go-live month is not billed)")
        }
        return GrantBilling(period: period, document: document, lineNumber: index + 1, note: nil)
    }
}
