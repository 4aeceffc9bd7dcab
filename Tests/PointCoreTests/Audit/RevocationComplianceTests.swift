import PointCore
import PointJSON
import Testing

@Suite("Audit: revocation compliance report")
struct RevocationComplianceTests {
    static let fraud = RevocationEvidenceInput(fraudKind: "point_theft", caseReference: "C-1")
    static let refund = RevocationEvidenceInput(cancellation: "refund", transactionReference: "TX-1")

    static func revoke(_ id: String, order: String, points: Int, reason: String = "fraud", _ evidence: RevocationEvidenceInput = fraud) -> RevokePointsCommand {
        RevokePointsCommand(merchantID: DomainHarness.merchantA, orderID: order, revocationID: id, points: points, reason: reason, evidence: evidence)
    }

    /// October 2026, merchant A, four scenarios:
    /// - cashback: 1,000 granted, 100 revoked (10 %, refunds; one with a finding, withdrawn);
    /// - survey: 1,000 granted, 10 revoked (1 %);
    /// - registration: 1,000 granted, 20 revoked (2 %, with a standing finding);
    /// - event: 200 granted, 50 revoked (25 %: above 20 % and above 3 × the median).
    /// Plus a fraud revocation stored with fraudKind other and no description (not possible
    /// through the commands: the record is written as an older version might have).
    static func history() throws -> DomainHarness {
        var (harness, cashback) = try DomainHarness.ready()
        let survey = try harness.approvedScenario(purpose: "survey")
        let registration = try harness.approvedScenario(purpose: "member_registration")
        let event = try harness.approvedScenario(purpose: "event_participation")
        for (order, scenario, points) in [("c-1", cashback, 600), ("c-2", cashback, 400), ("s-1", survey, 1_000),
                                          ("g-1", registration, 1_000), ("e-1", event, 200)] {
            try harness.commit(harness.domain.decide(harness.grant(order, points, scenario: scenario), now: harness.now))
        }
        try harness.commit(harness.domain.decide(revoke("rc-1", order: "c-1", points: 60, reason: "purchase_cancelled", refund), now: harness.now))
        try harness.commit(harness.domain.decide(revoke("rc-2", order: "c-2", points: 40, reason: "purchase_cancelled", refund), now: harness.now))
        try harness.commit(harness.domain.decide(revoke("rs-1", order: "s-1", points: 10), now: harness.now))
        try harness.commit(harness.domain.decide(revoke("rg-1", order: "g-1", points: 20), now: harness.now))
        try harness.commit(harness.domain.decide(revoke("re-1", order: "e-1", points: 45), now: harness.now))
        try harness.commit(.append(.pointsRevoked(PointsRevoked(merchantID: DomainHarness.merchantA, revocationID: "re-2", orderID: "e-1", points: 5,
                                                                evidence: .fraud(kind: .other, caseReference: "C-9", description: nil)))))
        try harness.commit(harness.domain.decide(finding: "rg-1", merchantID: DomainHarness.merchantA, record: true, note: "no fraud case"))
        try harness.commit(harness.domain.decide(finding: "rc-1", merchantID: DomainHarness.merchantA, record: true, note: "check"))
        try harness.commit(harness.domain.decide(finding: "rc-1", merchantID: DomainHarness.merchantA, record: false, note: "refund shown"))
        return harness
    }

