import PointCollections

/// The state of the points domain: the fold of every ``DomainEvent`` in ledger order.
///
/// Commands are checked by the `decide…` methods (which never change anything) and, when
/// valid, produce one event; the caller writes it to the ledger and then calls
/// ``apply(_:seq:time:)`` with the record's seq and time. Replaying the ledger through
/// ``apply(_:seq:time:)`` rebuilds exactly the live state.
public struct PointsDomain: Sendable {
    struct MerchantScoped: Hashable, Sendable {
        let merchant: UInt32
        let id: String
    }

    /// Explicit limits on what the domain holds.
    public struct Limits: Sendable, Equatable {
        public var maxMerchants = 100_000
        public var maxScenarios = 1_000_000
        /// Scenarios of one merchant (`GET /v1/scenarios` answers them all at once).
        public var maxScenariosPerMerchant = 500
        public var maxBindings = 50_000_000
        public var maxRevocations = 50_000_000
        /// Revocations of one grant (a grant is revoked in a few parts at most; the answers that
        /// show a grant list them all).
        public var maxRevocationsPerGrant = 100
        public var maxPointsPerGrant = 10_000_000
        public init() {}
    }

    public let limits: Limits
    var merchants: [Merchant] = []
    var merchantIndex: [String: UInt32] = [:]
    var loginChannels: [String: (merchant: UInt32, environment: MerchantEnvironment)] = [:]
    var scenarios: [Scenario] = []
    var scenarioIndex: [String: UInt32] = [:]
    /// Scenarios by the merchant's submission ID, for those submitted with one.
    var scenarioSubmissions: [MerchantScoped: UInt32] = [:]
    /// The merchant and scenario of the last grant applied. Slots never move, so a hit is
    /// always right; grants arrive in runs for one merchant and scenario, and a string compare
    /// is cheaper than hashing the ID. Not part of the state (not compared by `==`).
    var lastGrantMerchant: (id: String, slot: UInt32)?
    var lastGrantScenario: (id: String, slot: UInt32)?
    var bindings: [Binding] = []
    var activeBindings = BindingDirectory()
    var grants = GrantStore()
    var grantsByMerchant: [ChunkedArray<UInt32>] = []
    /// Each merchant's scenarios (slots), in submission order.
    var scenariosByMerchant: [[UInt32]] = []
    /// Points per LINE user, scenario and month of production grants (what a monthly cap limits
    /// once the merchant is live) and of sandbox test grants (what it limits before).
    var userMonthPoints = UserMonthTotals()
    var sandboxUserMonthPoints = UserMonthTotals()
    var revocations: [Revocation] = []
    var revocationIndex: [MerchantScoped: UInt32] = [:]
    var revocationsByGrant: [UInt32: [UInt32]] = [:]
    /// The record that unbound a member who is not bound again since: what a DELETE sent again
    /// is answered with. One entry per member unbound and not bound again.
    var lastUnbinding: [MerchantScoped: RecordReference] = [:]
    /// The seq of the last applied event.
    public private(set) var lastSeq: UInt64 = 0
    /// The time of the last applied event.
    public private(set) var lastTime: Int64 = 0
    /// The time of the first applied event (the ledger's start); nil before any.
    public private(set) var firstTime: Int64?

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    // MARK: Applying events

