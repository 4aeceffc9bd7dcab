/// Reads of the domain state. Every read is scoped: a merchant sees only its own things.
extension PointsDomain {
    public func merchant(_ merchantID: String) -> Merchant? {
        merchantIndex[merchantID].map { merchants[Int($0)] }
    }

    /// The environment a merchant operates in and the sources allowed there: what every
    /// merchant request is checked against, read in place instead of copying the whole merchant.
    /// With no active environment (terminated), the last one it operated in: production once it
    /// went live — a terminated merchant's reads come from its production sources, never from
    /// its sandbox allowlist — else its sandbox. Nil when no environment was opened (or no merchant).
    public func sourceAccess(merchantID: String) -> (environment: MerchantEnvironment, allowedSources: [String])? {
        guard let index = merchantIndex[merchantID] else { return nil }
        let slot = Int(index)
        let lastOpened: MerchantEnvironment? = merchants[slot].production != nil ? .production : (merchants[slot].sandbox != nil ? .sandbox : nil)
        guard let environment = merchants[slot].activeEnvironment ?? lastOpened,
              let access = merchants[slot].access(environment) else { return nil }
        return (environment, access.allowedSources)
    }

    /// All merchants in registration order.
    public var allMerchants: [Merchant] { merchants }

    public func scenario(_ scenarioID: String, merchantID: String? = nil) -> Scenario? {
        guard let index = scenarioIndex[scenarioID] else { return nil }
        let scenario = scenarios[Int(index)]
        if let merchantID, scenario.merchantID != merchantID { return nil }
        return scenario
    }

    /// The scenario a merchant submitted under its own `submissionID`, if any.
    public func scenario(merchantID: String, submissionID: String) -> Scenario? {
        guard let merchant = merchantIndex[merchantID],
              let index = scenarioSubmissions[MerchantScoped(merchant: merchant, id: submissionID)] else { return nil }
        return scenarios[Int(index)]
    }

    /// A merchant's scenarios in submission order.
    public func scenarios(merchantID: String) -> [Scenario] {
        guard let merchant = merchantIndex[merchantID] else { return [] }
        return scenariosByMerchant[Int(merchant)].map { scenarios[Int($0)] }
    }

    /// The merchant's active binding of `memberID`.
    public func binding(merchantID: String, memberID: String) -> Binding? {
        guard let merchant = merchantIndex[merchantID],
            let binding = activeBindings.binding(merchant: merchant, memberID: memberID, in: bindings)
        else { return nil }
        return bindings[Int(binding)]
    }

    /// The merchant's active binding of `lineUserID`.
    public func binding(merchantID: String, lineUserID: String) -> Binding? {
        guard let merchant = merchantIndex[merchantID],
            let binding = activeBindings.binding(merchant: merchant, lineUserID: lineUserID, in: bindings)
        else { return nil }
        return bindings[Int(binding)]
    }

    /// The LINE Login channel whose ID tokens bind users for this merchant now, if it operates.
    public func loginChannelID(merchantID: String) -> String? {
        guard let merchant = merchant(merchantID), let environment = merchant.activeEnvironment else { return nil }
        return merchant.access(environment)?.loginChannelID
    }

    /// The environment the merchant grants in now (see ``grantEnvironment(ofMerchant:)``), or
    /// nil for an unknown merchant.
    public func grantEnvironment(merchantID: String) -> MerchantEnvironment? {
        merchantIndex[merchantID].map(grantEnvironment(ofMerchant:))
    }

    /// The merchant's grant of `orderID` in the environment it grants in now (see
    /// ``grantEnvironment(ofMerchant:)``), else, once live, its sandbox grant of it.
    public func grant(merchantID: String, orderID: String) -> Grant? {
        guard let merchant = merchantIndex[merchantID], let slot = grantSlot(merchant: merchant, orderID: orderID) else { return nil }
        return grant(atSlot: slot)
    }

    /// The merchant's grant of `orderID` made in `environment`, if any.
    public func grant(merchantID: String, environment: MerchantEnvironment, orderID: String) -> Grant? {
        guard let merchant = merchantIndex[merchantID],
              let slot = grants.find(merchant: merchant, environment: environment, orderID: orderID) else { return nil }
        return grant(atSlot: slot)
    }

    /// The grant a revocation takes its points from.
    public func grant(revokedBy revocation: Revocation) -> Grant {
        grant(atSlot: Int(revocation.grantSlot))
    }

