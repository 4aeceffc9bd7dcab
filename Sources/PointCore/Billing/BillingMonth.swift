/// A billing period: one calendar month in Asia/Taipei (UTC+8, no daylight saving).
///
/// Months order chronologically. ``description`` and ``init(parsing:)`` use the strict
/// `YYYY-MM` form (four-digit year, two-digit month, ASCII digits only).
public struct BillingMonth: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Calendar year, 1970…9999.
    public let year: Int
    /// Calendar month, 1…12.
    public let month: Int

    /// Supported years.
    public static let supportedYears: ClosedRange<Int> = 1970...9999
    /// Asia/Taipei's fixed offset from UTC, in microseconds.
    public static let taipeiOffsetMicros: Int64 = 8 * 3_600_000_000
    static let microsPerDay: Int64 = 86_400_000_000

    /// A month from its parts; refused outside 1970-01…9999-12.
    public init(year: Int, month: Int) throws(BillingError) {
        guard Self.supportedYears.contains(year), (1...12).contains(month) else {
            throw .monthOutOfRange(year: year, month: month)
        }
        self.year = year
        self.month = month
    }

    /// Parses `YYYY-MM` strictly: exactly seven ASCII characters, a dash in the middle.
    public init(parsing text: String) throws(BillingError) {
        let bytes = Array(text.utf8)
        guard bytes.count == 7 else {
            throw .malformedMonth(text: text, reason: "expected 7 characters, got \(bytes.count)")
        }
        guard bytes[4] == UInt8(ascii: "-") else {
            throw .malformedMonth(text: text, reason: "expected \"-\" after the four-digit year")
        }
        var year = 0
        for byte in bytes[0..<4] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
                throw .malformedMonth(text: text, reason: "the year must be four ASCII digits")
            }
            year = year * 10 + Int(byte - UInt8(ascii: "0"))
        }
        var month = 0
        for byte in bytes[5..<7] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
                throw .malformedMonth(text: text, reason: "the month must be two ASCII digits")
            }
            month = month * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard (1...12).contains(month) else {
            throw .malformedMonth(text: text, reason: "the month must be 01…12")
        }
        guard Self.supportedYears.contains(year) else {
            throw .malformedMonth(text: text, reason: "the year must be 1970…9999")
        }
        self.year = year
        self.month = month
    }

    /// The Asia/Taipei month containing a ledger time (UTC microseconds since the epoch).
    public init(containingLedgerTime micros: Int64) throws(BillingError) {
        let (local, overflow) = micros.addingReportingOverflow(Self.taipeiOffsetMicros)
        guard !overflow else { throw .ledgerTimeOutOfRange(micros: micros) }
        let days = local >= 0 ? local / Self.microsPerDay : (local + 1) / Self.microsPerDay - 1
        let date = BillingCalendar.civilDate(daysSinceEpoch: days)
        guard Self.supportedYears.contains(date.year) else { throw .ledgerTimeOutOfRange(micros: micros) }
        self.year = date.year
        self.month = date.month
    }

    /// Months since 0000-01: consecutive months differ by one.
    public var ordinal: Int { year * 12 + month - 1 }

    /// The month with a given ``ordinal``, or `nil` outside the supported years.
    public init?(ordinal: Int) {
        let year = ordinal >= 0 ? ordinal / 12 : -1
        guard Self.supportedYears.contains(year) else { return nil }
        self.year = year
        self.month = ordinal % 12 + 1
    }

    /// The following month, or `nil` after 9999-12.
    public var next: BillingMonth? { BillingMonth(ordinal: ordinal + 1) }
    /// The preceding month, or `nil` before 1970-01.
    public var previous: BillingMonth? { BillingMonth(ordinal: ordinal - 1) }

    /// The month `count` months later (earlier when negative), or `nil` outside the calendar.
    public func adding(months count: Int) -> BillingMonth? {
        let (sum, overflow) = ordinal.addingReportingOverflow(count)
        return overflow ? nil : BillingMonth(ordinal: sum)
    }

    /// Whole months from `earlier` to this month (negative when `earlier` is later).
    public func months(since earlier: BillingMonth) -> Int { ordinal - earlier.ordinal }

    /// The first instant of the month: 00:00 on the 1st in Asia/Taipei, as UTC microseconds.
    public var startInstant: Int64 {
        BillingCalendar.daysSinceEpoch(year: year, month: month, day: 1) * Self.microsPerDay - Self.taipeiOffsetMicros
    }

    /// The instant the period ends: 00:00 on the 1st of the following month in Asia/Taipei,
    /// as UTC microseconds. Exclusive — an event at exactly this instant belongs to the next month.
    public var endInstant: Int64 {
        let nextYear = month == 12 ? year + 1 : year
        let nextMonth = month == 12 ? 1 : month + 1
        return BillingCalendar.daysSinceEpoch(year: nextYear, month: nextMonth, day: 1) * Self.microsPerDay - Self.taipeiOffsetMicros
    }

    /// Whether the period has ended at `now` (UTC microseconds): `now >= endInstant`.
    public func hasEnded(at now: Int64) -> Bool { now >= endInstant }

    /// Whether a ledger time falls inside the period.
    public func contains(ledgerTime micros: Int64) -> Bool { micros >= startInstant && micros < endInstant }

    /// `YYYY-MM`.
    public var description: String {
        let yearText = String(year)
        let paddedYear = String(repeating: "0", count: max(0, 4 - yearText.count)) + yearText
        return paddedYear + (month < 10 ? "-0" : "-") + String(month)
    }

    public static func < (left: BillingMonth, right: BillingMonth) -> Bool { left.ordinal < right.ordinal }
}

/// Proleptic Gregorian calendar arithmetic in pure integers (Howard Hinnant's algorithms).
enum BillingCalendar {
    /// Days since 1970-01-01 of a calendar date.
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int64 {
        let shiftedYear = Int64(month <= 2 ? year - 1 : year)
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let monthIndex = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * monthIndex + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The calendar date of a day count since 1970-01-01.
    static func civilDate(daysSinceEpoch days: Int64) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }
}