    /// Folds one event into the state. Events come from `decide…` (live) or from the ledger
    /// (replay); an event that contradicts the state (a ledger not written by these rules)
    /// throws `ledger_event_inconsistent` and changes nothing.
    public mutating func apply(_ event: DomainEvent, seq: UInt64, time: Int64) throws(DomainError) {
        switch event {
        case .merchantRegistered(let registered):
            guard merchantIndex[registered.merchantID] == nil else { throw .inconsistent(seq, "merchant \(registered.merchantID) registered twice") }
            merchantIndex[registered.merchantID] = UInt32(merchants.count)
            merchants.append(Merchant(id: registered.merchantID, name: registered.name, taxID: registered.taxID,
                                      appliedOn: registered.appliedOn, contract: registered.contract, status: .applied,
                                      statusBeforeSuspension: nil, sandbox: nil, production: nil, eligibility: nil, registered: RecordReference(seq: seq, time: time)))
            grantsByMerchant.append(ChunkedArray())
            scenariosByMerchant.append([])
        case .sandboxOpened(let merchantID, let access):
            let merchant = try merchantSlot(merchantID, seq)
            loginChannels[access.loginChannelID] = (merchant, .sandbox)
            merchants[Int(merchant)].sandbox = access
            merchants[Int(merchant)].allowlistRecords[.sandbox] = RecordReference(seq: seq, time: time)
            merchants[Int(merchant)].openedRecords[.sandbox] = RecordReference(seq: seq, time: time)
            merchants[Int(merchant)].status = .sandbox
        case .productionOpened(let merchantID, let access, let eligibility):
            let merchant = try merchantSlot(merchantID, seq)
            loginChannels[access.loginChannelID] = (merchant, .production)
            merchants[Int(merchant)].production = access
            merchants[Int(merchant)].allowlistRecords[.production] = RecordReference(seq: seq, time: time)
            merchants[Int(merchant)].openedRecords[.production] = RecordReference(seq: seq, time: time)
            merchants[Int(merchant)].eligibility = eligibility
            merchants[Int(merchant)].status = .production
            // From now on a budget counts production grants only; the test grants' points stay
            // in `sandboxGrantedPoints` (monthly caps read the production totals from now on).
            for scenario in scenariosByMerchant[Int(merchant)] { scenarios[Int(scenario)].grantedPoints = 0 }
        case .merchantSuspended(let merchantID, let note):
            let merchant = Int(try merchantSlot(merchantID, seq))
            merchants[merchant].statusBeforeSuspension = merchants[merchant].status
            merchants[merchant].status = .suspended
            merchants[merchant].lastStatusChange = Merchant.StatusChangeRecord(change: .suspend, note: note, record: RecordReference(seq: seq, time: time))
        case .merchantReinstated(let merchantID, let note):
            let merchant = Int(try merchantSlot(merchantID, seq))
            guard let previous = merchants[merchant].statusBeforeSuspension else { throw .inconsistent(seq, "merchant \(merchantID) was not suspended") }
            merchants[merchant].status = previous
            merchants[merchant].statusBeforeSuspension = nil
            merchants[merchant].lastStatusChange = Merchant.StatusChangeRecord(change: .reinstate, note: note, record: RecordReference(seq: seq, time: time))
        case .merchantTerminated(let merchantID, let note):
            let merchant = Int(try merchantSlot(merchantID, seq))
            merchants[merchant].status = .terminated
            merchants[merchant].statusBeforeSuspension = nil
            merchants[merchant].lastStatusChange = Merchant.StatusChangeRecord(change: .terminate, note: note, record: RecordReference(seq: seq, time: time))
        case .credentialRotated(let merchantID, _):
            _ = try merchantSlot(merchantID, seq)
        case .allowlistUpdated(let merchantID, let environment, let sources):
            let merchant = Int(try merchantSlot(merchantID, seq))
            switch environment {
            case .sandbox: merchants[merchant].sandbox?.allowedSources = sources
            case .production: merchants[merchant].production?.allowedSources = sources
            }
            merchants[merchant].allowlistRecords[environment] = RecordReference(seq: seq, time: time)
        case .scenarioSubmitted(let submitted):
            let merchant = try merchantSlot(submitted.merchantID, seq)
            guard scenarioIndex[submitted.scenarioID] == nil else { throw .inconsistent(seq, "scenario \(submitted.scenarioID) submitted twice") }
            if let submissionID = submitted.submissionID {
                let key = MerchantScoped(merchant: merchant, id: submissionID)
                guard scenarioSubmissions[key] == nil else { throw .inconsistent(seq, "submission \(submissionID) submitted twice") }
                scenarioSubmissions[key] = UInt32(scenarios.count)
            }
            scenarioIndex[submitted.scenarioID] = UInt32(scenarios.count)
            scenariosByMerchant[Int(merchant)].append(UInt32(scenarios.count))
            scenarios.append(Scenario(
                id: submitted.scenarioID, merchantID: submitted.merchantID, title: submitted.title, purpose: submitted.purpose,
                description: submitted.description, grantConditions: submitted.grantConditions,
                purchaseChannels: submitted.purchaseChannels, campaignRules: submitted.campaignRules, caps: submitted.caps,
                activeFrom: submitted.activeFrom, activeUntil: submitted.activeUntil, status: .submitted, reviewNote: nil,
                grantedPoints: 0, submissionID: submitted.submissionID, inAppPurchaseStatement: submitted.inAppPurchaseStatement,
                submitted: RecordReference(seq: seq, time: time)))
        case .scenarioApproved(let scenarioID, let note), .scenarioRejected(let scenarioID, let note):
            guard let scenario = scenarioIndex[scenarioID] else { throw .inconsistent(seq, "unknown scenario \(scenarioID)") }
            if case .scenarioApproved = event { scenarios[Int(scenario)].status = .approved } else { scenarios[Int(scenario)].status = .rejected }
            scenarios[Int(scenario)].reviewNote = note
            scenarios[Int(scenario)].reviewed = RecordReference(seq: seq, time: time)
        case .userBound(let merchantID, let memberID, let lineUserID):
            let merchant = try merchantSlot(merchantID, seq)
            guard activeBindings.binding(merchant: merchant, memberID: memberID, in: bindings) == nil,
                activeBindings.binding(merchant: merchant, lineUserID: lineUserID, in: bindings) == nil
            else {
                throw .inconsistent(seq, "binding of member \(memberID) overlaps an active binding")
            }
            let binding = UInt32(bindings.count)
            bindings.append(Binding(merchantID: merchantID, memberID: memberID, lineUserID: lineUserID, seq: seq,
                                    boundAt: time, unboundAt: nil))
            activeBindings.add(binding, merchant: merchant, memberID: memberID, lineUserID: lineUserID, in: bindings)
            lastUnbinding[MerchantScoped(merchant: merchant, id: memberID)] = nil
        case .userUnbound(let merchantID, let memberID, let lineUserID):
            let merchant = try merchantSlot(merchantID, seq)
            guard let binding = activeBindings.binding(merchant: merchant, memberID: memberID, in: bindings),
                bindings[Int(binding)].lineUserID == lineUserID
            else { throw .inconsistent(seq, "member \(memberID) is not bound to \(lineUserID)") }
            bindings[Int(binding)].unboundAt = time
            activeBindings.remove(binding, memberID: memberID, lineUserID: lineUserID)
            lastUnbinding[MerchantScoped(merchant: merchant, id: memberID)] = RecordReference(seq: seq, time: time)
        case .pointsGranted(let granted):
            try applyGrant(granted, seq: seq, time: time)
        case .pointsRevoked(let revoked):
            try applyRevocation(revoked, seq: seq, time: time)
        case .findingRecorded(let merchantID, let revocationID, let note):
            let revocation = try revocationSlot(merchantID, revocationID, seq)
            guard revocations[revocation].finding == nil else { throw .inconsistent(seq, "finding on \(revocationID) recorded twice") }
            revocations[revocation].finding = ComplianceFinding(note: note, seq: seq, recordedAt: time)
            revocations[revocation].findingsRecorded += 1
        case .findingWithdrawn(let merchantID, let revocationID, let note):
            let revocation = try revocationSlot(merchantID, revocationID, seq)
            guard revocations[revocation].finding != nil else { throw .inconsistent(seq, "no standing finding on \(revocationID)") }
            revocations[revocation].finding = nil
            revocations[revocation].withdrawalNote = note
            revocations[revocation].withdrawal = RecordReference(seq: seq, time: time)
        case .invoiceIssued, .periodClosed:
            // Billing records: folded by ``SettlementFold``; the points domain only advances.
            break
        }
        if firstTime == nil { firstTime = time }
        lastSeq = seq
        lastTime = time
    }

