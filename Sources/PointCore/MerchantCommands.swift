/// Onboarding a merchant (a reviewer's command).
public struct RegisterMerchantCommand: Sendable, Equatable {
    /// The merchant's POINT Connect channel ID (10 digits).
    public var merchantID: String
    public var name: String
    public var taxID: String
    /// `YYYY-MM-DD`.
    public var appliedOn: String
    /// `YYYY-MM-DD`.
    public var contractStartDate: String
    /// Tenths of NT$ per point; nil = NT$1.1.
    public var unitPriceTenths: Int?

    public init(merchantID: String, name: String, taxID: String, appliedOn: String, contractStartDate: String, unitPriceTenths: Int? = nil) {
        self.merchantID = merchantID
        self.name = name
        self.taxID = taxID
        self.appliedOn = appliedOn
        self.contractStartDate = contractStartDate
        self.unitPriceTenths = unitPriceTenths
    }
}

/// Opening an environment for a merchant. `linkedLoginChannelID` is the LINE Login channel
/// linked to the Official Account (as shown in the account's settings); it must be the channel
/// the merchant's members log in with.
public struct OpenEnvironmentCommand: Sendable, Equatable {
    public var merchantID: String
    public var environment: MerchantEnvironment
    public var officialAccountID: String
    public var loginChannelID: String
    public var linkedLoginChannelID: String
    public var allowedSources: [String]
    /// Required for production.
    public var eligibility: ProductionEligibility?

    public init(merchantID: String, environment: MerchantEnvironment, officialAccountID: String, loginChannelID: String,
                linkedLoginChannelID: String, allowedSources: [String], eligibility: ProductionEligibility? = nil) {
        self.merchantID = merchantID
        self.environment = environment
        self.officialAccountID = officialAccountID
        self.loginChannelID = loginChannelID
        self.linkedLoginChannelID = linkedLoginChannelID
        self.allowedSources = allowedSources
        self.eligibility = eligibility
    }
}

/// Suspending, reinstating or terminating a merchant.
public enum MerchantStatusChange: String, Sendable, Equatable, CaseIterable {
    case suspend, reinstate, terminate
}

extension PointsDomain {
    public static let maxNameLength = 200
    public static let maxNoteLength = 2_000

    public func decide(_ command: RegisterMerchantCommand) throws(DomainError) -> Decision {
        var problems = FieldProblems()
        if !Identifiers.isValidChannelID(command.merchantID) { problems.add("merchantId", "must be the 10-digit POINT Connect channel ID") }
        if let problem = Identifiers.textProblem(command.name, maxLength: Self.maxNameLength) {
            problems.add("name", "must be 1–\(Self.maxNameLength) characters without control characters: \(problem)")
        }
        if !UnifiedBusinessNumber.isValid(command.taxID) {
            problems.add("taxId", "must be an 8-digit Unified Business Number (統一編號) with a valid checksum")
        }
        if CivilTime.parseDate(command.appliedOn) == nil { problems.add("appliedOn", "must be a date YYYY-MM-DD") }
        let start = CivilTime.parseDate(command.contractStartDate)
        if start == nil { problems.add("contractStartDate", "must be a date YYYY-MM-DD") }
        let price = command.unitPriceTenths ?? Contract.defaultUnitPriceTenths
        if !Contract.unitPriceTenthsRange.contains(price) {
            problems.add("unitPriceTenths", "must be the price per point in tenths of NT$ (11 = NT$1.1), 1–1000")
        }
        try problems.throwIfAny()
        guard let start else { throw DomainError.invalid(problems.details) }
        let contract = Contract(startDate: command.contractStartDate, startMonth: CivilTime.monthNumber(year: start.year, month: start.month),
                                unitPriceTenths: price)
        if let existing = merchant(command.merchantID) {
            // The same registration sent again is answered by its record; other details name what differs.
            var differences: [DomainError.Detail] = []
            if existing.name != command.name { differences.append(DomainError.Detail(property: "name", message: "is \(existing.name)")) }
            if existing.taxID != command.taxID { differences.append(DomainError.Detail(property: "taxId", message: "is \(existing.taxID)")) }
            if existing.appliedOn != command.appliedOn { differences.append(DomainError.Detail(property: "appliedOn", message: "is \(existing.appliedOn)")) }
            if existing.contract.startDate != contract.startDate {
                differences.append(DomainError.Detail(property: "contractStartDate", message: "is \(existing.contract.startDate)"))
            }
            if existing.contract.unitPriceTenths != contract.unitPriceTenths {
                differences.append(DomainError.Detail(property: "unitPriceTenths", message: "is \(existing.contract.unitPriceTenths)"))
            }
            if differences.isEmpty && existing.contract == contract { return .replay(existing.registered) }
            throw DomainError(.conflict, code: "merchant_exists",
                              message: "Merchant \(command.merchantID) is already registered with other details; a registration is not changed by registering again. Resend the original details to get its answer again.",
                              details: differences)
        }
        if merchants.count >= limits.maxMerchants {
            throw DomainError(.rejected, code: "limit_reached", message: "The service holds its maximum of \(limits.maxMerchants) merchants.")
        }
        return .append(.merchantRegistered(MerchantRegistered(
            merchantID: command.merchantID, name: command.name, taxID: command.taxID, appliedOn: command.appliedOn, contract: contract)))
    }

