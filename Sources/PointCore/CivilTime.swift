/// Calendar arithmetic on microseconds since the Unix epoch, in pure integers (no Foundation
/// calendars, no time zone database): UTC formatting, strict RFC 3339 parsing, calendar
/// dates, and months in Asia/Taipei (UTC+8, no daylight saving).
public enum CivilTime {
    public static let microsPerSecond: Int64 = 1_000_000
    public static let microsPerDay: Int64 = 86_400_000_000
    /// Asia/Taipei's fixed offset from UTC.
    public static let taipeiOffsetMicros: Int64 = 8 * 3_600_000_000
    /// Supported instants: 1970-01-01 through 9999-12-31 UTC.
    public static let supportedRange: ClosedRange<Int64> = 0...253_402_300_799_999_999

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    public static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int64 {
        let shiftedYear = Int64(month <= 2 ? year - 1 : year)
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let monthIndex = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * monthIndex + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The calendar date of a day count since 1970-01-01.
    public static func civilDate(daysSinceEpoch days: Int64) -> (year: Int, month: Int, day: Int) {
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

    /// Days in a month of the proleptic Gregorian calendar.
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// A month counter: `year * 12 + (month - 1)`; consecutive months differ by one.
    public static func monthNumber(year: Int, month: Int) -> Int32 { Int32(year * 12 + month - 1) }

    /// The Asia/Taipei calendar month of an instant, as a ``monthNumber(year:month:)``.
    public static func taipeiMonthNumber(_ micros: Int64) -> Int32 {
        let local = micros + taipeiOffsetMicros
        let days = local >= 0 ? local / microsPerDay : (local - microsPerDay + 1) / microsPerDay
        let date = civilDate(daysSinceEpoch: days)
        return monthNumber(year: date.year, month: date.month)
    }

    /// `YYYY-MM` of a ``monthNumber(year:month:)``.
    public static func formatMonth(_ number: Int32) -> String {
        let year = Int(number) / 12
        let month = Int(number) % 12 + 1
        return pad(year, 4) + "-" + pad(month, 2)
    }

    /// Formats an instant as UTC RFC 3339 with six fractional digits: `2026-11-22T23:44:27.123456Z`.
    public static func formatUTC(_ micros: Int64) -> String {
        let clamped = min(max(micros, supportedRange.lowerBound), supportedRange.upperBound)
        let seconds = clamped / microsPerSecond
        let date = civilDate(daysSinceEpoch: seconds / 86_400)
        let secondOfDay = Int(seconds % 86_400)
        return pad(date.year, 4) + "-" + pad(date.month, 2) + "-" + pad(date.day, 2) + "T"
            + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
            + "." + pad(Int(clamped % microsPerSecond), 6) + "Z"
    }

    /// Formats an instant in Asia/Taipei, to the second: `2026-11-01T00:00:00+08:00`.
    public static func formatTaipei(_ micros: Int64) -> String {
        let clamped = min(max(micros, supportedRange.lowerBound), supportedRange.upperBound - taipeiOffsetMicros)
        let seconds = (clamped + taipeiOffsetMicros) / microsPerSecond
        let date = civilDate(daysSinceEpoch: seconds / 86_400)
        let secondOfDay = Int(seconds % 86_400)
        return pad(date.year, 4) + "-" + pad(date.month, 2) + "-" + pad(date.day, 2) + "T"
            + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2) + "+08:00"
    }

    /// Parses RFC 3339 `YYYY-MM-DDTHH:MM:SS[.ffffff](Z|±HH:MM)` strictly (at most six fractional
    /// digits, an explicit offset). Returns nil for anything else or outside ``supportedRange``.
    public static func parseRFC3339(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.count <= 32 else { return nil }
        guard let year = number(bytes, 0, 4), bytes[4] == UInt8(ascii: "-"),
            let month = number(bytes, 5, 2), bytes[7] == UInt8(ascii: "-"),
            let day = number(bytes, 8, 2), bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
            let hour = number(bytes, 11, 2), bytes[13] == UInt8(ascii: ":"),
            let minute = number(bytes, 14, 2), bytes[16] == UInt8(ascii: ":"),
            let second = number(bytes, 17, 2)
        else { return nil }
        guard year >= 1970, (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var index = 19
        var fraction: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, let digit = digitValue(bytes[index]) {
                guard digits < 6 else { return nil }
                fraction = fraction * 10 + Int64(digit)
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<6 { fraction *= 10 }
        }
        guard index < bytes.count else { return nil }
        var offsetMicros: Int64 = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, let offsetHours = number(bytes, index + 1, 2),
                bytes[index + 3] == UInt8(ascii: ":"), let offsetMinutes = number(bytes, index + 4, 2),
                offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offsetMicros = Int64(offsetHours * 3600 + offsetMinutes * 60) * microsPerSecond
            if bytes[index] == UInt8(ascii: "-") { offsetMicros = -offsetMicros }
        default:
            return nil
        }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        let local = (days * 86_400 + Int64(hour * 3600 + minute * 60 + second)) * microsPerSecond + fraction
        let utc = local - offsetMicros
        return supportedRange.contains(utc) ? utc : nil
    }

    /// Parses a calendar date `YYYY-MM-DD` strictly.
    public static func parseDate(_ text: String) -> (year: Int, month: Int, day: Int)? {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, let year = number(bytes, 0, 4), bytes[4] == UInt8(ascii: "-"),
            let month = number(bytes, 5, 2), bytes[7] == UInt8(ascii: "-"), let day = number(bytes, 8, 2),
            year >= 1970, (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month)
        else { return nil }
        return (year, month, day)
    }

    /// Parses `YYYY-MM` strictly into a ``monthNumber(year:month:)``.
    public static func parseMonth(_ text: String) -> Int32? {
        let bytes = Array(text.utf8)
        guard bytes.count == 7, let year = number(bytes, 0, 4), bytes[4] == UInt8(ascii: "-"),
            let month = number(bytes, 5, 2), year >= 1970, (1...12).contains(month)
        else { return nil }
        return monthNumber(year: year, month: month)
    }

    private static func digitValue(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }

    private static func number(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start + count <= bytes.count else { return nil }
        var value = 0
        for index in start..<(start + count) {
            guard let digit = digitValue(bytes[index]) else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
