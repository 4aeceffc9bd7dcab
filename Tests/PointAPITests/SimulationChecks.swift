import Foundation
import PointAPI
import PointCore
import PointCrypto
import PointJSON
import PointLedger
import Testing

/// Restarts and the checks against the reference model after each one.
extension Simulation {

    func restart() async throws {
        statistics.restarts += 1
        let live: PointsDomain? = poisoned ? nil : service.read { copy $0 }
        service.close()
        service = nil
        clockStart += Int64(random(0...12)) * 86_400_000_000
        try open(faulty: chance(60))
        if let live {
            let replayed = service.read { copy $0 }
            if replayed != live { throw SimulationFailure("the state replayed on reopen differs from the live state before close") }
        }
        let wasPoisoned = poisoned
        poisoned = false
        if let failed = pending {
            pending = nil
            try await resolve(failed)
            // The resend failed again (the new file system is faulty too): restart once more.
            if poisoned { return try await restart() }
        }
        try check(afterPoison: wasPoisoned)
    }

    /// After a poisoned write: the record may exist (whole, equal to the command) or not; resending
    /// gives exactly one outcome.
    func resolve(_ failed: Pending) async throws {
        switch failed {
        case .binding(let member):
            let present = service.read { $0.binding(merchantID: Self.merchant, memberID: member) } != nil
            statistics.uncertainPresent += present ? 1 : 0
            statistics.uncertainAbsent += present ? 0 : 1
            try await bindAgain(member)
        case .grants(let commands):
            var present: [Bool] = []
            for command in commands {
                let grant = service.read { $0.grant(merchantID: Self.merchant, orderID: command.orderID) }
                if let grant, grants[command.orderID] == nil {
                    guard case .member(let member) = command.recipient, grant.memberID == member, grant.points == command.points,
                          grant.scenarioID == command.scenarioID else {
                        throw SimulationFailure("grant \(command.orderID) of a failed write exists with different content")
                    }
                    statistics.uncertainPresent += 1
                } else if grants[command.orderID] == nil {
                    statistics.uncertainAbsent += 1
                }
                present.append(grant != nil)
            }
            let outcomes: [GrantOutcome]
            do throws(ServiceError) { outcomes = try await service.grantBatch(commands) } catch {
                if case .ledger(let failure) = error { return try await poison(.grants(commands), what: "resend of a failed batch", error: failure) }
                throw SimulationFailure("resending a failed batch was refused: \(error)")
            }
            for (index, outcome) in outcomes.enumerated() {
                let command = commands[index]
                let acknowledgedBefore = grants[command.orderID]
                let sameAsAcknowledged = acknowledgedBefore.map { known in
                    if case .member(let member) = command.recipient { return known == GrantModel(member: member, scenario: command.scenarioID, points: command.points) }
                    return false
                }
                switch outcome {
                case .granted:
                    if present[index] { throw SimulationFailure("resending \(command.orderID), which exists, wrote it again") }
                    try remember(command)
                case .replayed:
                    if !present[index] { throw SimulationFailure("resending \(command.orderID), which did not exist, answered a replay") }
                    if sameAsAcknowledged == false { throw SimulationFailure("resending \(command.orderID) with other content answered a replay") }
                    try remember(command)
                case .refused(let error):
                    // A conflicting resend of an acknowledged grant stays a conflict; an item the
                    // domain refused (unbound member) stays refused; an existing record of this very
                    // command must answer as a replay.
                    if sameAsAcknowledged == false {
                        if error.code != "order_id_conflict" { throw SimulationFailure("resending conflicting \(command.orderID): \(error.code)") }
                    } else if present[index] {
                        throw SimulationFailure("resending \(command.orderID), which exists, was refused: \(error.code)")
                    }
                }
            }
            note("resent failed batch: \(outcomes.count) outcomes")
        case .revocation(let command):
            let existing = service.read { $0.revocation(merchantID: Self.merchant, revocationID: command.revocationID) }
            if let existing {
                guard existing.orderID == command.orderID, existing.points == command.points else {
                    throw SimulationFailure("revocation \(command.revocationID) of a failed write exists with different content")
                }
            }
            if revocations[command.revocationID] == nil { statistics.uncertainPresent += existing == nil ? 0 : 1; statistics.uncertainAbsent += existing == nil ? 1 : 0 }
            let outcome = await execute { domain, now throws(DomainError) in try domain.decide(command, now: now) }
            switch outcome {
            case .written(let receipt):
                if receipt.isReplay != (existing != nil) { throw SimulationFailure("resending revocation \(command.revocationID): replay \(receipt.isReplay), existed \(existing != nil)") }
                revocations[command.revocationID] = RevocationModel(command: command)
                if findings[command.revocationID] == nil { findings[command.revocationID] = false }
            case .refused(let error):
                if existing != nil { throw SimulationFailure("resending revocation \(command.revocationID), which exists, was refused: \(error.code)") }
            case .ledgerFailed(let failure):
                try await poison(.revocation(command), what: "resend of a failed revocation", error: failure)
            }
        case .close(let month):
            let documents = service.readSettlement { $1.documents(month) }
            if documents != nil && closedMonths[month] == nil { statistics.uncertainPresent += 1 } else { statistics.uncertainAbsent += 1 }
            let result: Result<PeriodCloseOutcome, ServiceError>
            do throws(ServiceError) { result = .success(try await service.closePeriod(month, checkpoint: nil)) } catch { result = .failure(error) }
            switch result {
            case .success(let outcome):
                if outcome.receipt.isReplay != (documents != nil) {
                    throw SimulationFailure("resending the close of \(month): replay \(outcome.receipt.isReplay), closed before \(documents != nil)")
                }
                if let documents, outcome.invoices != documents { throw SimulationFailure("resending the close of \(month) answered other documents") }
                if let known = closedMonths[month], known != outcome.invoices { throw SimulationFailure("the close of \(month) changed") }
                if closedMonths[month] == nil { statistics.closes += 1 }
                closedMonths[month] = outcome.invoices
            case .failure(.ledger(let failure)):
                try await poison(.close(month), what: "resend of a failed close", error: failure)
            case .failure(.domain(let refusal)):
                throw SimulationFailure("resending the close of \(month) was refused: \(refusal.code) \(refusal.message)")
            }
        case .finding(let revocationID, let record):
            let standing = service.read { $0.revocation(merchantID: Self.merchant, revocationID: revocationID)?.finding != nil }
            let before = findings[revocationID] ?? false
            if standing != before && standing != record { throw SimulationFailure("finding on \(revocationID) is in neither the old nor the new state") }
            statistics.uncertainPresent += standing != before ? 1 : 0
            statistics.uncertainAbsent += standing == before ? 1 : 0
            findings[revocationID] = standing
            let revocation = service.read { $0.revocation(merchantID: Self.merchant, revocationID: revocationID) }
            findingNotes[revocationID] = revocation?.finding?.note
            withdrawalNotes[revocationID] = revocation?.withdrawalNote
        }
    }

