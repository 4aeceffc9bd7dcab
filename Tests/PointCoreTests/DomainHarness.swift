import PointCore
import PointJSON

/// Drives a ``PointsDomain`` the way the service does: decide, "write" the event (here: keep
/// it as canonical JSON, as the ledger would), apply it with a seq and a time.
struct DomainHarness {
    var domain = PointsDomain()
    /// The written records: (seq, time, type, canonical data bytes).
    var records: [(seq: UInt64, time: Int64, type: String, data: [UInt8])] = []
    var now: Int64

    static let merchantA = "1650000001"
    static let merchantB = "1650000002"
    static let loginA = "2000000001"
    static let loginB = "2000000002"
    static let start = CivilTime.parseRFC3339("2026-10-15T10:00:00+08:00")!

    init(now: Int64 = DomainHarness.start) {
        self.now = now
    }

    /// Applies a decision's event, if any; returns whether it appended.
    @discardableResult
    mutating func commit(_ decision: Decision) throws -> Bool {
        guard let event = decision.event else { return false }
        let seq = UInt64(records.count + 1)
        records.append((seq, now, event.type, CanonicalJSON.encode(event.ledgerData)))
        try domain.apply(event, seq: seq, time: now)
        now += 1_000
        return true
    }

    /// Replays the written records into a fresh domain, decoding each from its JSON bytes.
    func replayed() throws -> PointsDomain {
        var fresh = PointsDomain()
        for record in records {
            let data = try JSONParser.parse(record.data)
            guard let event = try DomainEvent.decode(type: record.type, data: data) else { throw HarnessError.unknownType(record.type) }
            try fresh.apply(event, seq: record.seq, time: record.time)
        }
        return fresh
    }

    enum HarnessError: Error { case unknownType(String) }

    // MARK: Fixtures

    mutating func registerMerchant(_ id: String = merchantA, taxID: String = "22099131", appliedOn: String = "2026-09-01",
                                   price: Int? = nil) throws {
        try commit(domain.decide(RegisterMerchantCommand(merchantID: id, name: "Merchant \(id)", taxID: taxID, appliedOn: appliedOn,
                                                         contractStartDate: "2026-10-01", unitPriceTenths: price)))
    }

    mutating func openSandbox(_ id: String = merchantA, login: String = loginA) throws {
        try commit(domain.decide(OpenEnvironmentCommand(merchantID: id, environment: .sandbox, officialAccountID: "@test\(id.suffix(3))",
                                                        loginChannelID: login, linkedLoginChannelID: login, allowedSources: ["127.0.0.1"])))
    }

    @discardableResult
    mutating func approvedScenario(_ merchant: String = merchantA, purpose: String = "purchase_cashback",
                                   caps: ScenarioCaps = ScenarioCaps(), channels: [String] = ["online_store"]) throws -> String {
        let decision = try domain.decide(SubmitScenarioCommand(
            merchantID: merchant, title: "Cashback", purpose: purpose, description: "1 point per NT$100 spent",
            grantConditions: "paid orders", purchaseChannels: purpose.hasPrefix("purchase") ? channels : [], caps: caps,
            activeFrom: "2026-10-01T00:00:00+08:00", activeUntil: "2027-10-01T00:00:00+08:00"))
        guard case .scenarioSubmitted(let submitted)? = decision.event else { throw HarnessError.unknownType("scenario") }
        try commit(decision)
        try commit(domain.decide(reviewOf: submitted.scenarioID, approve: true, note: "ok"))
        return submitted.scenarioID
    }

    static func lineUser(_ number: Int) -> String {
        let hex = String(number, radix: 16)
        return "U" + String(repeating: "0", count: 32 - hex.count) + hex
    }

    mutating func bind(_ member: String, _ user: Int, merchant: String = merchantA, login: String = loginA) throws {
        try commit(domain.decide(bind: member, merchantID: merchant, login: VerifiedLineLogin(lineUserID: Self.lineUser(user), audience: login)))
    }

    /// A sandbox merchant with one approved cashback scenario and two bound members.
    static func ready() throws -> (DomainHarness, scenario: String) {
        var harness = DomainHarness()
        try harness.registerMerchant()
        try harness.openSandbox()
        let scenario = try harness.approvedScenario()
        try harness.bind("m-1", 1)
        try harness.bind("m-2", 2)
        return (harness, scenario)
    }

    func grant(_ order: String, _ points: Int, scenario: String, member: String = "m-1") -> GrantPointsCommand {
        GrantPointsCommand(merchantID: Self.merchantA, orderID: order, recipient: .member(member), scenarioID: scenario, points: points)
    }
}

/// The error code a throwing call produced, or nil if it did not throw a DomainError.
func errorCode<Value>(_ body: () throws -> Value) -> String? {
    do {
        _ = try body()
        return nil
    } catch let error as DomainError {
        return error.code
    } catch {
        return "unexpected \(error)"
    }
}

func domainError<Value>(_ body: () throws -> Value) -> DomainError? {
    do {
        _ = try body()
        return nil
    } catch let error as DomainError {
        return error
    } catch {
        return nil
    }
}
