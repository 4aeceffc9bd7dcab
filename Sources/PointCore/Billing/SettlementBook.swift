/// Monthly settlement over a stream of billing events, fed in ledger order: it keeps each
/// period's activity aggregated, remembers each revocation's billing (credited or not, on
/// which document) so findings recorded or withdrawn after a close become adjustment lines,
/// carries balances between invoices and numbers invoices gaplessly.
///
/// Replaying the same events and closes reproduces the same invoices exactly. Memory grows
/// with merchants, periods and revocations — never with grants.
public struct SettlementBook: Sendable {
    /// How one revocation was (or will be) billed.
    struct RevocationRecord: Sendable {
        var merchantID: String
        var seq: UInt64
        var points: Int64
        var unitPriceTenths: Int64
        var period: BillingMonth
        var grantPeriod: BillingMonth
        var hasStandingFinding = false
        /// Set when the revocation's period is closed.
        var billedOn: CitedDocument?
        var billedMode: BillingMode?
        var credited = false
    }

    /// Revocation ids are unique per merchant only.
    struct RevocationKey: Hashable, Sendable {
        var merchantID: String
        var revocationID: String
    }

    struct MerchantPeriod: Hashable {
        var merchantID: String
        var period: BillingMonth
    }

    /// Merchant profiles by id.
    public private(set) var profiles: [String: MerchantBillingProfile] = [:]
    /// What each merchant's last document left behind.
    public private(set) var states: [String: MerchantBillingState] = [:]
    /// The invoice number sequence.
    public private(set) var numbering = InvoiceNumberSequence()
    /// The last closed period, if any.
    public private(set) var lastClosed: BillingMonth?
    private var activity: [MerchantPeriod: PeriodActivity] = [:]
    private var revocations: [RevocationKey: RevocationRecord] = [:]
    private var revocationsByPeriod: [BillingMonth: [RevocationKey]] = [:]
    private var documents: [MerchantPeriod: (document: CitedDocument, mode: BillingMode)] = [:]

    /// See ``grantRunWindow(merchantID:time:)``.
    public struct GrantRunWindow: Sendable, Equatable {
        /// The period's first and past-the-end ledger times.
        public var start: Int64
        public var end: Int64
        /// Points the period's grants may still add.
        public var pointsRoom: Int64
    }

    public init() {}

    /// Adds or updates a merchant's billing profile; it applies to periods closed from now on.
    ///
    /// - Parameter state: what the merchant's last document before this book left behind
    ///   (carried credit, the last contract year whose fee was charged), when settlement resumes
    ///   part-way through a merchant's history; `nil` keeps the book's own state.
    public mutating func setProfile(_ profile: MerchantBillingProfile, resumingFrom state: MerchantBillingState? = nil) {
        profiles[profile.merchantID] = profile
        if let state { states[profile.merchantID] = state }
    }

    /// The document with a line that counts revocation `revocationID` of `merchantID` (a credit,
    /// or a line saying it is not credited), once its period closed; nil while open, and for a
    /// revocation no document counts (sandbox activity of the go-live month, a revocation of a
    /// grant that was never invoiced).
    public func document(countingRevocation revocationID: String, merchantID: String) -> CitedDocument? {
        revocations[RevocationKey(merchantID: merchantID, revocationID: revocationID)]?.billedOn
    }

    /// The document that billed a merchant's period, once that period is closed.
    public func document(merchantID: String, period: BillingMonth) -> CitedDocument? {
        documents[MerchantPeriod(merchantID: merchantID, period: period)]?.document
    }

    /// A grant at ledger time `time`.
    public mutating func recordGrant(merchantID: String, seq: UInt64, orderID: String, points: Int64, at time: Int64) throws(BillingError) {
        let key = try openPeriodKey(merchantID: merchantID, time: time)
        try activity[key, default: PeriodActivity()].recordGrant(seq: seq, orderID: orderID, points: points)
    }

