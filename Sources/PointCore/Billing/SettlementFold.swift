/// Monthly settlement as a fold over the ledger, like ``PointsDomain``: every domain event is
/// fed in ledger order (after the domain has applied it) and the billing state follows.
///
/// - `merchant.registered` gives the merchant's billing profile (a sandbox statement until it
///   goes live); `merchant.production_opened` makes it billable from then on. Sandbox activity
///   of the go-live month is dropped, and a revocation after go-live of a grant made before it
///   is not credited (that grant was never invoiced).
/// - `grant.issued`, `revocation.recorded` (with the grant's period and the contract price it
///   was billed at), `finding.recorded` and `finding.withdrawn` feed ``SettlementBook``.
/// - `invoice.issued` records are collected and `period.closed` closes the period in the book at
///   its `closedAt`: the recomputed documents must equal the recorded ones. A strict fold (the
///   service) refuses a ledger where they differ; an audit fold (`pointconnect settle`) keeps
///   the differences for its report.
public struct SettlementFold: Sendable {
    /// One closed period as the ledger recorded it, and as the rules recompute it.
    public struct ClosedPeriod: Sendable, Equatable {
        public let period: BillingMonth
        public let closedAt: Int64
        /// The seq of the `period.closed` record.
        public let seq: UInt64
        /// The documents as issued (`invoice.issued` records), in merchant-id order.
        public let issued: [Invoice]
        /// The seqs of the `invoice.issued` records, parallel to ``issued``.
        public let issuedSeqs: [UInt64]
        /// The documents recomputed from the events at ``closedAt``.
        public let recomputed: [Invoice]
        /// Every difference between ``issued`` and ``recomputed`` (empty when reproduced exactly).
        public let differences: [String]
        /// Those of ``differences`` about the close as a whole rather than one merchant's
        /// document: a close that does not replay, records of another period, a `period.closed`
        /// whose list differs from the `invoice.issued` records.
        public let closeDifferences: [String]
    }

    /// A problem recording an event (e.g. a month's points past the supported bound); it blocks
    /// closing its period (or every period when `period` is nil) until resolved.
    public struct Fault: Sendable, Equatable {
        public let period: BillingMonth?
        public let seq: UInt64
        public let message: String
    }

    /// An `invoice.issued` record of a close that was interrupted before its `period.closed` (a
    /// crash or a failed write part-way through the close's one append). It was never
    /// acknowledged and is not an issued invoice: closing the period again issues its documents
    /// anew, with the same numbers, and the earlier record stays in the ledger superseded.
    public struct InterruptedIssue: Sendable, Equatable {
        public let seq: UInt64
        public let invoice: Invoice
    }

    /// Whether a `period.closed` whose documents differ from the recomputed ones is refused.
    public let strict: Bool
    /// The settlement book fed so far.
    public private(set) var book = SettlementBook()
    /// Closed periods by month.
    public private(set) var closed: [BillingMonth: ClosedPeriod] = [:]
    /// Problems recording events (at most ``maxFaults`` kept).
    public private(set) var faults: [Fault] = []
    public static let maxFaults = 100
    /// Records of interrupted closes (at most ``maxFaults`` kept), in ledger order.
    public private(set) var interruptedIssues: [InterruptedIssue] = []
    /// `invoice.issued` records not (yet) followed by their `period.closed`: a close being
    /// written, or, in files read after the service stopped, an interrupted one.
    public var unclosedIssues: [InterruptedIssue] { pendingIssued.map { InterruptedIssue(seq: $0.seq, invoice: $0.invoice) } }
    private var invoicePeriods: [InvoiceNumber: BillingMonth] = [:]
    private var unbilledRevocations: Set<SettlementBook.RevocationKey> = []
    private var pendingIssued: [(seq: UInt64, invoice: Invoice)] = []

    public init(strict: Bool = true) {
        self.strict = strict
    }

    /// The last closed period, if any.
    public var lastClosed: BillingMonth? { book.lastClosed }

    // MARK: Folding

    /// Folds one event. `domain` is the points domain after it applied the same event (it
    /// supplies the time of a revoked grant). Throws `ledger_event_inconsistent` only for
    /// billing records that contradict the rules (strict folds) or each other.
    public mutating func apply(_ event: DomainEvent, seq: UInt64, time: Int64, domain: borrowing PointsDomain) throws(DomainError) {
        var revokedGrant: RevokedGrant?
        if case .pointsRevoked(let revoked) = event, let grant = domain.grant(merchantID: revoked.merchantID, orderID: revoked.orderID) {
            revokedGrant = RevokedGrant(time: grant.grantedAt, environment: grant.environment)
        }
        try apply(event, seq: seq, time: time, revokedGrant: revokedGrant)
    }

