import PointCore
import Testing

@Suite("Revocations: only the three permitted cases")
struct RevocationRulesTests {
    /// After the harness's grants (10:00) and before its revocations (``granted(purpose:)``
    /// moves the clock to 12:00).
    static let notifiedAt = "2026-10-15T11:00:00+08:00"

    static func revoke(_ id: String, order: String = "o-1", points: Int, reason: String, _ evidence: RevocationEvidenceInput) -> RevokePointsCommand {
        RevokePointsCommand(merchantID: DomainHarness.merchantA, orderID: order, revocationID: id, points: points, reason: reason, evidence: evidence)
    }

    static let mistake = RevocationEvidenceInput(notifiedAt: notifiedAt, channel: "line_message", message: "We sent 100 points instead of 10.")
    static let fraud = RevocationEvidenceInput(fraudKind: "point_laundering", caseReference: "FR-2026-001")
    static let cancelled = RevocationEvidenceInput(cancellation: "refund", transactionReference: "TX-889")

    static func granted(purpose: String = "purchase_cashback") throws -> DomainHarness {
        var harness = DomainHarness()
        try harness.registerMerchant()
        try harness.openSandbox()
        let scenario = try harness.approvedScenario(purpose: purpose)
        try harness.bind("m-1", 1)
        try harness.commit(harness.domain.decide(harness.grant("o-1", 100, scenario: scenario), now: harness.now))
        harness.now = CivilTime.parseRFC3339("2026-10-15T12:00:00+08:00") ?? harness.now
        return harness
    }