    /// Where grants of `merchantID` can be recorded as one run from ledger time `time` on: the
    /// span of that time's period and the points its grants may still add; nil when a grant at
    /// `time` can't be recorded (no profile, or a closed or unrepresentable period).
    public func grantRunWindow(merchantID: String, time: Int64) -> GrantRunWindow? {
        guard let key = try? openPeriodKey(merchantID: merchantID, time: time) else { return nil }
        return GrantRunWindow(start: key.period.startInstant, end: key.period.endInstant,
                              pointsRoom: BillingMoney.maximumPoints - (activity[key]?.grantedPoints ?? 0))
    }

    /// A run of `count` grants of `points` in all within one ``grantRunWindow(merchantID:time:)``
    /// (first at ledger time `time`): the same as recording each one.
    public mutating func recordGrantRun(merchantID: String, time: Int64, count: Int64, points: Int64,
                                        firstSeq: UInt64, firstID: String, lastSeq: UInt64, lastID: String) throws(BillingError) {
        let key = try openPeriodKey(merchantID: merchantID, time: time)
        try activity[key, default: PeriodActivity()].recordGrants(count: count, points: points, firstSeq: firstSeq, firstID: firstID,
                                                                  lastSeq: lastSeq, lastID: lastID)
    }

    /// A revocation under a permitted case at ledger time `time` of points from a grant made
    /// in `grantPeriod` and billed at `billedUnitPriceTenths`.
    public mutating func recordRevocation(merchantID: String, seq: UInt64, revocationID: String, points: Int64,
                                          grantPeriod: BillingMonth, billedUnitPriceTenths: Int64, at time: Int64) throws(BillingError) {
        let key = try openPeriodKey(merchantID: merchantID, time: time)
        guard (1...BillingMoney.maximumPoints).contains(points) else { throw .pointsOutOfRange(points: points) }
        guard UnitPrice.supportedTenths.contains(billedUnitPriceTenths) else { throw .unitPriceOutOfRange(tenths: billedUnitPriceTenths) }
        let revocationKey = RevocationKey(merchantID: merchantID, revocationID: revocationID)
        revocations[revocationKey] = RevocationRecord(merchantID: merchantID, seq: seq, points: points, unitPriceTenths: billedUnitPriceTenths,
                                                      period: key.period, grantPeriod: grantPeriod)
        revocationsByPeriod[key.period, default: []].append(revocationKey)
    }

    /// A non-compliance finding on one merchant's revocation (revocation ids are unique per merchant).
    public mutating func recordFinding(merchantID: String, revocationID: String, seq: UInt64, at time: Int64) throws(BillingError) {
        try changeFinding(RevocationKey(merchantID: merchantID, revocationID: revocationID), standing: true, seq: seq, time: time)
    }

    /// The withdrawal of a finding on one merchant's revocation.
    public mutating func recordFindingWithdrawn(merchantID: String, revocationID: String, seq: UInt64, at time: Int64) throws(BillingError) {
        try changeFinding(RevocationKey(merchantID: merchantID, revocationID: revocationID), standing: false, seq: seq, time: time)
    }

    /// Drops a merchant's activity in `period` and later periods not closed yet (its grants,
    /// revocations and adjustments there reach no document). Used at go-live: sandbox activity
    /// of the go-live month must not appear on the first invoice, while earlier months keep
    /// theirs for their statements. The dropped revocations stay known, unbilled, so later
    /// findings on them change nothing.
    public mutating func discardOpenActivity(merchantID: String, from period: BillingMonth) {
        for key in activity.keys where key.merchantID == merchantID && !(key.period < period) { activity[key] = nil }
        for (month, keys) in revocationsByPeriod where !(month < period) {
            let kept = keys.filter { $0.merchantID != merchantID }
            revocationsByPeriod[month] = kept.isEmpty ? nil : kept
        }
    }

