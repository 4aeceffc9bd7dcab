import PointJSON

/// One merchant's revocations in one Asia/Taipei month, for the platform's compliance review
/// (usage rules 6–8). Computed from the domain state alone (``PointsDomain/complianceReport(merchantID:month:)``).
///
/// A revocation belongs to the month of its ledger time; its scenario is the scenario of the
/// grant it revokes (which may have been granted in an earlier month).
public struct RevocationComplianceReport: Sendable, Equatable {
    /// Count and points.
    public struct Tally: Sendable, Equatable {
        public var count: Int64 = 0
        public var points: Int64 = 0

        public init(count: Int64 = 0, points: Int64 = 0) {
            self.count = count
            self.points = points
        }

        mutating func add(_ points: Int) {
            count += 1
            self.points += Int64(points)
        }

        var json: JSONValue { ["count": .int(count), "points": .int(points)] }
    }

    /// A revocation with a finding: standing now, or recorded and withdrawn again.
    public struct FindingEntry: Sendable, Equatable {
        public var revocationID: String
        public var orderID: String
        public var points: Int
        /// `standing` or `withdrawn`.
        public var status: String
        /// The standing finding's note (nil once withdrawn).
        public var note: String?
        /// How many findings were ever recorded on the revocation.
        public var findingsRecorded: Int
    }

    /// A stored revocation whose evidence falls short of what its reason requires.
    public struct IncompleteEvidence: Sendable, Equatable {
        public var revocationID: String
        public var reason: RevocationReason
        public var problems: [String]
    }

    /// Grants and revocations of one scenario in the month.
    public struct ScenarioShare: Sendable, Equatable {
        public var scenarioID: String
        public var title: String
        public var purpose: ScenarioPurpose
        /// Grants made in the month under the scenario.
        public var granted: Tally
        /// Revocations made in the month of grants under the scenario (whenever granted).
        public var revoked: Tally
        /// revoked points ÷ granted points in parts per million, rounded down; nil when nothing
        /// was granted in the month.
        public var sharePPM: Int64?
        /// Why the scenario is flagged (empty: not flagged); see ``RevocationCompliance``.
        public var flags: [String]
    }

    public var merchantID: String
    public var month: BillingMonth
    public var revocations: Tally
    /// By reason, in the order of ``RevocationReason/allCases`` (every reason listed).
    public var byReason: [(reason: RevocationReason, tally: Tally)]
    /// Revocations under a standing finding (no credit at settlement, usage rule 8).
    public var standingFindings: Tally
    /// Revocations whose findings were all withdrawn.
    public var withdrawnFindings: Tally
    public var findings: [FindingEntry]
    /// Revocations whose stored evidence is complete.
    public var evidenceComplete: Int64
    public var evidenceIncomplete: [IncompleteEvidence]
    /// Every scenario with a grant or a revocation in the month, in submission order.
    public var scenarios: [ScenarioShare]
    /// The median of ``ScenarioShare/sharePPM`` over scenarios with grants in the month.
    public var medianSharePPM: Int64?

    /// Scenarios flagged as a possible "recovery as a campaign rule".
    public var outliers: [String] { scenarios.filter { !$0.flags.isEmpty }.map(\.scenarioID) }

    public static func == (left: Self, right: Self) -> Bool {
        left.json == right.json
    }

    public var json: JSONValue {
        [
            "merchantId": .string(merchantID), "month": .string(month.description), "revocations": revocations.json,
            "byReason": .array(byReason.map { ["reason": .string($0.reason.rawValue), "count": .int($0.tally.count), "points": .int($0.tally.points)] }),
            "findings": [
                "standing": standingFindings.json, "withdrawn": withdrawnFindings.json,
                "revocations": .array(findings.map { entry in
                    ["revocationId": .string(entry.revocationID), "orderId": .string(entry.orderID), "points": .int(Int64(entry.points)),
                     "status": .string(entry.status), "note": entry.note.map(JSONValue.string) ?? .null,
                     "findingsRecorded": .int(Int64(entry.findingsRecorded))]
                }),
            ],
            "evidence": [
                "complete": .int(evidenceComplete), "incompleteCount": .int(Int64(evidenceIncomplete.count)),
                "incomplete": .array(evidenceIncomplete.map { entry in
                    ["revocationId": .string(entry.revocationID), "reason": .string(entry.reason.rawValue),
                     "problems": .array(entry.problems.map(JSONValue.string))]
                }),
            ],
            "scenarios": .array(scenarios.map { share in
                ["scenarioId": .string(share.scenarioID), "title": .string(share.title), "purpose": .string(share.purpose.rawValue),
                 "granted": share.granted.json, "revoked": share.revoked.json, "sharePpm": share.sharePPM.map(JSONValue.int) ?? .null,
                 "flags": .array(share.flags.map(JSONValue.string))]
            }),
            "medianSharePpm": medianSharePPM.map(JSONValue.int) ?? .null,
            "outliers": .array(outliers.map(JSONValue.string)),
            "outlierRule": .string(RevocationCompliance.ruleText),
        ]
    }

