/// The result of calculating one merchant's period.
public struct InvoiceCalculation: Sendable, Hashable {
    /// The invoice (unnumbered: a draft or a statement), or `nil` when there is nothing to bill —
    /// no fee due, no activity, no adjustment. Credit alone does not make an invoice.
    public var invoice: Invoice?
    /// The state the next period starts from.
    public var stateAfter: MerchantBillingState
}

/// The monthly billing rules as a pure function of the merchant's profile, the period, the
/// period's activity and what earlier invoices left behind.
///
/// Runs in time linear in the number of activity buckets (not items: ``PeriodActivity``
/// has already aggregated them).
public enum InvoiceCalculator {
    /// Calculates a merchant's invoice for a period.
    ///
    /// Lines, in order: the platform fee when due; points granted; revocation credits (by
    /// billed unit price and cited earlier document); revocations without credit; late finding
    /// charges and credits; then the carried balance: credit brought forward (at most the
    /// positive sum of the other lines) or, when the other lines sum below zero, the excess
    /// carried forward so the invoice is never negative. All lines are taxable: VAT is 5% of
    /// the net subtotal.
    public static func calculate(profile: MerchantBillingProfile, period: BillingMonth, activity: PeriodActivity,
                                 state stateBefore: MerchantBillingState) throws(BillingError) -> InvoiceCalculation {
        // Documents of another mode (sandbox before go-live) leave nothing behind.
        var state = stateBefore.mode == nil || stateBefore.mode == profile.mode ? stateBefore : .initial
        state.mode = profile.mode
        var lines: [InvoiceLine] = []
        lines.reserveCapacity(activity.adjustments.count + 4)

        if let contractYear = profile.contractYear(of: period), profile.contractYearBegins(contractYear),
           (state.platformFeeChargedThroughContractYear ?? -1) < contractYear {
            lines.append(try .priced(.platformFee, quantity: 1, unitPriceTenths: MerchantBillingProfile.annualPlatformFee * 10,
                                     contractYear: contractYear))
            state.platformFeeChargedThroughContractYear = contractYear
        }
        if let grants = activity.grants {
            lines.append(try .priced(.pointsGranted, quantity: grants.points, unitPriceTenths: profile.unitPrice.tenths,
                                     events: grants.events))
        }
        let buckets = activity.adjustments.sorted { left, right in
            if left.key.type != right.key.type { return left.key.type < right.key.type }
            if left.key.cites != right.key.cites {
                guard let leftCites = left.key.cites else { return true }
                guard let rightCites = right.key.cites else { return false }
                return leftCites < rightCites
            }
            return left.key.unitPriceTenths < right.key.unitPriceTenths
        }
        for (bucket, tally) in buckets {
            lines.append(try .priced(bucket.type, quantity: tally.points, unitPriceTenths: bucket.unitPriceTenths,
                                     events: tally.events, cites: bucket.cites))
        }
        guard !lines.isEmpty else { return InvoiceCalculation(invoice: nil, stateAfter: state) }

        var subtotal: Int64 = 0
        for line in lines { subtotal = try BillingMoney.add(subtotal, line.netAmount, "invoice subtotal") }
        let creditBefore = state.creditBalance
        if subtotal > 0, state.creditBalance > 0 {
            let applied = min(subtotal, state.creditBalance)
            lines.append(try .priced(.creditBroughtForward, quantity: 1, unitPriceTenths: applied * 10))
            subtotal -= applied
            state.creditBalance -= applied
        } else if subtotal < 0 {
            let excess = -subtotal
            lines.append(try .priced(.creditCarriedForward, quantity: 1, unitPriceTenths: excess * 10))
            state.creditBalance = try BillingMoney.add(state.creditBalance, excess, "credit balance")
            subtotal = 0
        }
        let tax = try BillingMoney.tax(onTaxableTotal: subtotal)
        let invoice = Invoice(number: nil, period: period, merchantID: profile.merchantID, merchantTaxID: profile.taxID,
                              merchantName: profile.merchantName, mode: profile.mode, unitPrice: profile.unitPrice,
                              lines: lines, subtotal: subtotal, tax: tax, total: subtotal + tax,
                              creditBalanceBefore: creditBefore, creditBalanceAfter: state.creditBalance)
        return InvoiceCalculation(invoice: invoice, stateAfter: state)
    }
}
