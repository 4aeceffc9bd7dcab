/// Integer money arithmetic for invoices: exact tenths of NT$, half-up rounding to whole NT$,
/// 5% VAT, every step overflow-checked against explicit bounds.
///
/// Amounts are `Int64` whole NT$ unless a name says "tenths". No floating point anywhere.
public enum BillingMoney {
    /// The largest amount, in whole NT$, any line, subtotal, tax, total or balance may reach:
    /// NT$10^15. Tenths of it (10^16) still fit comfortably in `Int64`.
    public static let maximumAmount: Int64 = 1_000_000_000_000_000
    /// The largest point quantity one invoice line (or one activity item) may carry: 10^12.
    public static let maximumPoints: Int64 = 1_000_000_000_000
    /// Value-added (business) tax on services in Taiwan, in percent.
    public static let taxRatePercent: Int64 = 5

    /// Whole NT$ of an exact amount in tenths, rounded half-up on the magnitude
    /// (half away from zero), so a credit is exactly the mirror of the equal charge:
    /// 55 tenths → NT$6, 54 → NT$5, −55 → −NT$6.
    public static func roundTenthsHalfUp(_ tenths: Int64) -> Int64 {
        let magnitude = tenths.magnitude
        let whole = Int64((magnitude + 5) / 10)
        return tenths < 0 ? -whole : whole
    }

    /// The exact amount in tenths of `quantity × unitPriceTenths`, checked against the bounds.
    public static func exactTenths(quantity: Int64, unitPriceTenths: Int64) throws(BillingError) -> Int64 {
        let (product, overflow) = quantity.multipliedReportingOverflow(by: unitPriceTenths)
        guard !overflow, product.magnitude <= UInt64(maximumAmount) * 10 else {
            throw .amountOutOfBounds(what: "\(quantity) × \(unitPriceTenths) tenths of NT$")
        }
        return product
    }

    /// A line's whole-NT$ amount: `quantity × unitPriceTenths / 10`, rounded half-up.
    public static func lineAmount(quantity: Int64, unitPriceTenths: Int64) throws(BillingError) -> Int64 {
        roundTenthsHalfUp(try exactTenths(quantity: quantity, unitPriceTenths: unitPriceTenths))
    }

    /// VAT on a non-negative taxable total: 5%, rounded half-up to whole NT$
    /// (NT$10 → NT$0.5 → NT$1; NT$9 → NT$0.45 → NT$0).
    public static func tax(onTaxableTotal total: Int64) throws(BillingError) -> Int64 {
        guard total >= 0, total <= maximumAmount else {
            throw .amountOutOfBounds(what: "taxable total \(total)")
        }
        // total ≤ 10^15, so total × 5 cannot overflow.
        return (total * taxRatePercent + 50) / 100
    }

    /// `left + right`, refused outside ±``maximumAmount``.
    public static func add(_ left: Int64, _ right: Int64, _ what: @autoclosure () -> String) throws(BillingError) -> Int64 {
        let (sum, overflow) = left.addingReportingOverflow(right)
        guard !overflow, sum.magnitude <= UInt64(maximumAmount) else { throw .amountOutOfBounds(what: what()) }
        return sum
    }

    /// Adds a point quantity to a running point total, refused above ``maximumPoints``.
    public static func addPoints(_ total: Int64, _ points: Int64) throws(BillingError) -> Int64 {
        guard points > 0, points <= maximumPoints else { throw .pointsOutOfRange(points: points) }
        let sum = total + points // both ≤ 10^12: no overflow
        guard sum <= maximumPoints else { throw .pointsOutOfRange(points: sum) }
        return sum
    }

    /// `NT$1,234,567` style text of a whole-NT$ amount (a leading minus for credits).
    public static func format(_ amount: Int64) -> String {
        let digits = String(amount.magnitude)
        var grouped = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(character)
        }
        return (amount < 0 ? "-NT$" : "NT$") + grouped
    }

    /// `NT$1.1` style text of a price in tenths (`NT$100,000.0` for whole amounts in tenths).
    public static func formatTenths(_ tenths: Int64) -> String {
        let whole = format(tenths / 10)
        let fraction = (tenths % 10).magnitude
        return whole + "." + String(fraction)
    }
}