    private mutating func applyGrant(_ granted: PointsGranted, seq: UInt64, time: Int64) throws(DomainError) {
        let merchant: UInt32
        if let cached = lastGrantMerchant, cached.id == granted.merchantID { merchant = cached.slot } else {
            merchant = try merchantSlot(granted.merchantID, seq)
            lastGrantMerchant = (granted.merchantID, merchant)
        }
        let scenario: UInt32
        if let cached = lastGrantScenario, cached.id == granted.scenarioID { scenario = cached.slot } else {
            guard let found = scenarioIndex[granted.scenarioID] else { throw .inconsistent(seq, "unknown scenario \(granted.scenarioID)") }
            scenario = found
            lastGrantScenario = (granted.scenarioID, found)
        }
        guard let binding = activeBindings.binding(merchant: merchant, memberID: granted.memberID, in: bindings),
            bindings[Int(binding)].lineUserID == granted.lineUserID
        else { throw .inconsistent(seq, "member \(granted.memberID) is not bound to \(granted.lineUserID)") }
        let environment = grantEnvironment(ofMerchant: merchant)
        guard granted.points > 0, granted.points <= limits.maxPointsPerGrant,
            grants.hasRoom(forOrderIDBytes: granted.orderID.utf8.count),
            let slot = grants.addIfAbsent(merchant: merchant, environment: environment, orderID: granted.orderID,
                                          binding: binding, scenario: scenario, points: UInt32(granted.points), seq: seq, time: time)
        else { throw .inconsistent(seq, "grant \(granted.orderID) is a duplicate or out of range") }
        grantsByMerchant[Int(merchant)].append(UInt32(slot))
        scenarios[Int(scenario)].grantedPoints += Int64(granted.points)
        if environment == .sandbox { scenarios[Int(scenario)].sandboxGrantedPoints += Int64(granted.points) }
        if scenarios[Int(scenario)].caps.maxPointsPerUserPerMonth != nil {
            let user = activeBindings.userKey(of: binding), month = CivilTime.taipeiMonthNumber(time)
            switch environment {
            case .production: userMonthPoints.add(Int64(granted.points), binding: user, scenario: scenario, month: month)
            case .sandbox: sandboxUserMonthPoints.add(Int64(granted.points), binding: user, scenario: scenario, month: month)
            }
        }
    }