    @Test("A mistake's notice can't precede the grant (beyond five minutes of clock difference)")
    func noticeBeforeTheGrant() throws {
        var harness = try Self.granted()
        let dayEarly = RevocationEvidenceInput(notifiedAt: "2026-10-14T10:00:00+08:00", channel: "email", message: "Sorry")
        #expect(domainError { try harness.domain.decide(Self.revoke("r-1", points: 1, reason: "mistaken_issuance", dayEarly), now: harness.now) }?
            .details.map(\.property) == ["evidence.notifiedAt"])
        let skewed = RevocationEvidenceInput(notifiedAt: "2026-10-15T09:58:00+08:00", channel: "email", message: "Sorry")
        try harness.commit(harness.domain.decide(Self.revoke("r-1", points: 1, reason: "mistaken_issuance", skewed), now: harness.now))
        #expect(harness.domain.grant(merchantID: DomainHarness.merchantA, orderID: "o-1")?.revokedPoints == 1)
    }

    @Test("Each permitted reason with its evidence is accepted", arguments: [
        ("mistaken_issuance", mistake), ("fraud", fraud), ("purchase_cancelled", cancelled),
    ])
    func permitted(reason: String, evidence: RevocationEvidenceInput) throws {
        var harness = try Self.granted()
        try harness.commit(harness.domain.decide(Self.revoke("r-1", points: 30, reason: reason, evidence), now: harness.now))
        #expect(harness.domain.revocation(merchantID: DomainHarness.merchantA, revocationID: "r-1")?.reason.rawValue == reason)
        #expect(harness.domain.grant(merchantID: DomainHarness.merchantA, orderID: "o-1")?.remainingPoints == 70)
    }

    @Test("A grant as of a seq leaves out the revoked points of revocations recorded after it, and its last change is its newest revocation")
    func grantAsOfASeq() throws {
        var harness = try Self.granted()
        let merchant = DomainHarness.merchantA
        let original = try #require(harness.domain.grant(merchantID: merchant, orderID: "o-1"))
        #expect(harness.domain.lastChangeSeq(of: original) == original.seq)
        try harness.commit(harness.domain.decide(Self.revoke("r-1", points: 30, reason: "fraud", Self.fraud), now: harness.now))
        try harness.commit(harness.domain.decide(Self.revoke("r-2", points: 20, reason: "purchase_cancelled", Self.cancelled), now: harness.now))
        let first = try #require(harness.domain.revocation(merchantID: merchant, revocationID: "r-1"))
        let second = try #require(harness.domain.revocation(merchantID: merchant, revocationID: "r-2"))
        let now = try #require(harness.domain.grant(merchantID: merchant, orderID: "o-1"))
        #expect(now.revokedPoints == 50)
        #expect(harness.domain.grant(now, asOf: second.seq) == now)
        #expect(harness.domain.grant(now, asOf: first.seq).revokedPoints == 30)
        #expect(harness.domain.grant(now, asOf: first.seq).remainingPoints == 70)
        #expect(harness.domain.grant(now, asOf: original.seq).revokedPoints == 0)
        #expect(harness.domain.lastChangeSeq(of: now) == second.seq)
    }

    @Test("Any other reason is refused with the list of the three", arguments: ["customer_left", "campaign_rule", "", "MISTAKEN_ISSUANCE"])
    func otherReasons(reason: String) throws {
        let harness = try Self.granted()
        let error = domainError { try harness.domain.decide(Self.revoke("r-1", points: 1, reason: reason, Self.fraud), now: harness.now) }
        #expect(error?.code == "revocation_reason_not_permitted")
        for permitted in RevocationReason.allCases { #expect(error?.message.contains(permitted.rawValue) == true) }
    }

    @Test("Missing evidence is refused field by field", arguments: [
        ("mistaken_issuance", RevocationEvidenceInput(), ["evidence.notifiedAt", "evidence.channel", "evidence.message"]),
        ("mistaken_issuance", RevocationEvidenceInput(notifiedAt: "2099-01-01T00:00:00Z", channel: "pigeon", message: "x"),
         ["evidence.notifiedAt", "evidence.channel"]),
        ("fraud", RevocationEvidenceInput(), ["evidence.fraudKind", "evidence.caseReference"]),
        ("fraud", RevocationEvidenceInput(fraudKind: "other", caseReference: "C-1"), ["evidence.description"]),
        ("purchase_cancelled", RevocationEvidenceInput(), ["evidence.cancellation", "evidence.transactionReference"]),
        ("purchase_cancelled", RevocationEvidenceInput(cancellation: "regret", transactionReference: "bad ref"),
         ["evidence.cancellation", "evidence.transactionReference"]),
    ])
    func missingEvidence(reason: String, evidence: RevocationEvidenceInput, properties: [String]) throws {
        let harness = try Self.granted()
        let error = domainError { try harness.domain.decide(Self.revoke("r-1", points: 1, reason: reason, evidence), now: harness.now) }
        #expect(error?.code == "validation_failed")
        #expect(error?.details.map(\.property) == properties)
    }

    @Test("purchase_cancelled only for purchase-reward scenarios")
    func purchaseOnly() throws {
        let harness = try Self.granted(purpose: "survey")
        #expect(errorCode { try harness.domain.decide(Self.revoke("r-1", points: 1, reason: "purchase_cancelled", Self.cancelled), now: harness.now) }
                == "purchase_cancelled_not_purchase_reward")
        #expect(try harness.domain.decide(Self.revoke("r-1", points: 1, reason: "fraud", Self.fraud), now: harness.now).event != nil)
    }

    @Test("Partial and repeated revocations up to the granted points; revocationId idempotent")
    func partialAndIdempotent() throws {
        var harness = try Self.granted()
        try harness.commit(harness.domain.decide(Self.revoke("r-1", points: 60, reason: "fraud", Self.fraud), now: harness.now))
        #expect(try harness.domain.decide(Self.revoke("r-1", points: 60, reason: "fraud", Self.fraud), now: harness.now).isReplay)
        #expect(errorCode { try harness.domain.decide(Self.revoke("r-1", points: 61, reason: "fraud", Self.fraud), now: harness.now) } == "revocation_id_conflict")
        #expect(domainError { try harness.domain.decide(Self.revoke("r-1", points: 61, reason: "fraud", Self.fraud), now: harness.now) }?.details.map(\.property) == ["points"])
        #expect(errorCode { try harness.domain.decide(Self.revoke("r-1", points: 60, reason: "purchase_cancelled", Self.cancelled), now: harness.now) } == "revocation_id_conflict")
        #expect(domainError { try harness.domain.decide(Self.revoke("r-1", points: 60, reason: "purchase_cancelled", Self.cancelled), now: harness.now) }?
            .details.map(\.property) == ["reason"], "the reason differs; its evidence differs with it")
        #expect(errorCode { try harness.domain.decide(Self.revoke("r-2", points: 41, reason: "fraud", Self.fraud), now: harness.now) } == "revocation_exceeds_grant")
        try harness.commit(harness.domain.decide(Self.revoke("r-2", points: 40, reason: "mistaken_issuance", Self.mistake), now: harness.now))
        #expect(harness.domain.grant(merchantID: DomainHarness.merchantA, orderID: "o-1")?.remainingPoints == 0)
        #expect(errorCode { try harness.domain.decide(Self.revoke("r-3", points: 1, reason: "fraud", Self.fraud), now: harness.now) } == "revocation_exceeds_grant")
        #expect(harness.domain.revocations(merchantID: DomainHarness.merchantA, orderID: "o-1").map(\.revocationID) == ["r-1", "r-2"])
        #expect(errorCode { try harness.domain.decide(Self.revoke("r-4", order: "nope", points: 1, reason: "fraud", Self.fraud), now: harness.now) } == "grant_not_found")
    }

    @Test("Compliance findings: record, refuse a second, withdraw")
    func findings() throws {
        var harness = try Self.granted()
        try harness.commit(harness.domain.decide(Self.revoke("r-1", points: 10, reason: "fraud", Self.fraud), now: harness.now))
        #expect(errorCode { try harness.domain.decide(finding: "r-9", merchantID: DomainHarness.merchantA, record: true, note: "x") } == "revocation_not_found")
        #expect(errorCode { try harness.domain.decide(finding: "r-1", merchantID: DomainHarness.merchantA, record: false, note: "x") } == "finding_not_recorded")
        try harness.commit(harness.domain.decide(finding: "r-1", merchantID: DomainHarness.merchantA, record: true, note: "no case file"))
        #expect(harness.domain.revocation(merchantID: DomainHarness.merchantA, revocationID: "r-1")?.finding?.note == "no case file")
        #expect(errorCode { try harness.domain.decide(finding: "r-1", merchantID: DomainHarness.merchantA, record: true, note: "again") } == "finding_already_recorded")
        try harness.commit(harness.domain.decide(finding: "r-1", merchantID: DomainHarness.merchantA, record: false, note: "case file received"))
        let revocation = try #require(harness.domain.revocation(merchantID: DomainHarness.merchantA, revocationID: "r-1"))
        #expect(revocation.finding == nil)
        #expect(revocation.findingsRecorded == 1)
    }

    @Test("A grant is revoked in at most 100 parts; the rest goes in one")
    func revocationsPerGrantAreBounded() throws {
        var harness = try Self.granted()
        let scenario = try harness.approvedScenario(purpose: "purchase_cashback")
        try harness.commit(harness.domain.decide(harness.grant("o-big", 1_000, scenario: scenario), now: harness.now))
        for part in 1...harness.domain.limits.maxRevocationsPerGrant {
            try harness.commit(harness.domain.decide(Self.revoke("r-\(part)", order: "o-big", points: 1, reason: "fraud", Self.fraud), now: harness.now))
        }
        let refused = domainError { try harness.domain.decide(Self.revoke("r-more", order: "o-big", points: 1, reason: "fraud", Self.fraud), now: harness.now) }
        #expect(refused?.code == "limit_reached" && refused?.message.contains("its remaining 900 points in one revocation") == true, "\(String(describing: refused))")
        // A resend of an earlier part is still its replay.
        #expect(try harness.domain.decide(Self.revoke("r-7", order: "o-big", points: 1, reason: "fraud", Self.fraud), now: harness.now).isReplay)
        #expect(harness.domain.grant(merchantID: DomainHarness.merchantA, orderID: "o-big")?.revokedPoints == 100)
        // All that is left, in one revocation, is still taken.
        try harness.commit(harness.domain.decide(Self.revoke("r-rest", order: "o-big", points: 900, reason: "fraud", Self.fraud), now: harness.now))
        #expect(harness.domain.grant(merchantID: DomainHarness.merchantA, orderID: "o-big")?.remainingPoints == 0)
    }
}
