/// Whether a merchant's monthly documents are invoices or statements.
public enum BillingMode: String, Sendable, Hashable, CaseIterable {
    /// Production: an invoice with a number, payable.
    case billable
    /// Sandbox: the same calculation as a statement, clearly marked not billable, no number.
    case sandboxStatement = "sandbox_statement"
}

/// What the calculator needs to know about a merchant and its contract.
public struct MerchantBillingProfile: Sendable, Hashable {
    /// The merchant's id in the ledger.
    public var merchantID: String
    /// The merchant's Unified Business Number (統一編號), printed on the invoice.
    public var taxID: String
    /// The merchant's name, printed on the invoice.
    public var merchantName: String
    /// The month the contract started (a contract starting mid-month starts in that month).
    public var contractStart: BillingMonth
    /// The contract's price per point granted.
    public var unitPrice: UnitPrice
    /// Invoice (production) or statement (sandbox).
    public var mode: BillingMode
    /// The month the merchant went live, when it has: months before it stay sandbox
    /// statements even when they close after go-live (see ``applying(to:)``).
    public var billableFrom: BillingMonth?
    /// When the contract was terminated (ledger time): no contract year begins after it.
    public var terminatedAt: Int64?

    /// The API platform fee per contract year, NT$100,000 tax-exclusive.
    public static let annualPlatformFee: Int64 = 100_000

    public init(merchantID: String, taxID: String, merchantName: String, contractStart: BillingMonth,
                unitPrice: UnitPrice = .standard, mode: BillingMode = .billable) {
        self.merchantID = merchantID
        self.taxID = taxID
        self.merchantName = merchantName
        self.contractStart = contractStart
        self.unitPrice = unitPrice
        self.mode = mode
    }

    /// The contract year a period falls in (0 = the first twelve months from the start month),
    /// or `nil` for periods before the contract started.
    public func contractYear(of period: BillingMonth) -> Int? {
        let elapsed = period.months(since: contractStart)
        return elapsed < 0 ? nil : elapsed / 12
    }

    /// The profile as it applies to `period`: a month before the go-live month is a sandbox
    /// statement whenever it is closed.
    public func applying(to period: BillingMonth) -> MerchantBillingProfile {
        guard mode == .billable, let billableFrom, period < billableFrom else { return self }
        var profile = self
        profile.mode = .sandboxStatement
        return profile
    }

    /// Whether contract year `contractYear` (0 = the first) begins, so that its platform fee is
    /// due: every year does, except those starting after the contract was terminated.
    public func contractYearBegins(_ contractYear: Int) -> Bool {
        guard let terminatedAt else { return true }
        guard let firstMonth = contractStart.adding(months: contractYear * 12) else { return false }
        return firstMonth.startInstant <= terminatedAt
    }

    /// Whether a period is the contract's start month or a twelve-month anniversary of it.
    public func isAnniversary(_ period: BillingMonth) -> Bool {
        let elapsed = period.months(since: contractStart)
        return elapsed >= 0 && elapsed % 12 == 0
    }
}

/// What one merchant's earlier documents leave for the next one.
public struct MerchantBillingState: Sendable, Hashable {
    /// Credit (whole NT$, never negative) not yet used against a positive invoice.
    public var creditBalance: Int64
    /// The last contract year whose platform fee has been charged, or `nil` for none.
    public var platformFeeChargedThroughContractYear: Int?
    /// The mode of the documents this state comes from; `nil` before the first document.
    /// When a merchant's mode changes (go-live), the calculator starts from a fresh state:
    /// sandbox credit never reaches a billable invoice.
    public var mode: BillingMode?

    /// The state before a merchant's first document.
    public static let initial = MerchantBillingState(creditBalance: 0, platformFeeChargedThroughContractYear: nil, mode: nil)

    public init(creditBalance: Int64, platformFeeChargedThroughContractYear: Int?, mode: BillingMode?) {
        self.creditBalance = creditBalance
        self.platformFeeChargedThroughContractYear = platformFeeChargedThroughContractYear
        self.mode = mode
    }
}