    /// The grant a revocation takes points from: when it was made (the period its points were
    /// billed in) and in which environment (a sandbox test grant was never billed).
    public struct RevokedGrant: Sendable, Equatable {
        public var time: Int64
        public var environment: MerchantEnvironment

        public init(time: Int64, environment: MerchantEnvironment) {
            self.time = time
            self.environment = environment
        }
    }

    /// Folds one event without a points domain: for a `revocation.recorded`, `revokedGrant` is
    /// the revoked grant (nil when there is no such grant).
    public mutating func apply(_ event: DomainEvent, seq: UInt64, time: Int64, revokedGrant: RevokedGrant?) throws(DomainError) {
        switch event {
        case .merchantRegistered(let registered):
            do throws(BillingError) {
                let start = try BillingMonth(parsing: String(registered.contract.startDate.prefix(7)))
                let price = try UnitPrice(tenths: Int64(registered.contract.unitPriceTenths))
                book.setProfile(MerchantBillingProfile(merchantID: registered.merchantID, taxID: registered.taxID,
                                                       merchantName: registered.name, contractStart: start, unitPrice: price,
                                                       mode: .sandboxStatement))
            } catch {
                fault(nil, seq, "merchant \(registered.merchantID) has no billing profile: \(error)")
            }
        case .productionOpened(let merchantID, _, _):
            guard var profile = book.profiles[merchantID], profile.mode != .billable else { return }
            let goLiveMonth: BillingMonth
            do throws(BillingError) { goLiveMonth = try BillingMonth(containingLedgerTime: time) } catch {
                fault(nil, seq, "merchant \(merchantID) went live at a time outside the billing calendar: \(error)")
                return
            }
            book.discardOpenActivity(merchantID: merchantID, from: goLiveMonth)
            profile.mode = .billable
            profile.billableFrom = goLiveMonth
            book.setProfile(profile)
        case .merchantTerminated(let merchantID, _):
            guard var profile = book.profiles[merchantID] else { return }
            profile.terminatedAt = time
            book.setProfile(profile)
        case .pointsGranted(let granted):
            recordGrant(merchantID: granted.merchantID, orderID: granted.orderID, points: granted.points, seq: seq, time: time)
        case .pointsRevoked(let revoked):
            guard let grant = revokedGrant,
                  let profile = book.profiles[revoked.merchantID]
            else {
                fault(nil, seq, "revocation \(revoked.revocationID) of merchant \(revoked.merchantID) has no grant or billing profile")
                return
            }
            let grantedAt = grant.time
            // A live merchant's revocation of a test grant made before it went live: the grant
            // was never billed, so there is nothing to credit. Told by the grant's environment
            // (ledger order), not by comparing times, which a clock stepped back could mislead.
            if profile.mode == .billable, grant.environment == .sandbox {
                unbilledRevocations.insert(SettlementBook.RevocationKey(merchantID: revoked.merchantID, revocationID: revoked.revocationID))
                return
            }
            record(seq, time) { (book) throws(BillingError) in
                try book.recordRevocation(merchantID: revoked.merchantID, seq: seq, revocationID: revoked.revocationID,
                                          points: Int64(revoked.points), grantPeriod: try BillingMonth(containingLedgerTime: grantedAt),
                                          billedUnitPriceTenths: profile.unitPrice.tenths, at: time)
            }
        case .findingRecorded(let merchantID, let revocationID, _), .findingWithdrawn(let merchantID, let revocationID, _):
            guard !unbilledRevocations.contains(SettlementBook.RevocationKey(merchantID: merchantID, revocationID: revocationID)) else { return }
            let standing = if case .findingRecorded = event { true } else { false }
            record(seq, time) { (book) throws(BillingError) in
                if standing {
                    try book.recordFinding(merchantID: merchantID, revocationID: revocationID, seq: seq, at: time)
                } else {
                    try book.recordFindingWithdrawn(merchantID: merchantID, revocationID: revocationID, seq: seq, at: time)
                }
            }
        case .invoiceIssued(let invoice):
            // Documents of one close come in merchant-id order; one that does not follow the
            // previous starts a new close (an earlier one was interrupted before period.closed).
            if let last = pendingIssued.last?.invoice,
               last.period != invoice.period || !last.merchantID.utf8.lexicographicallyPrecedes(invoice.merchantID.utf8) {
                setAside(pendingIssued)
                pendingIssued = []
            }
            pendingIssued.append((seq, invoice))
        case .periodClosed(let closedEvent):
            try applyClose(closedEvent, seq: seq)
        case .sandboxOpened, .merchantSuspended, .merchantReinstated, .allowlistUpdated, .credentialRotated,
             .scenarioSubmitted, .scenarioApproved, .scenarioRejected, .userBound, .userUnbound:
            return
        }
    }