    private mutating func applyRevocation(_ revoked: PointsRevoked, seq: UInt64, time: Int64) throws(DomainError) {
        let merchant = try merchantSlot(revoked.merchantID, seq)
        let slot = try grants.revocationSlot(grantSlot(merchant: merchant, orderID: revoked.orderID), revoked, seq: seq)
        let key = MerchantScoped(merchant: merchant, id: revoked.revocationID)
        guard revocationIndex[key] == nil else { throw .inconsistent(seq, "revocation \(revoked.revocationID) recorded twice") }
        let revocation = UInt32(revocations.count)
        revocations.append(Revocation(merchantID: revoked.merchantID, revocationID: revoked.revocationID, orderID: revoked.orderID,
                                      points: revoked.points, evidence: revoked.evidence, seq: seq, revokedAt: time,
                                      grantSlot: UInt32(slot), finding: nil, findingsRecorded: 0))
        revocationIndex[key] = revocation
        revocationsByGrant[UInt32(slot), default: []].append(revocation)
        grants.addRevoked(slot, points: UInt32(revoked.points))
    }

    /// The environment a merchant's grants are made, found and revoked in: production once its
    /// production environment was opened (a one-way step), its sandbox before. OrderIds are
    /// unique per merchant and environment, so a merchant's test orders never collide with the
    /// real ones it sends after going live.
    func grantEnvironment(ofMerchant merchant: UInt32) -> MerchantEnvironment {
        merchants[Int(merchant)].production != nil ? .production : .sandbox
    }

    /// The grant an orderId names for reads and revocations: the merchant's grant in the
    /// environment it grants in now, else — once live — its sandbox grant, so a test grant can
    /// still be read and revoked after going live (as ledgers written before environments were
    /// told apart record it). A new grant is looked up in the current environment only.
    func grantSlot(merchant: UInt32, orderID: String) -> Int? {
        grants.findForReading(merchant: merchant, environment: grantEnvironment(ofMerchant: merchant), orderID: orderID)
    }

    func merchantSlot(_ merchantID: String, _ seq: UInt64) throws(DomainError) -> UInt32 {
        guard let merchant = merchantIndex[merchantID] else { throw .inconsistent(seq, "unknown merchant \(merchantID)") }
        return merchant
    }

    func revocationSlot(_ merchantID: String, _ revocationID: String, _ seq: UInt64) throws(DomainError) -> Int {
        let merchant = try merchantSlot(merchantID, seq)
        guard let revocation = revocationIndex[MerchantScoped(merchant: merchant, id: revocationID)] else {
            throw .inconsistent(seq, "unknown revocation \(revocationID)")
        }
        return Int(revocation)
    }
}