    func bindAgain(_ member: String) async throws {
        let outcome = await execute { domain, _ throws(DomainError) in
            try domain.decide(bind: member, merchantID: Self.merchant, login: VerifiedLineLogin(lineUserID: Self.lineUser(member), audience: Self.login))
        }
        if try await settle(outcome, expect: nil, what: "resend bind \(member)", pending: .binding(member)), !boundMembers.contains(member) {
            boundMembers.append(member)
        }
    }

    func ledgerRecords() throws -> [LedgerRecord] {
        let durable = service.ledger.durableSeq
        var records: [LedgerRecord] = []
        var from: UInt64 = 1
        while from <= durable {
            let page = try service.ledger.records(from: from, limit: 1_000, through: durable)
            guard let last = page.last else { break }
            records += page
            from = last.seq + 1
        }
        return records
    }

    func check(afterPoison: Bool) throws {
        if poisoned { return }  // a resend failed again: checked after the next restart
        let records = try ledgerRecords()
        var grantCounts: [String: Int] = [:]
        var revocationCounts: [String: Int] = [:]
        for record in records {
            switch record.type {
            case "grant.issued": grantCounts[record.data["orderId"]?.stringValue ?? "", default: 0] += 1
            case "revocation.recorded": revocationCounts[record.data["revocationId"]?.stringValue ?? "", default: 0] += 1
            default: break
            }
        }
        if let twice = grantCounts.first(where: { $0.value != 1 }) { throw SimulationFailure("grant \(twice.key) is in the ledger \(twice.value) times") }
        if let twice = revocationCounts.first(where: { $0.value != 1 }) { throw SimulationFailure("revocation \(twice.key) is in the ledger \(twice.value) times") }
        if let unknown = grantCounts.keys.first(where: { grants[$0] == nil }) { throw SimulationFailure("grant \(unknown) is in the ledger but was never acknowledged") }
        if let unknown = revocationCounts.keys.first(where: { revocations[$0] == nil }) { throw SimulationFailure("revocation \(unknown) is in the ledger but was never acknowledged") }
        let modelGrants = grants, modelRevocations = revocations, modelFindings = findings, members = boundMembers
        let problem: String? = service.read { domain -> String? in
            for (orderID, model) in modelGrants {
                guard grantCounts[orderID] == 1 else { return "acknowledged grant \(orderID) is missing from the ledger" }
                guard let grant = domain.grant(merchantID: Self.merchant, orderID: orderID) else { return "acknowledged grant \(orderID) is missing" }
                guard grant.memberID == model.member, grant.points == model.points, grant.scenarioID == model.scenario else {
                    return "grant \(orderID) differs from what was acknowledged"
                }
                let revoked = modelRevocations.values.filter { $0.command.orderID == orderID }.reduce(0) { $0 + $1.command.points }
                guard grant.revokedPoints == revoked, grant.remainingPoints >= 0 else {
                    return "grant \(orderID): \(grant.revokedPoints) revoked, \(grant.remainingPoints) remaining; the model has \(revoked) revoked of \(model.points)"
                }
            }
            for (revocationID, model) in modelRevocations {
                guard revocationCounts[revocationID] == 1 else { return "acknowledged revocation \(revocationID) is missing from the ledger" }
                guard let revocation = domain.revocation(merchantID: Self.merchant, revocationID: revocationID),
                      revocation.orderID == model.command.orderID, revocation.points == model.command.points,
                      revocation.reason.rawValue == model.command.reason else { return "acknowledged revocation \(revocationID) is missing or differs" }
                if (revocation.finding != nil) != (modelFindings[revocationID] ?? false) { return "the finding on \(revocationID) differs from the model" }
            }
            for member in members where domain.binding(merchantID: Self.merchant, memberID: member) == nil {
                return "acknowledged binding of \(member) is missing"
            }
            return nil
        }
        if let problem { throw SimulationFailure(problem + (afterPoison ? " (after a failed write)" : "")) }
        try checkCloses(records)
    }

