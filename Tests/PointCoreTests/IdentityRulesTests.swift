import PointCore
import Testing

@Suite("Unified Business Number, identifiers and civil time")
struct IdentityRulesTests {
    @Test("Unified Business Number checksum", arguments: [
        ("22099131", true),   // total 30: divisible by 10 (older rule) and by 5
        ("04595257", true),   // total 40
        ("10458570", true),   // total 25: valid only under the divisible-by-5 rule
        ("10458575", true),   // 7th digit 7: 28 counted as 0 gives 20
        ("10458574", true),   // 7th digit 7: valid only when 28 counts as 1 (total 20)
        ("10458572", false),  // 7th digit 7: neither 17 nor 18 is divisible by 5
        ("22099132", false),  // total 31
        ("2209913", false), ("220991311", false), ("2209913a", false), ("２２０９９１３１", false),
    ])
    func unifiedBusinessNumber(number: String, valid: Bool) {
        #expect(UnifiedBusinessNumber.isValid(number) == valid)
    }

    @Test("LINE user IDs are U + 32 lowercase hex", arguments: [
        ("U0123456789abcdef0123456789abcdef", true),
        ("U0123456789ABCDEF0123456789abcdef", false),
        ("u0123456789abcdef0123456789abcdef", false),
        ("U0123456789abcdef0123456789abcde", false),
        ("U0123456789abcdef0123456789abcdefa", false),
        ("U0123456789abcdeg0123456789abcdef", false),
    ])
    func lineUserID(value: String, valid: Bool) {
        #expect(Identifiers.isValidLineUserID(value) == valid)
    }

    @Test("External IDs: charset and length limits")
    func externalIDs() {
        #expect(Identifiers.isValidExternalID("ORD-2026/10#15:a_b.c"))
        #expect(!Identifiers.isValidExternalID(""))
        #expect(Identifiers.isValidExternalID(String(repeating: "a", count: 64)))
        #expect(!Identifiers.isValidExternalID(String(repeating: "a", count: 65)))
        #expect(!Identifiers.isValidExternalID("has space"))
        #expect(!Identifiers.isValidExternalID("訂單1"))
        // Every byte value, one at a time, against the rule written out.
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:/#".utf8)
        for byte in UInt8.min...UInt8.max {
            let text = String(decoding: [UInt8(ascii: "a"), byte], as: UTF8.self)
            #expect(Identifiers.isValidExternalID(text) == allowed.contains(byte), "byte \(byte)")
        }
        #expect(Identifiers.isValidChannelID("1650000001"))
        #expect(!Identifiers.isValidChannelID("165000000"))
        #expect(!Identifiers.isValidChannelID("16500000x1"))
    }

    @Test("RFC 3339 parsing with offsets, and Asia/Taipei months")
    func civilTime() throws {
        let taipei = try #require(CivilTime.parseRFC3339("2026-11-01T00:00:00+08:00"))
        let utc = try #require(CivilTime.parseRFC3339("2026-10-31T16:00:00Z"))
        #expect(taipei == utc)
        #expect(CivilTime.formatUTC(taipei) == "2026-10-31T16:00:00.000000Z")
        #expect(CivilTime.formatTaipei(taipei) == "2026-11-01T00:00:00+08:00")
        #expect(CivilTime.formatTaipei(taipei - 1) == "2026-10-31T23:59:59+08:00")
        #expect(CivilTime.formatTaipei(0) == "1970-01-01T08:00:00+08:00")
        #expect(CivilTime.formatMonth(CivilTime.taipeiMonthNumber(taipei)) == "2026-11")
        #expect(CivilTime.formatMonth(CivilTime.taipeiMonthNumber(taipei - 1)) == "2026-10")
        #expect(CivilTime.parseRFC3339("2026-10-31T16:00:00.123456Z") == utc + 123_456)
        #expect(CivilTime.parseRFC3339("2026-10-31T16:00:00.5-01:30") == utc + 500_000 + 5_400_000_000)
        for bad in ["2026-10-31T16:00:00", "2026-02-29T00:00:00Z", "2026-10-31 16:00:00Z", "2026-10-31T16:00:00.1234567Z",
                    "2026-10-31T24:00:00Z", "2026-10-31T16:00:00+8:00", "1969-12-31T23:59:59Z", "2026-10-31T16:00:00.Z"] {
            #expect(CivilTime.parseRFC3339(bad) == nil, "\(bad)")
        }
        #expect(CivilTime.parseRFC3339("2028-02-29T00:00:00Z") != nil)
        #expect(CivilTime.parseMonth("2026-13") == nil)
        #expect(CivilTime.parseMonth("2026-12").map(CivilTime.formatMonth) == "2026-12")
    }

    @Test("Civil dates round-trip over four centuries")
    func civilDatesRoundTrip() {
        var day: Int64 = 0
        while day < 146_097 * 2 {
            let date = CivilTime.civilDate(daysSinceEpoch: day)
            #expect(CivilTime.daysSinceEpoch(year: date.year, month: date.month, day: date.day) == day)
            day += 97
        }
    }

    @Test("Free text: letters of any script and line breaks; no control, separator or bidirectional formatting characters")
    func freeText() {
        for good in ["Formosa Books 書店", "line one\nline two", "Café — 5% off", "emoji 🎁"] {
            #expect(Identifiers.isValidText(good, maxLength: 100), "\(good.debugDescription)")
        }
        for bad in ["tab\there", "bell\u{7}", "del\u{7F}", "next line\u{85}", "c1\u{9B}", "sep\u{2028}", "para\u{2029}",
                    "rtl\u{202E}kcab", "isolate\u{2066}x\u{2069}", "mark\u{200F}", "", String(repeating: "x", count: 101)] {
            #expect(!Identifiers.isValidText(bad, maxLength: 100), "\(bad.debugDescription)")
            #expect(Identifiers.textProblem(bad, maxLength: 100) != nil, "\(bad.debugDescription)")
        }
        // The refusal names what is wrong, and where.
        #expect(Identifiers.textProblem("rtl\u{202E}kcab", maxLength: 100) == "it holds U+202E, a bidirectional formatting character, at position 4")
        #expect(Identifiers.textProblem("tab\there", maxLength: 100) == "it holds U+0009, a control character, at position 4")
        #expect(Identifiers.textProblem("sep\u{2028}", maxLength: 100) == "it holds U+2028, a line or paragraph separator, at position 4")
        #expect(Identifiers.textProblem("", maxLength: 100) == "it is empty")
        #expect(Identifiers.textProblem(String(repeating: "x", count: 101), maxLength: 100) == "it has 101 characters")
        #expect(Identifiers.textProblem("line one\nline two", maxLength: 100) == nil)
    }
}