    @Test("counts and points by reason, findings, evidence completeness and shares per scenario")
    func figures() throws {
        let harness = try Self.history()
        let october = try BillingMonth(parsing: "2026-10")
        let report = try #require(harness.domain.complianceReport(merchantID: DomainHarness.merchantA, month: october))
        #expect(report.revocations == .init(count: 6, points: 180))
        #expect(report.byReason.map(\.reason) == [.mistakenIssuance, .fraud, .purchaseCancelled])
        #expect(report.byReason.map(\.tally) == [.init(count: 0, points: 0), .init(count: 4, points: 80), .init(count: 2, points: 100)])
        #expect(report.standingFindings == .init(count: 1, points: 20))
        #expect(report.withdrawnFindings == .init(count: 1, points: 60))
        #expect(report.findings.map(\.revocationID) == ["rc-1", "rg-1"])
        #expect(report.findings.map(\.status) == ["withdrawn", "standing"])
        #expect(report.findings.map(\.note) == ["refund shown", "no fraud case"], "a withdrawn finding is listed with its withdrawal's note")
        #expect(report.evidenceComplete == 5)
        #expect(report.evidenceIncomplete.map(\.revocationID) == ["re-2"])
        #expect(report.evidenceIncomplete.first?.problems == ["fraudKind other without a description"])
        #expect(report.scenarios.map(\.purpose) == [.purchaseCashback, .survey, .memberRegistration, .eventParticipation])
        #expect(report.scenarios.map(\.granted.points) == [1_000, 1_000, 1_000, 200])
        #expect(report.scenarios.map(\.revoked.points) == [100, 10, 20, 50])
        #expect(report.scenarios.map(\.sharePPM) == [100_000, 10_000, 20_000, 250_000])
        // Median of 1 %, 2 %, 10 %, 25 % = (2 % + 10 %) / 2 = 6 %; 25 % > 18 %.
        #expect(report.medianSharePPM == 60_000)
        #expect(report.scenarios.map(\.flags) == [[], [], [], ["share_above_20_percent", "above_3x_median"]])
        #expect(report.outliers == [report.scenarios[3].scenarioID])
        #expect(report.json["outlierRule"]?.stringValue == RevocationCompliance.ruleText)
        #expect(report.lines.contains { $0.contains("OUTLIER: share_above_20_percent, above_3x_median") })
        // Another month has nothing; unknown merchants have no report.
        let november = try #require(harness.domain.complianceReport(merchantID: DomainHarness.merchantA, month: try BillingMonth(parsing: "2026-11")))
        #expect(november.revocations.count == 0 && november.scenarios.isEmpty && november.medianSharePPM == nil)
        #expect(harness.domain.complianceReport(merchantID: "9999999999", month: october) == nil)
        #expect(harness.domain.merchantsActive(in: october) == [DomainHarness.merchantA])
        // The report is a function of the state: the replayed ledger gives the same one.
        #expect(try harness.replayed().complianceReport(merchantID: DomainHarness.merchantA, month: october) == report)
    }

    @Test("the outlier rule at its edges")
    func rule() {
        // Exactly 20 % is not above it; one point more is.
        #expect(RevocationCompliance.flags(granted: 100, revoked: 20, sharePPM: 200_000, medianPPM: nil, scenariosWithGrants: 1) == [])
        #expect(RevocationCompliance.flags(granted: 100, revoked: 21, sharePPM: 210_000, medianPPM: nil, scenariosWithGrants: 1) == ["share_above_20_percent"])
        // 3 × median needs three scenarios with grants and a share of at least 5 %.
        #expect(RevocationCompliance.flags(granted: 100, revoked: 7, sharePPM: 70_000, medianPPM: 20_000, scenariosWithGrants: 3) == ["above_3x_median"])
        #expect(RevocationCompliance.flags(granted: 100, revoked: 7, sharePPM: 70_000, medianPPM: 20_000, scenariosWithGrants: 2) == [])
        #expect(RevocationCompliance.flags(granted: 100, revoked: 4, sharePPM: 40_000, medianPPM: 0, scenariosWithGrants: 5) == [])
        #expect(RevocationCompliance.flags(granted: 100, revoked: 6, sharePPM: 60_000, medianPPM: 20_000, scenariosWithGrants: 3) == [])
        // Revocations without grants in the month; nothing revoked is never flagged.
        #expect(RevocationCompliance.flags(granted: 0, revoked: 5, sharePPM: nil, medianPPM: nil, scenariosWithGrants: 0) == ["revoked_without_grants"])
        #expect(RevocationCompliance.flags(granted: 0, revoked: 0, sharePPM: nil, medianPPM: nil, scenariosWithGrants: 0) == [])
        #expect(RevocationCompliance.median([30, 10, 20]) == 20)
        #expect(RevocationCompliance.median([40, 10, 20, 30]) == 25)
        #expect(RevocationCompliance.ppm(1, of: 3) == 333_333)
        // Far more revoked than granted in a month (revocations of earlier grants): the share
        // saturates instead of trapping, and so do the median and the 3× rule.
        let huge = RevocationCompliance.ppm(9_300_000_000_000, of: 1)
        #expect(huge == Int64.max)
        #expect(RevocationCompliance.ppm(9_000_000_000_000, of: 1) == 9_000_000_000_000_000_000)
        #expect(RevocationCompliance.median([Int64.max, Int64.max]) == Int64.max)
        #expect(RevocationCompliance.median([Int64.max, Int64.max - 1]) == Int64.max - 1)
        #expect(RevocationCompliance.flags(granted: 1, revoked: 9_300_000_000_000, sharePPM: huge, medianPPM: Int64.max, scenariosWithGrants: 3)
                == ["share_above_20_percent"])
        #expect(RevocationCompliance.flags(granted: 1, revoked: 9_300_000_000_000, sharePPM: huge, medianPPM: 10, scenariosWithGrants: 3)
                == ["share_above_20_percent", "above_3x_median"])
    }
}