    public func decide(_ command: OpenEnvironmentCommand) throws(DomainError) -> Decision {
        let merchant = try existingMerchant(command.merchantID)
        var problems = FieldProblems()
        if !Identifiers.isValidOfficialAccountID(command.officialAccountID) {
            problems.add("officialAccountId", "must be the Official Account's basic ID, like @123abcde")
        }
        if !Identifiers.isValidChannelID(command.loginChannelID) { problems.add("loginChannelId", "must be a 10-digit LINE Login channel ID") }
        if !Identifiers.isValidChannelID(command.linkedLoginChannelID) {
            problems.add("linkedLoginChannelId", "must be the 10-digit LINE Login channel linked to the Official Account")
        }
        checkAllowlist(command.allowedSources, into: &problems)
        try problems.throwIfAny()
        if command.loginChannelID != command.linkedLoginChannelID {
            throw DomainError(.rejected, code: "login_channel_not_linked",
                              message: "LINE Login channel \(command.loginChannelID) is not the channel linked to Official Account \(command.officialAccountID) (\(command.linkedLoginChannelID)); link the Login channel to the Official Account that is connected to POINT Connect, or register the linked channel.",
                              details: [DomainError.Detail(property: "loginChannelId", message: "must equal linkedLoginChannelId")])
        }
        // The same opening sent again, while the environment is still as it opened it, is
        // answered by its record; other content for an open environment names what differs.
        if let current = merchant.access(command.environment) {
            var differences: [DomainError.Detail] = []
            if current.officialAccountID != command.officialAccountID {
                differences.append(DomainError.Detail(property: "officialAccountId", message: "is \(current.officialAccountID)"))
            }
            if current.loginChannelID != command.loginChannelID {
                differences.append(DomainError.Detail(property: "loginChannelId", message: "is \(current.loginChannelID)"))
            }
            if current.allowedSources != command.allowedSources {
                differences.append(DomainError.Detail(property: "allowedSources",
                                                      message: "is \(current.allowedSources.joined(separator: ", ")); change it with PUT …/environments/\(command.environment.rawValue)/allowlist"))
            }
            let sameEligibility = command.environment == .sandbox
                ? command.eligibility == nil
                : merchant.eligibility.map(Self.normalized) == command.eligibility.map(Self.normalized)
            if !sameEligibility { differences.append(DomainError.Detail(property: "eligibility", message: "differs from the recorded eligibility")) }
            if differences.isEmpty, let opened = merchant.openedRecords[command.environment] { return .replay(opened) }
            throw DomainError(.conflict, code: "environment_already_open",
                              message: "Merchant \(merchant.id)'s \(command.environment.rawValue) environment is already open with other access; an environment opens once. Resend the original opening to get its answer again, or change the allowlist with PUT /v1/admin/merchants/\(merchant.id)/environments/\(command.environment.rawValue)/allowlist.",
                              details: differences)
        }
        if let owner = loginChannels[command.loginChannelID] {
            if owner.environment != command.environment {
                throw DomainError(.rejected, code: "channel_registered_in_other_environment",
                                  message: "LINE Login channel \(command.loginChannelID) is registered in \(owner.environment.rawValue); a channel can't be used in both sandbox and production — use a test account's channel for sandbox and the production channel for production.",
                                  details: [DomainError.Detail(property: "loginChannelId", message: "is registered in \(owner.environment.rawValue)")])
            }
            if merchants[Int(owner.merchant)].id != command.merchantID {
                throw DomainError(.conflict, code: "channel_registered_to_other_merchant",
                                  message: "LINE Login channel \(command.loginChannelID) is already registered to another merchant.",
                                  details: [DomainError.Detail(property: "loginChannelId", message: "belongs to another merchant")])
            }
        }
        try checkOfficialAccount(command, of: merchant)
        switch command.environment {
        case .sandbox:
            guard merchant.status == .applied else {
                throw DomainError(.conflict, code: "merchant_status_conflict",
                                  message: "Merchant \(merchant.id) is \(merchant.status.rawValue); the sandbox is opened once, for an applied merchant.")
            }
            if command.eligibility != nil {
                throw DomainError.invalid([DomainError.Detail(property: "eligibility", message: "applies to production only")])
            }
            return .append(.sandboxOpened(merchantID: merchant.id, access: access(command)))
        case .production:
            guard merchant.status == .sandbox else {
                throw DomainError(.conflict, code: "merchant_status_conflict",
                                  message: "Merchant \(merchant.id) is \(merchant.status.rawValue); production opens only after the sandbox (applied → sandbox → production).")
            }
            guard let eligibility = command.eligibility else {
                throw DomainError(.rejected, code: "eligibility_required",
                                  message: "Production requires eligibility: messaging spend of at least NT$150,000 in each of the three months before the application, or a recorded special-case approval.",
                                  details: [DomainError.Detail(property: "eligibility", message: "is required for production")])
            }
            try checkEligibility(eligibility, appliedOn: merchant.appliedOn)
            // Onboarding order: the scenario review comes first, then the test environment,
            // then production.
            guard scenarios.contains(where: { $0.merchantID == merchant.id && $0.status == .approved }) else {
                throw DomainError(.conflict, code: "no_approved_scenario",
                                  message: "Merchant \(merchant.id) has no approved scenario; production opens only after head office approved at least one grant scenario (submit it with POST /v1/scenarios and have it reviewed first).")
            }
            return .append(.productionOpened(merchantID: merchant.id, access: access(command), eligibility: eligibility))
        }
    }