    /// A non-compliance finding on a revocation, recorded at ledger time `time`. After the
    /// revocation's period closed with credit, the credit is charged back in the finding's period.
    public mutating func recordFinding(revocationID: String, seq: UInt64, at time: Int64) throws(BillingError) {
        try changeFinding(try uniqueKey(revocationID), standing: true, seq: seq, time: time)
    }

    /// The withdrawal of a finding at ledger time `time`. After the revocation's period closed
    /// without credit, the credit is given in the withdrawal's period.
    public mutating func recordFindingWithdrawn(revocationID: String, seq: UInt64, at time: Int64) throws(BillingError) {
        try changeFinding(try uniqueKey(revocationID), standing: false, seq: seq, time: time)
    }

    /// Closes a period at `now`: one invoice (or statement) per merchant with something to
    /// bill, in merchant-id order, billable ones numbered. Refused before the period has ended
    /// in Asia/Taipei, for a period already closed, for any period but the one after the last
    /// closed, and while an earlier period with activity is still open.
    public mutating func close(_ period: BillingMonth, now: Int64) throws(BillingError) -> [Invoice] {
        guard period.hasEnded(at: now) else {
            throw .periodNotClosable(month: period, reason: "it ends at \(period.endInstant) µs (00:00 Asia/Taipei on the 1st of the next month)")
        }
        if let lastClosed, period <= lastClosed {
            throw .periodNotClosable(month: period, reason: "periods up to \(lastClosed) are already closed")
        }
        if let lastClosed, let expected = lastClosed.next, period != expected {
            throw .periodNotClosable(month: period, reason: "\(expected) is next, the month after the last closed (\(lastClosed))")
        }
        if let earlier = activity.keys.map(\.period).filter({ $0 < period }).min() {
            throw .periodNotClosable(month: period, reason: "the earlier period \(earlier) has activity and is still open")
        }
        var unused: [String: MerchantBillingState] = [:]
        return try settle(period, issue: true, draftStates: &unused)
    }

    /// Draft invoices (and statements) for a period as if it were closed now; changes nothing.
    /// Earlier periods not closed yet are settled first, as drafts, so the draft's platform fee
    /// and credit balance follow them (a revocation of a grant from such a period cites the
    /// period, which has no number yet).
    public func preview(_ period: BillingMonth) throws(BillingError) -> [Invoice] {
        var copy = self // not mutated by a preview: no storage is copied
        var draftStates = states
        let openEarlier = activity.keys.map(\.period).filter { $0 < period } + revocationsByPeriod.keys.filter { $0 < period }
        if var month = lastClosed?.next ?? openEarlier.min() {
            var steps = 0
            while month < period, steps < 1_200 {
                _ = try copy.settle(month, issue: false, draftStates: &draftStates)
                guard let next = month.next else { break }
                month = next
                steps += 1
            }
        }
        return try copy.settle(period, issue: false, draftStates: &draftStates)
    }