    /// The report as printed by `pointconnect audit compliance`, one line each.
    public var lines: [String] {
        var lines = ["merchant \(merchantID), \(month): \(revocations.count) revocations, \(revocations.points) points"]
        for (reason, tally) in byReason { lines.append("  \(reason.rawValue): \(tally.count) revocations, \(tally.points) points") }
        lines.append("  findings: \(standingFindings.count) standing (\(standingFindings.points) points, no credit), \(withdrawnFindings.count) withdrawn (\(withdrawnFindings.points) points)")
        for entry in findings {
            lines.append("    \(entry.revocationID) (order \(entry.orderID), \(entry.points) points): \(entry.status)\(entry.note.map { " — \($0)" } ?? "")")
        }
        lines.append("  evidence: \(evidenceComplete) complete, \(evidenceIncomplete.count) incomplete")
        for entry in evidenceIncomplete {
            lines.append("    \(entry.revocationID) (\(entry.reason.rawValue)): \(entry.problems.joined(separator: "; "))")
        }
        let median = medianSharePPM.map(RevocationCompliance.percent) ?? "n/a"
        lines.append("  scenarios (median share \(median)):")
        for share in scenarios {
            let ratio = share.sharePPM.map(RevocationCompliance.percent) ?? "n/a"
            let flag = share.flags.isEmpty ? "" : "  OUTLIER: " + share.flags.joined(separator: ", ")
            lines.append("    \(share.scenarioID) (\(share.purpose.rawValue)): granted \(share.granted.points) in \(share.granted.count), revoked \(share.revoked.points) in \(share.revoked.count), share \(ratio)\(flag)")
        }
        return lines
    }
}

/// The outlier rule of the compliance report: signs that a campaign recovers points as one of
/// its rules (usage rule 6), for a reviewer to look at — not a finding by itself.
///
/// Share of a scenario = points revoked in the month from its grants ÷ points granted under it
/// in the month. A scenario is flagged when
/// - `share_above_20_percent`: it granted points in the month and revoked points × 5 > granted
///   points (exact integers);
/// - `above_3x_median`: the merchant has at least 3 scenarios with grants in the month, the
///   share is at least 5 %, and it is more than 3 × the median share of those scenarios
///   (compared in parts per million, rounded down);
/// - `revoked_without_grants`: points were revoked from its grants but it granted nothing in
///   the month (a campaign that grants, then takes back after the month turned).
public enum RevocationCompliance {
    public static let ruleText = "flagged when revoked points > 20% of the points granted in the month (share_above_20_percent); when the share is ≥ 5% and > 3× the median share of the merchant's scenarios with grants in the month, given at least 3 such scenarios (above_3x_median); or when points were revoked but none granted in the month (revoked_without_grants)"
    public static let minimumScenariosForMedian = 3
    public static let medianRuleFloorPPM: Int64 = 50_000

    /// Flags of one scenario given the merchant's median share.
    public static func flags(granted: Int64, revoked: Int64, sharePPM: Int64?, medianPPM: Int64?, scenariosWithGrants: Int) -> [String] {
        guard revoked > 0 else { return [] }
        guard granted > 0, let sharePPM else { return ["revoked_without_grants"] }
        var flags: [String] = []
        if revoked * 5 > granted { flags.append("share_above_20_percent") }
        if scenariosWithGrants >= minimumScenariosForMedian, let medianPPM, sharePPM >= medianRuleFloorPPM,
           exceedsThreeTimes(sharePPM, medianPPM) {
            flags.append("above_3x_median")
        }
        return flags
    }

