import Testing
@testable import PointCore

@Suite("Evidence completeness in the compliance report")
struct EvidenceCompletenessTests {
    static let grantedAt = CivilTime.parseRFC3339("2026-10-15T10:00:00+08:00") ?? 0

    static func mistake(notifiedAt: String) -> Revocation {
        Revocation(merchantID: "1650000001", revocationID: "r-1", orderID: "o-1", points: 10,
                   evidence: .mistakenIssuance(notifiedAt: CivilTime.parseRFC3339(notifiedAt) ?? 0, channel: .email, message: "Sorry"),
                   seq: 9, revokedAt: grantedAt + 7_200_000_000, grantSlot: 0, finding: nil, findingsRecorded: 0)
    }

    @Test func aNoticeBeforeTheGrantIsIncompleteEvidence() {
        let early = RevocationCompliance.evidenceProblems(Self.mistake(notifiedAt: "2025-01-01T00:00:00+08:00"), scenarioPurpose: nil,
                                                          grantedAt: Self.grantedAt)
        #expect(early == ["the user was informed before the grant was made (notifiedAt is earlier)"])
        let skewed = RevocationCompliance.evidenceProblems(Self.mistake(notifiedAt: "2026-10-15T09:58:00+08:00"), scenarioPurpose: nil,
                                                           grantedAt: Self.grantedAt)
        #expect(skewed.isEmpty, "within five minutes of clock difference")
        let after = RevocationCompliance.evidenceProblems(Self.mistake(notifiedAt: "2026-10-15T11:00:00+08:00"), scenarioPurpose: nil,
                                                          grantedAt: Self.grantedAt)
        #expect(after.isEmpty)
    }
}
