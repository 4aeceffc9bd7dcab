/// An invoice number, `PC-YYYY-NNNNNN`: the year of the billed period and a serial that is
/// gapless and sequential within that year, starting at 000001.
public struct InvoiceNumber: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The calendar year of the billed period.
    public let year: Int
    /// 1 … ``maximumSerial``.
    public let serial: Int

    /// Six digits per year.
    public static let maximumSerial = 999_999

    /// A number from its parts; refused outside the supported years or serials.
    public init(year: Int, serial: Int) throws(BillingError) {
        guard BillingMonth.supportedYears.contains(year), (1...Self.maximumSerial).contains(serial) else {
            throw .malformedInvoiceNumber(text: "PC-\(year)-\(serial)")
        }
        self.year = year
        self.serial = serial
    }

    /// Parses `PC-YYYY-NNNNNN` strictly.
    public init(parsing text: String) throws(BillingError) {
        let bytes = Array(text.utf8)
        guard bytes.count == 14, bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "C"),
              bytes[2] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-")
        else { throw .malformedInvoiceNumber(text: text) }
        var year = 0
        var serial = 0
        for (index, byte) in bytes.enumerated() where index >= 3 && index != 7 {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { throw .malformedInvoiceNumber(text: text) }
            let digit = Int(byte - UInt8(ascii: "0"))
            if index < 7 { year = year * 10 + digit } else { serial = serial * 10 + digit }
        }
        guard BillingMonth.supportedYears.contains(year), serial >= 1 else { throw .malformedInvoiceNumber(text: text) }
        self.year = year
        self.serial = serial
    }

    /// `PC-2026-000123`.
    public var description: String {
        let serialText = String(serial)
        return "PC-\(year)-" + String(repeating: "0", count: 6 - serialText.count) + serialText
    }

    public static func < (left: InvoiceNumber, right: InvoiceNumber) -> Bool {
        (left.year, left.serial) < (right.year, right.serial)
    }
}

/// Issues invoice numbers gaplessly: per year of the billed period, 000001, 000002, …
///
/// Closing assigns numbers to a period's billable invoices in merchant-id order (UTF-8 byte
/// order), so replaying the same closes reproduces the same numbers. Statements for sandbox
/// merchants never take a number.
public struct InvoiceNumberSequence: Sendable, Equatable {
    /// The last serial issued per year.
    public private(set) var lastSerialByYear: [Int: Int] = [:]

    public init() {}

    /// Resumes after numbers already issued (e.g. replayed from the ledger).
    public init(lastSerialByYear: [Int: Int]) { self.lastSerialByYear = lastSerialByYear }

    /// The number the next invoice for `period` would get, without taking it.
    public func peek(for period: BillingMonth) throws(BillingError) -> InvoiceNumber {
        let serial = (lastSerialByYear[period.year] ?? 0) + 1
        guard serial <= InvoiceNumber.maximumSerial else { throw .invoiceNumbersExhausted(year: period.year) }
        return try InvoiceNumber(year: period.year, serial: serial)
    }

    /// Takes the next number for `period`.
    public mutating func next(for period: BillingMonth) throws(BillingError) -> InvoiceNumber {
        let number = try peek(for: period)
        lastSerialByYear[period.year] = number.serial
        return number
    }
}