    /// Whether `share` > 3 × `median`, without overflowing.
    static func exceedsThreeTimes(_ share: Int64, _ median: Int64) -> Bool {
        let (tripled, overflow) = median.multipliedReportingOverflow(by: 3)
        return overflow ? false : share > tripled
    }

    /// Parts per million, rounded down; `Int64.max` when that does not fit (a share of more than
    /// about 9.2 × 10^12 ppm: revoked points in a month can far exceed the month's grants).
    public static func ppm(_ part: Int64, of whole: Int64) -> Int64? {
        guard whole > 0, part >= 0 else { return whole > 0 ? 0 : nil }
        let (high, low) = part.multipliedFullWidth(by: 1_000_000)
        guard high == 0 else { return Int64.max }
        let quotient = low / UInt64(whole)
        return quotient > UInt64(Int64.max) ? Int64.max : Int64(quotient)
    }

    /// The median of `values` (the mean of the two middle ones, rounded down, for an even count;
    /// computed without overflowing).
    public static func median(_ values: [Int64]) -> Int64? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        guard sorted.count % 2 == 0 else { return sorted[middle] }
        let (low, high) = (sorted[middle - 1], sorted[middle])
        return low / 2 + high / 2 + (low % 2 + high % 2) / 2
    }

    static func percent(_ ppm: Int64) -> String {
        "\(ppm / 10_000).\(String(format2: ppm % 10_000 / 100))%"
    }

    /// What a stored revocation's evidence lacks for its reason (empty when complete). Commands
    /// refuse incomplete evidence, so a problem here means the record was written otherwise
    /// (an older version, a hand-made ledger): exactly what the report is for.
    public static func evidenceProblems(_ revocation: Revocation, scenarioPurpose: ScenarioPurpose?, grantedAt: Int64? = nil) -> [String] {
        var problems: [String] = []
        func blank(_ text: String) -> Bool { text.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" } }
        switch revocation.evidence {
        case .mistakenIssuance(let notifiedAt, _, let message):
            if notifiedAt > revocation.revokedAt { problems.append("the user was informed after the revocation (notifiedAt is later)") }
            if let grantedAt, notifiedAt < grantedAt - PointsDomain.noticeClockToleranceMicros {
                problems.append("the user was informed before the grant was made (notifiedAt is earlier)")
            }
            if blank(message) { problems.append("no message explaining the mistake to the user") }
        case .fraud(let kind, let caseReference, let description):
            if blank(caseReference) { problems.append("no fraud case reference") }
            if kind == .other, description.map(blank) ?? true { problems.append("fraudKind other without a description") }
        case .purchaseCancelled(_, let transactionReference):
            if blank(transactionReference) { problems.append("no transaction reference") }
            if let scenarioPurpose, !scenarioPurpose.isPurchaseReward {
                problems.append("purchase_cancelled under a \(scenarioPurpose.rawValue) scenario (only purchase-threshold and cashback grants)")
            }
        }
        return problems
    }
}

private extension String {
    init(format2 value: Int64) {
        self = value < 10 ? "0\(value)" : String(value)
    }
}

