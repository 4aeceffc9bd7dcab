import PointCore
import PointJSON

/// The sandbox's embedded defaults (`sandbox/sandbox.json`): test merchants with their API and
/// LINE Login secrets, their approved scenarios, and staff keys. Secrets live only in this
/// file and in memory — never in the ledger.
public struct SandboxDefaults: Sendable {
    public struct MerchantDefaults: Sendable {
        public var register: RegisterMerchantCommand
        public var channelID: String
        public var channelSecret: String
        public var officialAccountID: String
        public var loginChannelID: String
        public var loginChannelSecret: String
        public var allowedSources: [String]
        public var scenarios: [SubmitScenarioCommand]
    }

    public struct StaffKey: Sendable {
        public var keyID: String
        public var secret: String
        public var role: String
    }

    public var merchants: [MerchantDefaults]
    public var staff: [StaffKey]

    /// Why the defaults file was refused: the JSON path and what is wrong with it.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let path: String
        public let problem: String
        public var description: String { "sandbox defaults: \(path) \(problem)" }
    }

    /// Parses the defaults document.
    public init(json bytes: [UInt8]) throws(Failure) {
        let document: JSONValue
        do { document = try JSONParser.parse(bytes) } catch { throw Failure(path: "(document)", problem: "is not valid JSON: \(error)") }
        let root = Reader(value: document, path: "$")
        var merchants: [MerchantDefaults] = []
        for (index, entry) in try root.array("merchants").enumerated() {
            let merchant = Reader(value: entry, path: "$.merchants[\(index)]")
            let merchantID = try merchant.string("merchantId")
            var scenarios: [SubmitScenarioCommand] = []
            for (position, scenarioValue) in try merchant.array("scenarios").enumerated() {
                let scenario = Reader(value: scenarioValue, path: "\(merchant.path).scenarios[\(position)]")
                let caps = scenario.value["caps"].map { Reader(value: $0, path: scenario.path + ".caps") }
                scenarios.append(SubmitScenarioCommand(
                    merchantID: merchantID, title: try scenario.string("title"), purpose: try scenario.string("purpose"),
                    description: try scenario.string("description"), grantConditions: try scenario.string("grantConditions"),
                    purchaseChannels: try scenario.optionalStrings("purchaseChannels"),
                    caps: ScenarioCaps(maxPointsPerGrant: try caps?.optionalInt("maxPointsPerGrant"),
                                       maxPointsPerUserPerMonth: try caps?.optionalInt("maxPointsPerUserPerMonth"),
                                       totalBudget: try caps?.optionalInt("totalBudget")),
                    activeFrom: try scenario.string("activeFrom"), activeUntil: try scenario.string("activeUntil")))
            }
            merchants.append(MerchantDefaults(
                register: RegisterMerchantCommand(merchantID: merchantID, name: try merchant.string("name"), taxID: try merchant.string("taxId"),
                                                  appliedOn: try merchant.string("appliedOn"),
                                                  contractStartDate: try merchant.string("contractStartDate"),
                                                  unitPriceTenths: try merchant.optionalInt("unitPriceTenths")),
                channelID: try merchant.string("channelId"), channelSecret: try merchant.string("channelSecret"),
                officialAccountID: try merchant.string("officialAccountId"), loginChannelID: try merchant.string("loginChannelId"),
                loginChannelSecret: try merchant.string("loginChannelSecret"), allowedSources: try merchant.optionalStrings("allowedSources"),
                scenarios: scenarios))
        }
        var staff: [StaffKey] = []
        for (index, entry) in try root.array("staff").enumerated() {
            let key = Reader(value: entry, path: "$.staff[\(index)]")
            staff.append(StaffKey(keyID: try key.string("keyId"), secret: try key.string("secret"), role: try key.string("role")))
        }
        guard merchants.count >= 1 else { throw Failure(path: "$.merchants", problem: "must list at least one merchant") }
        self.merchants = merchants
        self.staff = staff
    }

    /// The domain commands that onboard the defaults into an empty ledger: each merchant
    /// registered, its sandbox opened, its scenarios submitted and approved. Merchants already
    /// in the ledger are left alone, so starting again changes nothing.
    public func seed(into service: PointService) async throws(ServiceError) {
        for merchant in merchants {
            let exists = service.read { $0.merchant(merchant.register.merchantID) != nil }
            if exists { continue }
            _ = try await service.execute { domain, _ throws(DomainError) in try domain.decide(merchant.register) }
            let open = OpenEnvironmentCommand(merchantID: merchant.register.merchantID, environment: .sandbox,
                                              officialAccountID: merchant.officialAccountID, loginChannelID: merchant.loginChannelID,
                                              linkedLoginChannelID: merchant.loginChannelID, allowedSources: merchant.allowedSources)
            _ = try await service.execute { domain, _ throws(DomainError) in try domain.decide(open) }
            for scenario in merchant.scenarios {
                _ = try await service.execute { domain, _ throws(DomainError) in try domain.decide(scenario) }
                let scenarioID = service.read { domain in
                    domain.scenarios(merchantID: merchant.register.merchantID).first { $0.title == scenario.title && $0.status == .submitted }?.id
                }
                guard let scenarioID else { continue }
                _ = try await service.execute { domain, _ throws(DomainError) in
                    try domain.decide(reviewOf: scenarioID, approve: true, note: "Approved as a sandbox default scenario.")
                }
            }
        }
    }

    private struct Reader {
        let value: JSONValue
        let path: String

        func string(_ key: String) throws(Failure) -> String {
            guard let text = value[key]?.stringValue, !text.isEmpty else { throw Failure(path: path + "." + key, problem: "must be a non-empty string") }
            return text
        }

        func optionalInt(_ key: String) throws(Failure) -> Int? {
            guard let field = value[key], !field.isNull else { return nil }
            guard let number = field.intValue else { throw Failure(path: path + "." + key, problem: "must be an integer") }
            return Int(number)
        }

        func array(_ key: String) throws(Failure) -> [JSONValue] {
            guard let items = value[key]?.arrayValue else { throw Failure(path: path + "." + key, problem: "must be an array") }
            return items
        }

        func optionalStrings(_ key: String) throws(Failure) -> [String] {
            guard let field = value[key] else { return [] }
            guard let items = field.arrayValue else { throw Failure(path: path + "." + key, problem: "must be an array of strings") }
            var result: [String] = []
            for (index, item) in items.enumerated() {
                guard let text = item.stringValue else { throw Failure(path: "\(path).\(key)[\(index)]", problem: "must be a string") }
                result.append(text)
            }
            return result
        }
    }
}