    /// Settles a period: issuing (a close) updates the book; a draft only updates `draftStates`.
    private mutating func settle(_ period: BillingMonth, issue: Bool,
                                 draftStates: inout [String: MerchantBillingState]) throws(BillingError) -> [Invoice] {
        var periodActivity: [String: PeriodActivity] = [:]
        for (key, value) in activity where key.period == period { periodActivity[key.merchantID] = value }
        let revocationKeys = revocationsByPeriod[period] ?? []
        var revocationsBilled: [RevocationKey] = []
        for revocationKey in revocationKeys {
            guard let record = revocations[revocationKey] else { continue }
            var grantBilledOn: CitedDocument?
            if record.grantPeriod != period {
                let grantDocument = documents[MerchantPeriod(merchantID: record.merchantID, period: record.grantPeriod)]
                // A grant billed on a document of another mode (a sandbox grant revoked after
                // go-live) was never invoiced, so its revocation is not credited on an invoice.
                if let grantDocument, grantDocument.mode != profiles[record.merchantID]?.applying(to: period).mode { continue }
                grantBilledOn = grantDocument?.document ?? CitedDocument(period: record.grantPeriod, invoiceNumber: nil)
            }
            revocationsBilled.append(revocationKey)
            try periodActivity[record.merchantID, default: PeriodActivity()].recordRevocation(
                seq: record.seq, revocationID: revocationKey.revocationID, points: record.points, billedUnitPriceTenths: record.unitPriceTenths,
                grantBilledOn: grantBilledOn, hasStandingFinding: record.hasStandingFinding)
        }
        var invoices: [Invoice] = []
        for merchantID in profiles.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            guard let profile = profiles[merchantID]?.applying(to: period) else { continue }
            let calculation = try InvoiceCalculator.calculate(profile: profile, period: period,
                                                              activity: periodActivity[merchantID] ?? PeriodActivity(),
                                                              state: (issue ? states[merchantID] : draftStates[merchantID]) ?? .initial)
            // A preview changes nothing, so its copy of the book never copies the book's storage.
            if issue { states[merchantID] = calculation.stateAfter } else { draftStates[merchantID] = calculation.stateAfter }
            guard var invoice = calculation.invoice else { continue }
            if issue, invoice.mode == .billable { invoice.number = try numbering.next(for: period) }
            if issue {
                documents[MerchantPeriod(merchantID: merchantID, period: period)] = (CitedDocument(period: period, invoiceNumber: invoice.number),
                                                                                     invoice.mode)
            }
            invoices.append(invoice)
        }
        guard issue else { return invoices }
        for revocationKey in revocationsBilled {
            guard var record = revocations[revocationKey] else { continue }
            record.billedOn = documents[MerchantPeriod(merchantID: record.merchantID, period: period)]?.document
            record.billedMode = profiles[record.merchantID]?.applying(to: period).mode
            record.credited = !record.hasStandingFinding
            revocations[revocationKey] = record
        }
        for key in activity.keys where key.period == period { activity[key] = nil }
        revocationsByPeriod[period] = nil
        lastClosed = period
        return invoices
    }

    private func openPeriodKey(merchantID: String, time: Int64) throws(BillingError) -> MerchantPeriod {
        guard profiles[merchantID] != nil else { throw .unknownMerchant(merchantID: merchantID) }
        let period = try BillingMonth(containingLedgerTime: time)
        if let lastClosed, period <= lastClosed { throw .periodAlreadyClosed(month: period) }
        return MerchantPeriod(merchantID: merchantID, period: period)
    }

    /// The only revocation with this id (the id-only API, for single-merchant books).
    private func uniqueKey(_ revocationID: String) throws(BillingError) -> RevocationKey {
        let matches = revocations.keys.filter { $0.revocationID == revocationID }
        guard matches.count == 1, let key = matches.first else { throw .unknownRevocation(revocationID: revocationID) }
        return key
    }

    private mutating func changeFinding(_ revocationKey: RevocationKey, standing: Bool, seq: UInt64, time: Int64) throws(BillingError) {
        let revocationID = revocationKey.revocationID
        guard var record = revocations[revocationKey] else { throw .unknownRevocation(revocationID: revocationID) }
        let key = try openPeriodKey(merchantID: record.merchantID, time: time)
        guard record.hasStandingFinding != standing else { return }
        record.hasStandingFinding = standing
        // Only a closed revocation whose credit no longer matches its finding needs an adjustment,
        // and only on documents of the same mode (a sandbox revocation never reaches an invoice).
        if let billedOn = record.billedOn, record.credited == standing, record.billedMode == profiles[record.merchantID]?.mode {
            try activity[key, default: PeriodActivity()].recordLateFinding(
                standing ? .recorded : .withdrawn, seq: seq, revocationID: revocationID, points: record.points,
                unitPriceTenths: record.unitPriceTenths, revocationBilledOn: billedOn)
            record.credited = !standing
        }
        revocations[revocationKey] = record
    }
}