    /// Folds a `grant.issued` given by its billing fields (what ``apply(_:seq:time:domain:)``
    /// does with a ``DomainEvent/pointsGranted(_:)``).
    public mutating func recordGrant(merchantID: String, orderID: String, points: Int, seq: UInt64, time: Int64) {
        record(seq, time) { (book) throws(BillingError) in
            try book.recordGrant(merchantID: merchantID, seq: seq, orderID: orderID, points: Int64(points), at: time)
        }
    }

    /// Folds a run of `grant.issued` records within one ``SettlementBook/grantRunWindow(merchantID:time:)``, as
    /// ``recordGrant(merchantID:orderID:points:seq:time:)`` would each of them.
    public mutating func recordGrantRun(merchantID: String, time: Int64, count: Int64, points: Int64,
                                        firstSeq: UInt64, firstID: String, lastSeq: UInt64, lastID: String) {
        record(firstSeq, time) { (book) throws(BillingError) in
            try book.recordGrantRun(merchantID: merchantID, time: time, count: count, points: points,
                                    firstSeq: firstSeq, firstID: firstID, lastSeq: lastSeq, lastID: lastID)
        }
    }

    private mutating func applyClose(_ event: PeriodClosed, seq: UInt64) throws(DomainError) {
        var issued = pendingIssued
        pendingIssued = []
        // Documents of an interrupted close that the next close's first documents happened to
        // follow in merchant order: the close lists its own documents, the rest come before.
        if issued.count > event.documents.count,
           issued.suffix(event.documents.count).map({ PeriodClosed.Document(merchantID: $0.invoice.merchantID, invoiceNumber: $0.invoice.number) }) == event.documents {
            setAside(Array(issued.prefix(issued.count - event.documents.count)))
            issued = Array(issued.suffix(event.documents.count))
        }
        var differences: [String] = []
        if closed[event.period] != nil {
            throw .inconsistent(seq, "period \(event.period) closed twice")
        }
        var recomputed: [Invoice] = []
        do throws(BillingError) {
            recomputed = try book.close(event.period, now: event.closedAt)
        } catch {
            differences.append("the close of \(event.period) does not replay: \(error)")
        }
        for (_, invoice) in issued where invoice.period != event.period {
            differences.append("invoice.issued for \(invoice.period) (merchant \(invoice.merchantID)) precedes the close of \(event.period)")
        }
        let documents = issued.map { PeriodClosed.Document(merchantID: $0.invoice.merchantID, invoiceNumber: $0.invoice.number) }
        if documents != event.documents {
            differences.append("period.closed lists \(Self.describe(event.documents)) but the invoice.issued records are \(Self.describe(documents))")
        }
        let closeDifferences = differences
        differences += SettlementComparison.differences(recorded: issued.map(\.invoice), recomputed: recomputed)
        if strict, !differences.isEmpty {
            throw .inconsistent(seq, "the close of \(event.period) does not reproduce: " + differences.prefix(3).joined(separator: "; "))
        }
        closed[event.period] = ClosedPeriod(period: event.period, closedAt: event.closedAt, seq: seq, issued: issued.map(\.invoice),
                                            issuedSeqs: issued.map(\.seq), recomputed: recomputed, differences: differences,
                                            closeDifferences: closeDifferences)
        for (_, invoice) in issued {
            if let number = invoice.number { invoicePeriods[number] = event.period }
        }
    }

    private mutating func setAside(_ records: [(seq: UInt64, invoice: Invoice)]) {
        for record in records.prefix(Self.maxFaults - interruptedIssues.count) {
            interruptedIssues.append(InterruptedIssue(seq: record.seq, invoice: record.invoice))
        }
    }

    private mutating func record(_ seq: UInt64, _ time: Int64, _ body: (inout SettlementBook) throws(BillingError) -> Void) {
        do throws(BillingError) { try body(&book) } catch {
            fault(try? BillingMonth(containingLedgerTime: time), seq, "record \(seq) cannot be billed: \(error)")
        }
    }

    private mutating func fault(_ period: BillingMonth?, _ seq: UInt64, _ message: String) {
        guard faults.count < Self.maxFaults else { return }
        faults.append(Fault(period: period, seq: seq, message: message))
    }