    /// An Official Account belongs to one merchant, and the test account is never the
    /// production one (the production Official Account channel must not be used for testing).
    private func checkOfficialAccount(_ command: OpenEnvironmentCommand, of merchant: Merchant) throws(DomainError) {
        let account = command.officialAccountID
        let other: MerchantEnvironment = command.environment == .sandbox ? .production : .sandbox
        if merchant.access(other)?.officialAccountID == account {
            throw DomainError(.rejected, code: "official_account_in_other_environment",
                              message: "Official Account \(account) is this merchant's \(other.rawValue) account; the test environment uses a test account (a grey-shield account is fine) and production the production account, never the same one.",
                              details: [DomainError.Detail(property: "officialAccountId", message: "is the \(other.rawValue) account")])
        }
        if merchants.contains(where: { $0.id != merchant.id && ($0.sandbox?.officialAccountID == account || $0.production?.officialAccountID == account) }) {
            throw DomainError(.conflict, code: "official_account_registered_to_other_merchant",
                              message: "Official Account \(account) is already registered to another merchant; check the account's basic ID.",
                              details: [DomainError.Detail(property: "officialAccountId", message: "belongs to another merchant")])
        }
    }

    public func decide(merchantID: String, statusChange: MerchantStatusChange, note: String) throws(DomainError) -> Decision {
        let merchant = try existingMerchant(merchantID)
        if let problem = Identifiers.textProblem(note, maxLength: Self.maxNoteLength) {
            throw DomainError.invalid([DomainError.Detail(property: "reason", message: "must be 1–\(Self.maxNoteLength) characters explaining the change: \(problem)")])
        }
        // The same change sent again, while it is still the last one, is answered by its record.
        if let last = merchant.lastStatusChange, last.change == statusChange {
            if last.note == note { return .replay(last.record) }
            // The same change with another reason: a resend that differs, named as such.
            throw DomainError(.conflict, code: "merchant_status_conflict",
                              message: "Merchant \(merchant.id)'s last status change, \(statusChange.rawValue), was recorded with another reason; resend it with the original reason to get the original answer.",
                              details: [DomainError.Detail(property: "reason", message: "differs from the last \(statusChange.rawValue)'s")])
        }
        switch statusChange {
        case .suspend:
            guard merchant.status == .sandbox || merchant.status == .production else {
                throw statusConflict(merchant, "only a merchant in sandbox or production can be suspended")
            }
            return .append(.merchantSuspended(merchantID: merchantID, reason: note))
        case .reinstate:
            guard merchant.status == .suspended else { throw statusConflict(merchant, "only a suspended merchant can be reinstated") }
            return .append(.merchantReinstated(merchantID: merchantID, note: note))
        case .terminate:
            guard merchant.status != .terminated else { throw statusConflict(merchant, "the merchant is already terminated") }
            return .append(.merchantTerminated(merchantID: merchantID, reason: note))
        }
    }

