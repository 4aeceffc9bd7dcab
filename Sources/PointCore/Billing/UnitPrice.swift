/// The contract's price per point granted, in exact tenths of NT$ (11 = NT$1.1, 12 = NT$1.2).
public struct UnitPrice: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Tenths of NT$ per point.
    public let tenths: Int64

    /// Prices a contract may carry: NT$0.1 … NT$100.0 per point.
    public static let supportedTenths: ClosedRange<Int64> = 1...1_000
    /// NT$1.1, the current list price.
    public static let standard = UnitPrice(uncheckedTenths: 11)
    /// NT$1.2, the price of older contracts.
    public static let legacy = UnitPrice(uncheckedTenths: 12)

    /// A price in tenths of NT$, refused outside ``supportedTenths``.
    public init(tenths: Int64) throws(BillingError) {
        guard Self.supportedTenths.contains(tenths) else { throw .unitPriceOutOfRange(tenths: tenths) }
        self.tenths = tenths
    }

    private init(uncheckedTenths: Int64) { self.tenths = uncheckedTenths }

    /// `NT$1.1`.
    public var description: String { BillingMoney.formatTenths(tenths) }

    public static func < (left: UnitPrice, right: UnitPrice) -> Bool { left.tenths < right.tenths }
}