    /// The grant the record `seq` made, when it is the newest grant (as right after the record
    /// is applied): read from the last slot, without looking the order up. Nil otherwise.
    public func newestGrant(writtenAt seq: UInt64) -> Grant? {
        let slot = grants.count - 1
        guard slot >= 0, grants.slots[slot].seq == seq else { return nil }
        return grant(atSlot: slot)
    }

    /// Number of grants ever made, all merchants.
    public var grantCount: Int { grants.count }

    /// Filters for listing grants.
    public struct GrantFilter: Sendable, Equatable {
        public var memberID: String?
        public var lineUserID: String?
        public var scenarioID: String?
        /// Granted at or after (µs).
        public var from: Int64?
        /// Granted before (µs).
        public var until: Int64?
        /// Only grants whose record is at or below this seq (the durable ones).
        public var throughSeq: UInt64?
        public init(memberID: String? = nil, lineUserID: String? = nil, scenarioID: String? = nil, from: Int64? = nil, until: Int64? = nil,
                    throughSeq: UInt64? = nil) {
            self.memberID = memberID
            self.lineUserID = lineUserID
            self.scenarioID = scenarioID
            self.from = from
            self.until = until
            self.throughSeq = throughSeq
        }
    }

    /// Longest page of ``grants(merchantID:filter:after:limit:)``.
    public static let maxPageSize = 1_000

    /// Most grants one page looks at: a filter that matches few of a merchant's grants answers
    /// a short page with a cursor to go on from, instead of scanning them all at once.
    public static let maxGrantsScannedPerPage = 100_000

    /// A page of the merchant's grants in ledger order, after the grant with seq `after`;
    /// `next` is the cursor for the following page (nil at the end). A page may be short with a
    /// `next` when ``maxGrantsScannedPerPage`` grants were looked at first.
    public func grants(merchantID: String, filter: GrantFilter, after: UInt64?, limit: Int,
                       maxScanned: Int = maxGrantsScannedPerPage) -> (grants: [Grant], next: UInt64?) {
        guard let merchant = merchantIndex[merchantID] else { return ([], nil) }
        let list = grantsByMerchant[Int(merchant)]
        let pageSize = min(max(limit, 1), Self.maxPageSize)
        // The list is in seq order: binary-search the cursor.
        var low = 0
        var high = list.count
        if let after {
            while low < high {
                let middle = (low + high) / 2
                if grants.slots[Int(list[middle])].seq <= after { low = middle + 1 } else { high = middle }
            }
        }
        // Seq order is time order: skip the grants before `from` by binary search too.
        if let from = filter.from {
            var high = list.count
            while low < high {
                let middle = (low + high) / 2
                if grants.slots[Int(list[middle])].time < from { low = middle + 1 } else { high = middle }
            }
        }
        var page: [Grant] = []
        var position = low
        var lastScannedSeq: UInt64?
        while position < list.count, page.count < pageSize {
            let slot = Int(list[position])
            let stored = grants.slots[slot]
            if let through = filter.throughSeq, stored.seq > through {
                // Seq order: nothing after this one is durable either.
                position = list.count
                break
            }
            // Time order: nothing after this one is before `until` either.
            if let until = filter.until, stored.time >= until {
                position = list.count
                break
            }
            guard position - low < maxScanned else { break }
            position += 1
            lastScannedSeq = stored.seq
            let binding = bindings[Int(stored.binding)]
            if let memberID = filter.memberID, binding.memberID != memberID { continue }
            if let lineUserID = filter.lineUserID, binding.lineUserID != lineUserID { continue }
            if let scenarioID = filter.scenarioID, scenarios[Int(stored.scenario)].id != scenarioID { continue }
            page.append(grant(atSlot: slot))
        }
        let next = position < list.count ? (page.count == pageSize ? page.last?.seq : lastScannedSeq) : nil
        return (page, next)
    }

    public func revocation(merchantID: String, revocationID: String) -> Revocation? {
        guard let merchant = merchantIndex[merchantID],
            let revocation = revocationIndex[MerchantScoped(merchant: merchant, id: revocationID)]
        else { return nil }
        return revocations[Int(revocation)]
    }