    /// Closed months never change; the files alone reproduce them; each document bills exactly
    /// the points of its month's grant records.
    func checkCloses(_ records: [LedgerRecord]) throws {
        guard !closedMonths.isEmpty else { return }
        let model = closedMonths
        if let changed = service.readSettlement({ _, settlement in model.first { settlement.documents($0.key) != $0.value } }) {
            throw SimulationFailure("the documents of closed month \(changed.key) changed")
        }
        var pointsByMonth: [BillingMonth: Int64] = [:]
        for record in records where record.type == "grant.issued" {
            guard let month = try? BillingMonth(containingLedgerTime: record.time), case .int(let points)? = record.data["points"] else {
                throw SimulationFailure("grant record \(record.seq) has no month or points")
            }
            pointsByMonth[month, default: 0] += points
        }
        let folded: (replay: BillingReplay, settlement: SettlementFold, records: UInt64)
        do throws(SettlementLedgerReader.Failure) { folded = try SettlementLedgerReader.fold(dataDirectory: directory) } catch {
            throw SimulationFailure("settle can't fold the files: \(error)")
        }
        for (month, documents) in model {
            let report = SettlementAudit.report(folded.settlement, month: month)
            if !report.reproduced { throw SimulationFailure("settle does not reproduce \(month): \(report.lines.joined(separator: " | "))") }
            let billed = documents.flatMap(\.lines).filter { $0.type == .pointsGranted }.reduce(Int64(0)) { $0 + $1.quantity }
            if billed != pointsByMonth[month, default: 0] {
                throw SimulationFailure("\(month) bills \(billed) points granted; its grant records hold \(pointsByMonth[month, default: 0])")
            }
        }
        // settle's billing-only fold gives the settlement the full replay (domain and rules) gives.
        let full: AuditLedgerReader.Folded
        do throws(AuditLedgerReader.Failure) { full = try AuditLedgerReader.fold(dataDirectory: directory) } catch {
            throw SimulationFailure("the full replay can't fold the files: \(error)")
        }
        let lean = folded.settlement
        if lean.closed != full.settlement.closed || lean.faults != full.settlement.faults
            || lean.interruptedIssues != full.settlement.interruptedIssues || lean.unclosedIssues != full.settlement.unclosedIssues {
            throw SimulationFailure("settle's billing fold differs from the full replay of the same files")
        }
        if let next = model.keys.max()?.adding(months: 1), (try? lean.preview(next)) != (try? full.settlement.preview(next)) {
            throw SimulationFailure("settle's billing fold previews \(next) differently from the full replay")
        }
    }
}