extension PointsDomain {
    /// The revocation compliance report of one merchant for one month; nil when the merchant
    /// is unknown. Linear in the merchant's grants of the month and in all revocations.
    public func complianceReport(merchantID: String, month: BillingMonth) -> RevocationComplianceReport? {
        guard let merchant = merchantIndex[merchantID] else { return nil }
        var granted: [UInt32: RevocationComplianceReport.Tally] = [:]
        // The merchant's grants are in seq (so time) order: find the month's range.
        let list = grantsByMerchant[Int(merchant)]
        var low = 0
        var high = list.count
        while low < high {
            let middle = (low + high) / 2
            if grants.slots[Int(list[middle])].time < month.startInstant { low = middle + 1 } else { high = middle }
        }
        var position = low
        while position < list.count {
            let slot = grants.slots[Int(list[position])]
            guard slot.time < month.endInstant else { break }
            granted[slot.scenario, default: .init()].add(Int(slot.points))
            position += 1
        }
        var revoked: [UInt32: RevocationComplianceReport.Tally] = [:]
        var total = RevocationComplianceReport.Tally()
        var byReason: [RevocationReason: RevocationComplianceReport.Tally] = [:]
        var standing = RevocationComplianceReport.Tally()
        var withdrawn = RevocationComplianceReport.Tally()
        var findings: [RevocationComplianceReport.FindingEntry] = []
        var complete: Int64 = 0
        var incomplete: [RevocationComplianceReport.IncompleteEvidence] = []
        for revocation in revocations where revocation.merchantID == merchantID && month.contains(ledgerTime: revocation.revokedAt) {
            total.add(revocation.points)
            byReason[revocation.reason, default: .init()].add(revocation.points)
            let revokedGrant = grants.slots[Int(revocation.grantSlot)]
            revoked[revokedGrant.scenario, default: .init()].add(revocation.points)
            if let finding = revocation.finding {
                standing.add(revocation.points)
                findings.append(.init(revocationID: revocation.revocationID, orderID: revocation.orderID, points: revocation.points,
                                      status: "standing", note: finding.note, findingsRecorded: revocation.findingsRecorded))
            } else if revocation.findingsRecorded > 0 {
                withdrawn.add(revocation.points)
                findings.append(.init(revocationID: revocation.revocationID, orderID: revocation.orderID, points: revocation.points,
                                      status: "withdrawn", note: revocation.withdrawalNote, findingsRecorded: revocation.findingsRecorded))
            }
            let problems = RevocationCompliance.evidenceProblems(revocation, scenarioPurpose: scenarios[Int(revokedGrant.scenario)].purpose,
                                                                 grantedAt: revokedGrant.time)
            if problems.isEmpty {
                complete += 1
            } else {
                incomplete.append(.init(revocationID: revocation.revocationID, reason: revocation.reason, problems: problems))
            }
        }
        let involved = Set(granted.keys).union(revoked.keys).sorted()
        let shares = involved.compactMap { scenario -> Int64? in
            guard let tally = granted[scenario], tally.points > 0 else { return nil }
            return RevocationCompliance.ppm(revoked[scenario]?.points ?? 0, of: tally.points)
        }
        let median = RevocationCompliance.median(shares)
        let scenarioShares = involved.map { index -> RevocationComplianceReport.ScenarioShare in
            let scenario = scenarios[Int(index)]
            let grantTally = granted[index] ?? .init()
            let revokedTally = revoked[index] ?? .init()
            let share = RevocationCompliance.ppm(revokedTally.points, of: grantTally.points)
            return .init(scenarioID: scenario.id, title: scenario.title, purpose: scenario.purpose, granted: grantTally, revoked: revokedTally,
                         sharePPM: share,
                         flags: RevocationCompliance.flags(granted: grantTally.points, revoked: revokedTally.points, sharePPM: share,
                                                           medianPPM: median, scenariosWithGrants: shares.count))
        }
        return RevocationComplianceReport(
            merchantID: merchantID, month: month, revocations: total,
            byReason: RevocationReason.allCases.map { ($0, byReason[$0] ?? .init()) },
            standingFindings: standing, withdrawnFindings: withdrawn, findings: findings,
            evidenceComplete: complete, evidenceIncomplete: incomplete, scenarios: scenarioShares, medianSharePPM: median)
    }

    /// Merchants with a grant or a revocation in the month, in registration order.
    public func merchantsActive(in month: BillingMonth) -> [String] {
        var active: Set<UInt32> = []
        for (index, list) in grantsByMerchant.enumerated() {
            var low = 0
            var high = list.count
            while low < high {
                let middle = (low + high) / 2
                if grants.slots[Int(list[middle])].time < month.startInstant { low = middle + 1 } else { high = middle }
            }
            if low < list.count, grants.slots[Int(list[low])].time < month.endInstant { active.insert(UInt32(index)) }
        }
        for revocation in revocations where month.contains(ledgerTime: revocation.revokedAt) {
            if let merchant = merchantIndex[revocation.merchantID] { active.insert(merchant) }
        }
        return active.sorted().map { merchants[Int($0)].id }
    }
}
