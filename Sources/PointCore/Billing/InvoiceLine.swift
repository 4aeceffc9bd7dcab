/// The kinds of invoice line, in the order they are printed.
public enum InvoiceLineType: String, Sendable, Hashable, CaseIterable, Comparable {
    /// The annual API platform fee (NT$100,000) on the first invoice of a contract year.
    case platformFee = "platform_fee"
    /// Points granted in the period × the contract's unit price.
    case pointsGranted = "points_granted"
    /// Points revoked in the period under a permitted case, credited at the price billed.
    case revocationCredit = "revocation_credit"
    /// Points revoked in the period under a standing non-compliance finding: shown, no credit
    /// (usage rule 8 — the month is charged for issued and cancelled points).
    case revocationNotCredited = "revocation_not_credited"
    /// A finding recorded after the revocation's period closed: the credit given then is charged back.
    case lateFindingCharge = "late_finding_charge"
    /// A finding withdrawn after the revocation's period closed without credit: the credit now given.
    case withdrawnFindingCredit = "withdrawn_finding_credit"
    /// Credit left over from earlier invoices, applied to this one.
    case creditBroughtForward = "credit_brought_forward"
    /// Credit this invoice could not use (it would have gone negative), carried to the next.
    case creditCarriedForward = "credit_carried_forward"

    /// +1 for charges, −1 for credits, 0 for lines shown for the record only.
    public var sign: Int64 {
        switch self {
        case .platformFee, .pointsGranted, .lateFindingCharge, .creditCarriedForward: return 1
        case .revocationCredit, .withdrawnFindingCredit, .creditBroughtForward: return -1
        case .revocationNotCredited: return 0
        }
    }

    /// The printed description of the line.
    public var label: String {
        switch self {
        case .platformFee: return "API platform fee (annual)"
        case .pointsGranted: return "LINE POINTS granted"
        case .revocationCredit: return "Credit: points revoked under a permitted case"
        case .revocationNotCredited: return "Points revoked under a non-compliance finding: no credit (usage rule 8)"
        case .lateFindingCharge: return "Credit reversed: non-compliance finding recorded after close"
        case .withdrawnFindingCredit: return "Credit: non-compliance finding withdrawn after close"
        case .creditBroughtForward: return "Credit brought forward from earlier invoices"
        case .creditCarriedForward: return "Credit carried forward to the next invoice"
        }
    }

    private var printOrder: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    public static func < (left: InvoiceLineType, right: InvoiceLineType) -> Bool { left.printOrder < right.printOrder }
}

/// One line of an invoice.
///
/// Invariant: `netAmount == type.sign × round_half_up(quantity × unitPriceTenths / 10)`.
public struct InvoiceLine: Sendable, Hashable {
    /// What the line bills or credits.
    public var type: InvoiceLineType
    /// Points for point lines; 1 for the fee and balance lines.
    public var quantity: Int64
    /// Price per unit in tenths of NT$ (for the fee and balance lines: the amount × 10).
    public var unitPriceTenths: Int64
    /// Whole NT$, tax-exclusive; negative for credits.
    public var netAmount: Int64
    /// The ledger events behind the line; `nil` for the fee and balance lines.
    public var events: EventSpan?
    /// The earlier document the line adjusts (revocations of grants billed on an earlier
    /// invoice, late finding adjustments).
    public var cites: CitedDocument?
    /// For the platform fee: the contract year it pays (0 = the first).
    public var contractYear: Int?

    public init(type: InvoiceLineType, quantity: Int64, unitPriceTenths: Int64, netAmount: Int64,
                events: EventSpan? = nil, cites: CitedDocument? = nil, contractYear: Int? = nil) {
        self.type = type
        self.quantity = quantity
        self.unitPriceTenths = unitPriceTenths
        self.netAmount = netAmount
        self.events = events
        self.cites = cites
        self.contractYear = contractYear
    }

    /// A line computed from quantity and unit price with the line type's sign.
    static func priced(_ type: InvoiceLineType, quantity: Int64, unitPriceTenths: Int64, events: EventSpan? = nil,
                       cites: CitedDocument? = nil, contractYear: Int? = nil) throws(BillingError) -> InvoiceLine {
        let magnitude = try BillingMoney.lineAmount(quantity: quantity, unitPriceTenths: unitPriceTenths)
        return InvoiceLine(type: type, quantity: quantity, unitPriceTenths: unitPriceTenths, netAmount: type.sign * magnitude,
                           events: events, cites: cites, contractYear: contractYear)
    }

    /// The line's references as one compact text: events, cited document, contract year.
    public var referenceSummary: String {
        var parts: [String] = []
        if let events { parts.append(events.summary) }
        if let cites { parts.append("cites \(cites)") }
        if let contractYear { parts.append("contract year \(contractYear + 1)") }
        return parts.joined(separator: "; ")
    }
}