    /// Records a rotation of the merchant's API secret (the secret is kept outside the ledger);
    /// refused for a terminated merchant.
    public func decide(credentialRotationOf merchantID: String, previousSecretValidUntil: Int64) throws(DomainError) -> Decision {
        let merchant = try existingMerchant(merchantID)
        guard merchant.status != .terminated else {
            throw DomainError(.forbidden, code: "merchant_terminated", message: "Merchant \(merchantID) is terminated; its credential can't be rotated.")
        }
        return .append(.credentialRotated(merchantID: merchantID, previousSecretValidUntil: previousSecretValidUntil))
    }

    public func decide(merchantID: String, environment: MerchantEnvironment, allowedSources: [String]) throws(DomainError) -> Decision {
        let merchant = try existingMerchant(merchantID)
        var problems = FieldProblems()
        checkAllowlist(allowedSources, into: &problems)
        try problems.throwIfAny()
        guard let access = merchant.access(environment) else {
            throw DomainError(.conflict, code: "environment_not_open",
                              message: "Merchant \(merchantID) has no \(environment.rawValue) environment yet; open it first.")
        }
        // The allowlist it already has — the same entries in any order, as an allowlist is a set:
        // nothing to write; answered by the record that set it.
        if Set(access.allowedSources) == Set(allowedSources), let record = merchant.allowlistRecords[environment] { return .replay(record) }
        guard merchant.status != .terminated else { throw statusConflict(merchant, "a terminated merchant can't be changed") }
        return .append(.allowlistUpdated(merchantID: merchantID, environment: environment, allowedSources: allowedSources))
    }

    func existingMerchant(_ merchantID: String) throws(DomainError) -> Merchant {
        guard let merchant = merchant(merchantID) else {
            throw DomainError(.notFound, code: "merchant_not_found", message: "No merchant \(merchantID); check the merchant ID.")
        }
        return merchant
    }

    private func statusConflict(_ merchant: Merchant, _ why: String) -> DomainError {
        DomainError(.conflict, code: "merchant_status_conflict", message: "Merchant \(merchant.id) is \(merchant.status.rawValue): \(why).")
    }

