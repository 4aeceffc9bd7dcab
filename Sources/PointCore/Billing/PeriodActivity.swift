/// Why a finding adjustment lands on a later invoice.
public enum LateFindingKind: String, Sendable, Hashable {
    /// A non-compliance finding recorded after the revocation's period was closed with credit.
    case recorded
    /// A finding withdrawn after the revocation's period was closed without credit.
    case withdrawn
}

/// One period's activity for one merchant, aggregated as it is fed: grants, revocations and
/// late finding adjustments are tallied into a handful of buckets (by line type, unit price
/// and cited document), never kept one by one. Feeding is O(1) per item.
public struct PeriodActivity: Sendable, Equatable {
    /// Which invoice line a tally becomes.
    public struct Bucket: Sendable, Hashable {
        public var type: InvoiceLineType
        public var unitPriceTenths: Int64
        public var cites: CitedDocument?
    }

    /// Points and the events behind them.
    public struct Tally: Sendable, Equatable {
        public var points: Int64
        public var events: EventSpan
    }

    /// Points granted in the period (billed at the profile's unit price).
    public private(set) var grants: Tally?
    /// Revocation credits, revocations without credit and late finding adjustments.
    public private(set) var adjustments: [Bucket: Tally] = [:]

    public init() {}

    /// Whether nothing at all was fed.
    public var isEmpty: Bool { grants == nil && adjustments.isEmpty }

    /// A grant of `points` in the period (ledger `seq`, the merchant's `orderID`).
    public mutating func recordGrant(seq: UInt64, orderID: String, points: Int64) throws(BillingError) {
        try recordGrants(count: 1, points: points, firstSeq: seq, firstID: orderID, lastSeq: seq, lastID: orderID)
    }

    /// Points granted so far in the period.
    public var grantedPoints: Int64 { grants?.points ?? 0 }

    /// A run of `count` grants of `points` in all, between ledger seqs `firstSeq` and `lastSeq`.
    mutating func recordGrants(count: Int64, points: Int64, firstSeq: UInt64, firstID: String, lastSeq: UInt64, lastID: String) throws(BillingError) {
        guard count > 0, points >= count, points <= BillingMoney.maximumPoints else { throw .pointsOutOfRange(points: points) }
        if var tally = grants {
            let sum = tally.points + points // both ≤ 10^12: no overflow
            guard sum <= BillingMoney.maximumPoints else { throw .pointsOutOfRange(points: sum) }
            tally.points = sum
            tally.events.include(count: count, firstSeq: firstSeq, firstID: firstID, lastSeq: lastSeq, lastID: lastID)
            grants = tally
        } else {
            grants = Tally(points: points, events: EventSpan(count: count, firstSeq: firstSeq, firstID: firstID, lastSeq: lastSeq, lastID: lastID))
        }
    }

    /// A revocation in the period under a permitted case.
    ///
    /// - Parameters:
    ///   - billedUnitPriceTenths: the unit price the revoked grant was billed at.
    ///   - grantBilledOn: the earlier document that billed the grant, when the grant belongs to
    ///     an earlier period; `nil` when it was granted in this period.
    ///   - hasStandingFinding: whether a non-compliance finding stands against the revocation
    ///     when the period is closed (or previewed): then it gets no credit.
    public mutating func recordRevocation(seq: UInt64, revocationID: String, points: Int64, billedUnitPriceTenths: Int64,
                                          grantBilledOn: CitedDocument?, hasStandingFinding: Bool) throws(BillingError) {
        try checkPrice(billedUnitPriceTenths)
        let type: InvoiceLineType = hasStandingFinding ? .revocationNotCredited : .revocationCredit
        try add(Bucket(type: type, unitPriceTenths: billedUnitPriceTenths, cites: grantBilledOn), seq: seq, id: revocationID, points: points)
    }

    /// A finding recorded or withdrawn in this period about a revocation whose period was
    /// already closed (with credit for ``LateFindingKind/recorded``, without for ``LateFindingKind/withdrawn``).
    ///
    /// - Parameters:
    ///   - seq: the finding's (or withdrawal's) ledger sequence number.
    ///   - revocationID: the revocation it concerns.
    ///   - unitPriceTenths: the unit price the revocation's credit was (or would have been) given at.
    ///   - revocationBilledOn: the closed document that billed the revocation.
    public mutating func recordLateFinding(_ kind: LateFindingKind, seq: UInt64, revocationID: String, points: Int64,
                                           unitPriceTenths: Int64, revocationBilledOn: CitedDocument) throws(BillingError) {
        try checkPrice(unitPriceTenths)
        let type: InvoiceLineType = kind == .recorded ? .lateFindingCharge : .withdrawnFindingCredit
        try add(Bucket(type: type, unitPriceTenths: unitPriceTenths, cites: revocationBilledOn), seq: seq, id: revocationID, points: points)
    }

    private func checkPrice(_ tenths: Int64) throws(BillingError) {
        guard UnitPrice.supportedTenths.contains(tenths) else { throw .unitPriceOutOfRange(tenths: tenths) }
    }

    private mutating func add(_ bucket: Bucket, seq: UInt64, id: String, points: Int64) throws(BillingError) {
        if var tally = adjustments[bucket] {
            tally.points = try BillingMoney.addPoints(tally.points, points)
            tally.events.include(seq: seq, id: id)
            adjustments[bucket] = tally
        } else {
            adjustments[bucket] = Tally(points: try BillingMoney.addPoints(0, points), events: EventSpan(seq: seq, id: id))
        }
    }
}