    private static func describe(_ documents: [PeriodClosed.Document]) -> String {
        "[" + documents.map { "\($0.merchantID): \($0.invoiceNumber?.description ?? "statement")" }.joined(separator: ", ") + "]"
    }

    // MARK: Deciding a close

    /// What closing a period means now.
    public enum CloseDecision: Sendable, Equatable {
        /// The events to write: one `invoice.issued` per document, then `period.closed`.
        case close(events: [DomainEvent], invoices: [Invoice])
        /// The period is already closed: the same documents, nothing to write.
        case alreadyClosed(ClosedPeriod)
    }

    /// Decides closing `period` at `now`, changing nothing. Closing a closed period again is an
    /// idempotent replay. `checkpoint` (the signed checkpoint the close is taken against) is
    /// printed on every document.
    /// Where the ledger starts, for the first close of all.
    public enum LedgerStart: Sendable, Equatable {
        /// Not given: no check.
        case unknown
        /// The ledger holds no record yet: nothing can be billed, so no first close.
        case empty
        /// The time of the ledger's first record.
        case at(Int64)
    }

    /// - Parameter ledgerStart: where the ledger starts; the first close may not be of a month
    ///   that ended before its first record (nothing can be billed there, and every later month
    ///   would then have to be closed in order first), nor happen on an empty ledger.
    public func decideClose(_ period: BillingMonth, now: Int64, ledgerStart: LedgerStart = .unknown,
                            checkpoint: InvoiceCheckpoint? = nil) throws(DomainError) -> CloseDecision {
        if let done = closed[period] { return .alreadyClosed(done) }
        if book.lastClosed == nil, ledgerStart == .empty {
            throw DomainError(.rejected, code: "period_before_ledger",
                              message: "Period \(period) can't be the first close: the ledger holds no records yet, so nothing can be billed, and a first close sets where billing starts. Close the month of the first record once it has ended.",
                              details: [DomainError.Detail(property: "month", message: "the ledger holds no records yet")])
        }
        if book.lastClosed == nil, case .at(let ledgerStart) = ledgerStart, period.endInstant <= ledgerStart {
            let first = (try? BillingMonth(containingLedgerTime: ledgerStart))?.description ?? "the month of the first record"
            throw DomainError(.rejected, code: "period_before_ledger",
                              message: "Period \(period) ended before the ledger's first record (\(CivilTime.formatUTC(ledgerStart))): nothing can be billed in it, and a first close sets where billing starts. Close \(first) (Asia/Taipei), the month of the first record, or a later month first.",
                              details: [DomainError.Detail(property: "month", message: "must be \(first) or later")])
        }
        guard period.hasEnded(at: now) else {
            throw DomainError(.rejected, code: "period_not_ended",
                              message: "Period \(period) has not ended yet: it ends at 00:00 Asia/Taipei on the 1st of the next month (\(CivilTime.formatUTC(period.endInstant))). Close it after that.",
                              details: [DomainError.Detail(property: "month", message: "ends at \(CivilTime.formatUTC(period.endInstant))")])
        }
        if let blocking = faults.first(where: { $0.period == nil || $0.period == period }) {
            throw DomainError(.rejected, code: "settlement_blocked",
                              message: "Period \(period) can't be closed: \(blocking.message). Resolve it with the platform operator first.")
        }
        var trial = book
        var invoices: [Invoice]
        do throws(BillingError) {
            invoices = try trial.close(period, now: now)
        } catch {
            if case .periodNotClosable(_, let reason) = error {
                throw DomainError(.conflict, code: "period_not_closable",
                                  message: "Period \(period) can't be closed now: \(reason). Periods close in order, each once.")
            }
            throw DomainError(.rejected, code: "settlement_failed", message: "Period \(period) can't be settled: \(error).")
        }
        for index in invoices.indices { invoices[index].checkpoint = checkpoint }
        let documents = invoices.map { PeriodClosed.Document(merchantID: $0.merchantID, invoiceNumber: $0.number) }
        let events = invoices.map(DomainEvent.invoiceIssued) + [.periodClosed(PeriodClosed(period: period, closedAt: now, documents: documents))]
        return .close(events: events, invoices: invoices)
    }

    // MARK: Reading

    /// The documents of a closed period as issued, or nil when it is not closed.
    public func documents(_ period: BillingMonth) -> [Invoice]? { closed[period]?.issued }