    /// `grant` as the records up to `throughSeq` leave it: revoked points of revocations
    /// recorded after that seq left out (for answers that show only durable records).
    public func grant(_ grant: Grant, asOf throughSeq: UInt64) -> Grant {
        let pending = revocations(of: grant).filter { $0.seq > throughSeq }.reduce(0) { $0 + $1.points }
        guard pending > 0 else { return grant }
        return Grant(merchantID: grant.merchantID, environment: grant.environment, orderID: grant.orderID, memberID: grant.memberID,
                     lineUserID: grant.lineUserID,
                     scenarioID: grant.scenarioID, points: grant.points, revokedPoints: max(0, grant.revokedPoints - pending),
                     seq: grant.seq, grantedAt: grant.grantedAt)
    }

    /// The seq of the last record that changed the grant (its own, or its newest revocation's).
    public func lastChangeSeq(of grant: Grant) -> UInt64 {
        revocations(of: grant).reduce(grant.seq) { max($0, $1.seq) }
    }

    /// The revocations of one grant, oldest first.
    public func revocations(merchantID: String, orderID: String) -> [Revocation] {
        guard let merchant = merchantIndex[merchantID], let slot = grantSlot(merchant: merchant, orderID: orderID) else { return [] }
        return revocations(ofGrantAt: slot)
    }

    /// The revocations of a grant, oldest first.
    public func revocations(of grant: Grant) -> [Revocation] {
        guard let merchant = merchantIndex[grant.merchantID],
              let slot = grants.find(merchant: merchant, environment: grant.environment, orderID: grant.orderID) else { return [] }
        return revocations(ofGrantAt: slot)
    }

    private func revocations(ofGrantAt slot: Int) -> [Revocation] {
        (revocationsByGrant[UInt32(slot)] ?? []).map { revocations[Int($0)] }
    }

    /// Points granted to a binding's LINE user (through any of its bindings at the merchant)
    /// under a scenario in the Asia/Taipei month of `time`, by grants in `environment`.
    func pointsThisMonth(binding: UInt32, scenario: UInt32, time: Int64, environment: MerchantEnvironment) -> Int64 {
        let user = activeBindings.userKey(of: binding), month = CivilTime.taipeiMonthNumber(time)
        switch environment {
        case .production: return userMonthPoints.points(binding: user, scenario: scenario, month: month)
        case .sandbox: return sandboxUserMonthPoints.points(binding: user, scenario: scenario, month: month)
        }
    }

    func grant(atSlot slot: Int) -> Grant {
        let stored = grants.slots[slot]
        let binding = bindings[Int(stored.binding)]
        return Grant(merchantID: merchants[Int(stored.merchant)].id, environment: GrantStore.environment(ofCode: stored.environment),
                     orderID: grants.orderID(of: slot),
                     memberID: binding.memberID, lineUserID: binding.lineUserID, scenarioID: scenarios[Int(stored.scenario)].id,
                     points: Int(stored.points), revokedPoints: Int(stored.revoked), seq: stored.seq, grantedAt: stored.time)
    }
}

extension PointsDomain: Equatable {
    /// Two states are equal when they hold the same merchants, scenarios, bindings, grants,
    /// revocations and counters (used to prove that replay rebuilds the live state).
    public static func == (left: PointsDomain, right: PointsDomain) -> Bool {
        guard left.merchants == right.merchants, left.merchantIndex == right.merchantIndex,
            left.scenarios == right.scenarios, left.scenarioIndex == right.scenarioIndex,
            left.scenarioSubmissions == right.scenarioSubmissions,
            left.bindings == right.bindings, left.activeBindings == right.activeBindings, left.grants.slots == right.grants.slots,
            left.grantsByMerchant == right.grantsByMerchant, left.scenariosByMerchant == right.scenariosByMerchant, left.userMonthPoints == right.userMonthPoints,
            left.sandboxUserMonthPoints == right.sandboxUserMonthPoints,
            left.revocations == right.revocations, left.revocationIndex == right.revocationIndex,
            left.revocationsByGrant == right.revocationsByGrant, left.lastSeq == right.lastSeq, left.lastUnbinding == right.lastUnbinding, left.lastTime == right.lastTime, left.firstTime == right.firstTime,
            left.loginChannels.count == right.loginChannels.count
        else { return false }
        for (channel, owner) in left.loginChannels {
            guard let other = right.loginChannels[channel], other.merchant == owner.merchant, other.environment == owner.environment
            else { return false }
        }
        return left.grants.slots.indices.allSatisfy { left.grants.orderID(of: $0) == right.grants.orderID(of: $0) }
    }
}