    private func access(_ command: OpenEnvironmentCommand) -> EnvironmentAccess {
        EnvironmentAccess(officialAccountID: command.officialAccountID, loginChannelID: command.loginChannelID,
                          allowedSources: command.allowedSources)
    }

    private func checkAllowlist(_ sources: [String], into problems: inout FieldProblems) {
        if sources.isEmpty { problems.add("allowedSources", "must list at least one source address or CIDR block") }
        if sources.count > EnvironmentAccess.maxAllowedSources {
            problems.add("allowedSources", "may list at most \(EnvironmentAccess.maxAllowedSources) entries")
        }
        for (position, source) in sources.enumerated() where !Self.looksLikeAddressOrCIDR(source) {
            problems.add("allowedSources[\(position)]", "must be an IPv4 or IPv6 address or CIDR block, like 203.0.113.7 or 203.0.113.0/24")
        }
    }

    /// A shape check only (hex digits, dots, colons, one slash); the API layer parses exactly.
    static func looksLikeAddressOrCIDR(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 49 else { return false }
        var slashes = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"),
                UInt8(ascii: "."), UInt8(ascii: ":"):
                continue
            case UInt8(ascii: "/"):
                slashes += 1
            default:
                return false
            }
        }
        return slashes <= 1 && (text.contains(".") || text.contains(":"))
    }

    /// Eligibility with its months in month order (the order they were listed in is not part of it).
    static func normalized(_ eligibility: ProductionEligibility) -> ProductionEligibility {
        guard case .messagingSpend(let months) = eligibility else { return eligibility }
        return .messagingSpend(months.sorted { ($0.month, $0.amount) < ($1.month, $1.amount) })
    }

    private func checkEligibility(_ eligibility: ProductionEligibility, appliedOn: String) throws(DomainError) {
        switch eligibility {
        case .specialApproval(let reference, let approvedBy):
            var problems = FieldProblems()
            if !Identifiers.isValidExternalID(reference) { problems.add("eligibility.reference", "must be the approval's reference, \(Identifiers.externalIDRule)") }
            if let problem = Identifiers.textProblem(approvedBy, maxLength: Self.maxNameLength) {
                problems.add("eligibility.approvedBy", "must name who approved the special case in 1–\(Self.maxNameLength) characters: \(problem)")
            }
            try problems.throwIfAny()
        case .messagingSpend(let months):
            guard let applied = CivilTime.parseDate(appliedOn) else { return }
            let applicationMonth = CivilTime.monthNumber(year: applied.year, month: applied.month)
            let required = [applicationMonth - 3, applicationMonth - 2, applicationMonth - 1]
            var problems = FieldProblems()
            var byMonth: [Int32: Int] = [:]
            for (position, spend) in months.enumerated() {
                guard let month = CivilTime.parseMonth(spend.month) else {
                    problems.add("eligibility.months[\(position)].month", "must be a month YYYY-MM")
                    continue
                }
                if spend.amount < 0 { problems.add("eligibility.months[\(position)].amount", "must be whole NT$, not negative") }
                if byMonth[month] != nil {
                    problems.add("eligibility.months[\(position)].month", "\(spend.month) is listed twice; give each month's spend once")
                }
                byMonth[month] = spend.amount
            }
            try problems.throwIfAny()
            for month in required {
                let amount = byMonth[month] ?? 0
                if amount < ProductionEligibility.minimumMonthlySpend {
                    problems.add("eligibility.months", "\(CivilTime.formatMonth(month)) messaging spend is NT$\(amount), below NT$150,000")
                }
            }
            if !problems.isEmpty {
                throw DomainError(.rejected, code: "not_eligible_for_production",
                                  message: "Production requires Official Account messaging spend of at least NT$150,000 in each of \(required.map(CivilTime.formatMonth).joined(separator: ", ")) (the three months before the application); record a special-case approval for a brand-new account instead.",
                                  details: problems.details)
            }
        }
    }
}