    /// An issued invoice by number.
    public func invoice(_ number: InvoiceNumber) -> Invoice? {
        guard let period = invoicePeriods[number] else { return nil }
        return closed[period]?.issued.first { $0.number == number }
    }

    /// Drafts (and statements) of a period not closed yet, as if it were closed now.
    public func preview(_ period: BillingMonth) throws(BillingError) -> [Invoice] {
        try book.preview(period)
    }
}

/// Compares recorded documents with recomputed ones, line by line.
public enum SettlementComparison {
    /// Every difference, as a sentence naming the document, the line and the field; empty when
    /// the two lists are the same documents (the ledger checkpoint is not compared: a replay
    /// does not recompute it).
    public static func differences(recorded: [Invoice], recomputed: [Invoice]) -> [String] {
        var result: [String] = []
        var recomputedByMerchant: [String: Invoice] = [:]
        for invoice in recomputed { recomputedByMerchant[invoice.merchantID] = invoice }
        var seen: Set<String> = []
        for invoice in recorded {
            guard seen.insert(invoice.merchantID).inserted else {
                result.append("\(name(invoice)): a second document for merchant \(invoice.merchantID) in \(invoice.period)")
                continue
            }
            guard let other = recomputedByMerchant[invoice.merchantID] else {
                result.append("\(name(invoice)) (merchant \(invoice.merchantID)) is recorded but the events give no document for \(invoice.period)")
                continue
            }
            result += differences(invoice, other)
        }
        for invoice in recomputed where !seen.contains(invoice.merchantID) {
            result.append("merchant \(invoice.merchantID): the events give \(name(invoice)) for \(invoice.period) (total \(invoice.total)) but none is recorded")
        }
        return result
    }

    static func name(_ invoice: Invoice) -> String {
        invoice.number?.description ?? (invoice.mode == .billable ? "draft" : "statement") + " of \(invoice.merchantID) for \(invoice.period)"
    }

    static func differences(_ recorded: Invoice, _ recomputed: Invoice) -> [String] {
        let document = name(recorded)
        var result: [String] = []
        func check<Value: Equatable>(_ field: String, _ left: Value, _ right: Value, _ where_: String = "") {
            if left != right { result.append("\(document)\(where_): recorded \(field) \(left), recomputed \(right)") }
        }
        check("number", recorded.number?.description ?? "none", recomputed.number?.description ?? "none")
        check("period", recorded.period, recomputed.period)
        check("billable", recorded.mode == .billable, recomputed.mode == .billable)
        check("merchantTaxId", recorded.merchantTaxID, recomputed.merchantTaxID)
        check("merchantName", recorded.merchantName, recomputed.merchantName)
        check("unitPriceTenths", recorded.unitPrice.tenths, recomputed.unitPrice.tenths)
        let count = max(recorded.lines.count, recomputed.lines.count)
        for index in 0..<count {
            guard index < recorded.lines.count else {
                result.append("\(document) line \(index + 1): recomputed \(summary(recomputed.lines[index])) is not recorded")
                continue
            }
            guard index < recomputed.lines.count else {
                result.append("\(document) line \(index + 1): recorded \(summary(recorded.lines[index])) is not recomputed")
                continue
            }
            let left = recorded.lines[index]
            let right = recomputed.lines[index]
            let at = " line \(index + 1) (\(left.type.rawValue))"
            check("type", left.type.rawValue, right.type.rawValue, at)
            check("quantity", left.quantity, right.quantity, at)
            check("unitPriceTenths", left.unitPriceTenths, right.unitPriceTenths, at)
            check("netAmount", left.netAmount, right.netAmount, at)
            // Every field of the span, not its summary: a one-event summary leaves out lastSeq.
            check("events", left.events?.detail ?? "none", right.events?.detail ?? "none", at)
            check("cites", left.cites?.description ?? "none", right.cites?.description ?? "none", at)
            check("contractYear", left.contractYear.map(String.init) ?? "none", right.contractYear.map(String.init) ?? "none", at)
        }
        check("subtotal", recorded.subtotal, recomputed.subtotal)
        check("tax", recorded.tax, recomputed.tax)
        check("total", recorded.total, recomputed.total)
        check("creditBalanceBefore", recorded.creditBalanceBefore, recomputed.creditBalanceBefore)
        check("creditBalanceAfter", recorded.creditBalanceAfter, recomputed.creditBalanceAfter)
        return result
    }

    static func summary(_ line: InvoiceLine) -> String {
        "\(line.type.rawValue) \(line.quantity) × \(line.unitPriceTenths) tenths = \(line.netAmount)"
    }
}
