import Foundation
import PointAPI
import PointCore
import PointCrypto
import PointJSON
import PointLedger
import Testing

/// Deterministic simulation (issue 6): seeded random workloads of bindings, grants, batches,
/// revocations under the three reasons with valid and invalid evidence, findings, period closes
/// and restarts (close + reopen of `PointService` on the same data directory; the clock jumps
/// 0–12 days at each restart, so months end and are closed), with the ledger on a
/// `FaultInjectingFileSystem` (EIO on write, failed fdatasync, short writes, a full disk),
/// checked against a reference model.
///
/// The model and what is checked:
/// - Acknowledged = `execute`/`grantBatch` returned. Every acknowledged grant, revocation,
///   binding and finding is in the ledger after every restart, exactly once (one `grant.issued`
///   per orderId, one `revocation.recorded` per revocationId), with the acknowledged content.
/// - A write that failed with a ledger error was not acknowledged: the service refuses every
///   later write until it is restarted (checked with one more write, which must fail and must
///   never appear), and its reads keep working. After the restart the failed command's record may
///   or may not exist — a torn line is cut off, a record whose fdatasync failed may be whole in
///   the file. If it exists it equals the command; resending the command with the same
///   orderId / revocationId gives exactly one outcome: a replay when it exists, a new record when
///   not (never a conflict, never a second record). For a batch this holds item by item.
/// - Nothing else appears: every grant and revocation in the ledger is acknowledged or is the
///   failed command of a poisoned write.
/// - Remaining points are never negative and equal points − Σ revocations of the grant.
/// - The state rebuilt by replay on reopen equals the live state before close (when the service
///   was healthy when closed).
/// - Period closes: a month closes only after it has ended (else `period_not_ended`), in order;
///   closing it again answers the same documents; a closed month's documents never change across
///   restarts; `settle`'s fold of the files alone reproduces every closed month exactly; and each
///   document's points-granted quantity equals the points of the month's `grant.issued` records.
/// - Domain answers agree with the model: a grant/revocation the model says is valid succeeds;
///   one it says is invalid (unbound member, conflicting orderId, bad evidence, too many points,
///   purchase_cancelled on a non-purchase scenario) is refused with the expected code.
///
/// Reproducing: the seed fixes the workload and the fault plan. A failure prints
/// `sandbox/simulate --seed <seed>`, which replays that one seed (it sets `SIMULATION_SEED`);
/// `sandbox/simulate --seeds <n> --first <f>` (`SIMULATION_SEEDS`, `SIMULATION_FIRST_SEED`) runs n seeds.
/// (Which write call of a batch a counted fault hits can vary with the ledger writer thread's
/// timing; every outcome is still checked against the model.)
@Suite("Deterministic simulation")
struct SimulationTests {
    static let defaultSeeds = 24

    @Test("Seeded workloads with injected disk faults and restarts keep every acknowledged write")
    func seededWorkloads() async throws {
        let environment = ProcessInfo.processInfo.environment
        let seeds: [UInt64]
        if let one = environment["SIMULATION_SEED"].flatMap(UInt64.init) {
            seeds = [one]
        } else {
            let first = environment["SIMULATION_FIRST_SEED"].flatMap(UInt64.init) ?? 1
            let count = environment["SIMULATION_SEEDS"].flatMap(UInt64.init) ?? UInt64(Self.defaultSeeds)
            seeds = Array(first..<(first + count))
        }
        var totals = Simulation.Statistics()
        for seed in seeds {
            let simulation = Simulation(seed: seed)
            defer { simulation.removeDirectory() }
            do {
                try await simulation.run()
            } catch {
                Issue.record("simulation seed \(seed) failed: \(error)\nreplay: sandbox/simulate --seed \(seed)  (or SIMULATION_SEED=\(seed) swift test --filter SimulationTests)\nlast operations:\n\(simulation.trace.suffix(25).joined(separator: "\n"))")
                break
            }
            totals.add(simulation.statistics)
        }
        print("simulation: \(seeds.count) seed(s) \(seeds.first ?? 0)…\(seeds.last ?? 0): \(totals)")
    }
}

/// SplitMix64: small, fast and the same on every platform.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct SimulationFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

final class Simulation: @unchecked Sendable {
    struct Statistics: CustomStringConvertible {
        var operations = 0
        var acknowledged = 0
        var refused = 0
        var restarts = 0
        var faultPlans = 0
        var faultsHit = 0
        var openRefused = 0
        var uncertainPresent = 0
        var uncertainAbsent = 0
        var grants = 0
        var revocations = 0
        var closes = 0

        mutating func add(_ other: Statistics) {
            operations += other.operations; acknowledged += other.acknowledged; refused += other.refused
            restarts += other.restarts; faultPlans += other.faultPlans; faultsHit += other.faultsHit
            openRefused += other.openRefused; uncertainPresent += other.uncertainPresent
            uncertainAbsent += other.uncertainAbsent; grants += other.grants; revocations += other.revocations
            closes += other.closes
        }

        var description: String {
            "\(operations) operations (\(acknowledged) acknowledged, \(refused) refused by the domain), \(restarts) restarts, "
                + "\(faultPlans) fault plans armed, \(faultsHit) writes failed by a fault, \(openRefused) opens refused, "
                + "failed writes found after restart: \(uncertainPresent) present / \(uncertainAbsent) absent, "
                + "\(grants) grants and \(revocations) revocations in the final ledgers, \(closes) months closed"
        }
    }

    static let merchant = "1650000001"
    static let login = "2000000001"
    static let signupScenario = "SCN-000001"
    static let purchaseScenario = "SCN-000002"
    static let start: Int64 = 1_792_029_600_000_000  // 2026-10-15T10:00:00+08:00

    let seed: UInt64
    var rng: SplitMix64
    let directory: String
    var service: PointService!
    var fileSystem: FaultInjectingFileSystem?
    var statistics = Statistics()
    var trace: [String] = []

    // The reference model.
    struct GrantModel: Equatable { var member: String; var scenario: String; var points: Int }
    struct RevocationModel { var command: RevokePointsCommand }
    var boundMembers: [String] = []
    var grants: [String: GrantModel] = [:]
    var revocations: [String: RevocationModel] = [:]
    var findings: [String: Bool] = [:]
    /// The note of each standing finding, and of each revocation's last withdrawal.
    var findingNotes: [String: String] = [:]
    var withdrawalNotes: [String: String] = [:]
    /// The documents of every acknowledged close.
    var closedMonths: [BillingMonth: [Invoice]] = [:]
    /// The service clock's starting instant at the last open (it jumps forward at each restart).
    var clockStart = Simulation.start
    /// The failed command of the last poisoned write, resolved at the next restart.
    enum Pending {
        case binding(String)
        case grants([GrantPointsCommand])
        case revocation(RevokePointsCommand)
        case finding(String, record: Bool)
        case close(BillingMonth)
    }
    var pending: Pending?
    var poisoned = false
    var faultsArmed = false
    var nextID = 0

    init(seed: UInt64) {
        self.seed = seed
        rng = SplitMix64(seed: seed)
        directory = NSTemporaryDirectory() + "pointconnect-simulation-\(seed)-\(UUID().uuidString)"
    }

    func removeDirectory() {
        service?.close()
        service = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    func random(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    func chance(_ percent: Int) -> Bool { random(1...100) <= percent }
    func fresh(_ prefix: String) -> String {
        nextID += 1
        return "\(prefix)-\(nextID)"
    }

    func note(_ text: String) {
        trace.append(text)
        if trace.count > 200 { trace.removeFirst(100) }
    }

    // MARK: Running

    func run() async throws {
        try open(faulty: false)
        try await onboard()
        let operations = random(120...180)
        for _ in 0..<operations {
            statistics.operations += 1
            switch random(1...100) {
            case 1...10: try await bind()
            case 11...45: try await grant()
            case 46...58: try await batch()
            case 59...80: try await revoke()
            case 81...88: try await finding()
            case 89...94: try await restart()
            case 95...97: try await closeMonth()
            default: try await retryExisting()
            }
            if poisoned { try await restart() }
        }
        try await restart()
        let records = try ledgerRecords()
        statistics.grants = records.filter { $0.type == "grant.issued" }.count
        statistics.revocations = records.filter { $0.type == "revocation.recorded" }.count
        service.close()
        service = nil
    }

    func open(faulty: Bool) throws {
        fileSystem?.heal()
        var faults: [FaultInjectingFileSystem.Fault] = []
        if faulty {
            statistics.faultPlans += 1
            switch random(1...4) {
            case 1: faults = [.writeError(onCall: random(1...12), errno: EIO)]
            case 2: faults = [.syncError(onCall: random(1...12), errno: EIO)]
            case 3: faults = [.shortWrite(onCall: random(1...8), maxBytes: random(1...120)),
                              .writeError(onCall: random(4...16), errno: chance(50) ? EIO : ENOSPC)]
            default: faults = [.diskFull(capacityBytes: random(0...4_000))]
            }
        }
        let system = FaultInjectingFileSystem(base: PosixFileSystem(), faults: faults)
        fileSystem = system
        faultsArmed = !faults.isEmpty
        note("open \(faults.isEmpty ? "healthy" : "with \(faults)")")
        do {
            service = try PointService.open(dataDirectory: directory, clock: .starting(at: clockStart),
                                            options: LedgerOptions(maxSegmentBytes: 4_096),
                                            checkpointOptions: CheckpointOptions(automatic: false), fileSystem: system)
        } catch {
            guard faulty else { throw SimulationFailure("a healthy open failed: \(error)") }
            statistics.openRefused += 1
            note("open refused: \(error)")
            try open(faulty: false)
        }
    }

    enum Outcome { case written(CommandReceipt), refused(DomainError), ledgerFailed(LedgerError) }

    func execute(_ decide: (borrowing PointsDomain, _ now: Int64) throws(DomainError) -> Decision) async -> Outcome {
        do throws(ServiceError) {
            return .written(try await service.execute(decide))
        } catch {
            switch error {
            case .domain(let refusal): return .refused(refusal)
            case .ledger(let failure): return .ledgerFailed(failure)
            }
        }
    }

    /// Checks an outcome against the expectation (nil: must succeed; a code: must be refused with
    /// it; "*": either). Returns true when the write was acknowledged; records a pending write on
    /// a ledger failure.
    func settle(_ outcome: Outcome, expect: String?, what: String, pending failed: Pending) async throws -> Bool {
        switch outcome {
        case .written(let receipt):
            note("\(what): written seq \(receipt.seq)\(receipt.isReplay ? " (replay)" : "")")
            if let expect, expect != "*" { throw SimulationFailure("\(what) succeeded; expected refusal \(expect)") }
            statistics.acknowledged += 1
            return true
        case .refused(let error):
            note("\(what): refused \(error.code)")
            statistics.refused += 1
            if expect == nil { throw SimulationFailure("\(what) was refused (\(error.code): \(error.message) \(error.details)); the model expected success") }
            if let expect, expect != "*", expect != error.code {
                throw SimulationFailure("\(what) was refused with \(error.code); expected \(expect)")
            }
            return false
        case .ledgerFailed(let error):
            note("\(what): ledger failed: \(error)")
            try await poison(failed, what: what, error: error)
            return false
        }
    }

    func poison(_ failed: Pending, what: String, error: LedgerError) async throws {
        guard faultsArmed else { throw SimulationFailure("\(what) failed with no fault injected: \(error)") }
        statistics.faultsHit += 1
        if pending != nil || poisoned { throw SimulationFailure("harness: a write was attempted on a poisoned service") }
        pending = failed
        poisoned = true
        // Writes are refused until restart; reads keep working.
        let member = fresh("m-after-failure")
        let probe = await execute { domain, _ throws(DomainError) in
            try domain.decide(bind: member, merchantID: Self.merchant, login: VerifiedLineLogin(lineUserID: Self.lineUser(member), audience: Self.login))
        }
        guard case .ledgerFailed = probe else { throw SimulationFailure("after \(what) failed (\(error)), the next write was not refused: \(probe)") }
        // Resending the failed grant while poisoned: acknowledged only if its record is durable.
        if case .grants(let commands) = failed, let command = commands.first {
            let resend = await execute { domain, now throws(DomainError) in try domain.decide(command, now: now) }
            if case .written(let receipt) = resend, receipt.seq > service.ledger.durableSeq {
                throw SimulationFailure("while poisoned, resending \(command.orderID) was acknowledged at seq \(receipt.seq) beyond the durable \(service.ledger.durableSeq)")
            }
        }
        _ = service.read { $0.grant(merchantID: Self.merchant, orderID: "none") }
        note("poisoned; a later write was refused as it must be")
    }

    static func lineUser(_ member: String) -> String {
        let digest = Array(member.utf8).withUnsafeBytes { SHA256.hash($0) }
        return "U" + String(digest.hex.prefix(32))
    }

    // MARK: Operations

    func onboard() async throws {
        let setup: [(String, (borrowing PointsDomain, Int64) throws(DomainError) -> Decision)] = [
            ("register", { domain, _ throws(DomainError) in
                try domain.decide(RegisterMerchantCommand(merchantID: Self.merchant, name: "Shop", taxID: "22099131", appliedOn: "2026-09-01", contractStartDate: "2026-10-01"))
            }),
            ("environment", { domain, _ throws(DomainError) in
                try domain.decide(OpenEnvironmentCommand(merchantID: Self.merchant, environment: .sandbox, officialAccountID: "@shop", loginChannelID: Self.login,
                                                         linkedLoginChannelID: Self.login, allowedSources: ["127.0.0.1"]))
            }),
            ("scenario 1", { domain, _ throws(DomainError) in
                try domain.decide(SubmitScenarioCommand(merchantID: Self.merchant, title: "Signup", purpose: "member_registration", description: "d",
                                                        grantConditions: "c", activeFrom: "2026-01-01T00:00:00Z", activeUntil: "2036-01-01T00:00:00Z"))
            }),
            ("approve 1", { _, _ throws(DomainError) in .append(.scenarioApproved(scenarioID: Self.signupScenario, note: "ok")) }),
            ("scenario 2", { domain, _ throws(DomainError) in
                try domain.decide(SubmitScenarioCommand(merchantID: Self.merchant, title: "Spend", purpose: "purchase_threshold", description: "d",
                                                        grantConditions: "c", purchaseChannels: ["online_store"], activeFrom: "2026-01-01T00:00:00Z", activeUntil: "2036-01-01T00:00:00Z"))
            }),
            ("approve 2", { _, _ throws(DomainError) in .append(.scenarioApproved(scenarioID: Self.purchaseScenario, note: "ok")) }),
        ]
        for (what, decide) in setup {
            let outcome = await execute(decide)
            guard case .written = outcome else { throw SimulationFailure("onboarding step \(what) failed: \(outcome)") }
        }
    }

    func bind() async throws {
        let member = boundMembers.isEmpty || chance(80) ? fresh("m") : boundMembers[random(0...(boundMembers.count - 1))]
        let outcome = await execute { domain, _ throws(DomainError) in
            try domain.decide(bind: member, merchantID: Self.merchant, login: VerifiedLineLogin(lineUserID: Self.lineUser(member), audience: Self.login))
        }
        if try await settle(outcome, expect: nil, what: "bind \(member)", pending: .binding(member)), !boundMembers.contains(member) {
            boundMembers.append(member)
        }
    }

    /// A grant command and the expected answer.
    func grantCommand() -> (GrantPointsCommand, expect: String?) {
        let scenario = chance(50) ? Self.signupScenario : Self.purchaseScenario
        if !grants.isEmpty && chance(20) {
            let orderID = grants.keys.sorted()[random(0...(grants.count - 1))]
            let model = grants[orderID]!
            let same = chance(60)
            return (GrantPointsCommand(merchantID: Self.merchant, orderID: orderID, recipient: .member(model.member), scenarioID: model.scenario,
                                       points: same ? model.points : model.points + 1), same ? nil : "order_id_conflict")
        }
        if boundMembers.isEmpty || chance(8) {
            return (GrantPointsCommand(merchantID: Self.merchant, orderID: fresh("o"), recipient: .member(fresh("m-unbound")), scenarioID: scenario,
                                       points: random(1...500)), "*")
        }
        let member = boundMembers[random(0...(boundMembers.count - 1))]
        return (GrantPointsCommand(merchantID: Self.merchant, orderID: fresh("o"), recipient: .member(member), scenarioID: scenario,
                                   points: random(1...500)), nil)
    }

    func grant() async throws {
        let (command, expect) = grantCommand()
        let outcome = await execute { domain, now throws(DomainError) in try domain.decide(command, now: now) }
        if try await settle(outcome, expect: expect, what: "grant \(command.orderID) \(command.points)", pending: .grants([command])) {
            try remember(command)
        }
    }

    func remember(_ command: GrantPointsCommand) throws {
        guard case .member(let member) = command.recipient else { return }
        let model = GrantModel(member: member, scenario: command.scenarioID, points: command.points)
        if let known = grants[command.orderID], known != model { throw SimulationFailure("grant \(command.orderID) acknowledged with different content") }
        grants[command.orderID] = model
    }

    func batch() async throws {
        var commands: [GrantPointsCommand] = []
        var expectations: [String?] = []
        for _ in 0..<random(1...8) {
            let (command, expect) = grantCommand()
            // An orderId twice in one batch answers by the first; keep the model simple.
            if commands.contains(where: { $0.orderID == command.orderID }) { continue }
            commands.append(command)
            expectations.append(expect)
        }
        let outcomes: [GrantOutcome]
        do throws(ServiceError) {
            outcomes = try await service.grantBatch(commands)
        } catch {
            switch error {
            case .ledger(let failure):
                note("batch of \(commands.count): ledger failed: \(failure)")
                try await poison(.grants(commands), what: "batch", error: failure)
            case .domain(let refusal):
                throw SimulationFailure("a batch of \(commands.count) was refused as a whole: \(refusal)")
            }
            return
        }
        note("batch of \(commands.count): \(outcomes.map { if case .refused(let e) = $0 { return e.code }; return "ok" })")
        guard outcomes.count == commands.count else { throw SimulationFailure("batch answered \(outcomes.count) outcomes for \(commands.count)") }
        for (index, outcome) in outcomes.enumerated() {
            let expect = expectations[index]
            switch outcome {
            case .granted, .replayed:
                if let expect, expect != "*" { throw SimulationFailure("batch item \(commands[index].orderID) succeeded; expected \(expect)") }
                statistics.acknowledged += 1
                try remember(commands[index])
            case .refused(let error):
                statistics.refused += 1
                if expect == nil || (expect != "*" && expect != error.code) {
                    throw SimulationFailure("batch item \(commands[index].orderID) refused \(error.code); expected \(expect ?? "success")")
                }
            }
        }
    }

    func revoke() async throws {
        guard !grants.isEmpty else { return try await grant() }
        let orderID = grants.keys.sorted()[random(0...(grants.count - 1))]
        let model = grants[orderID]!
        let revoked = revocations.values.filter { $0.command.orderID == orderID }.reduce(0) { $0 + $1.command.points }
        let remaining = model.points - revoked
        if !revocations.isEmpty && chance(10) {
            // Resend an acknowledged revocation: a replay.
            let known = revocations.values.sorted { $0.command.revocationID < $1.command.revocationID }[random(0...(revocations.count - 1))].command
            let outcome = await execute { domain, now throws(DomainError) in try domain.decide(known, now: now) }
            _ = try await settle(outcome, expect: nil, what: "resend revocation \(known.revocationID)", pending: .revocation(known))
            return
        }
        let points = chance(85) ? random(1...max(1, remaining)) : remaining + random(1...10)
        let valid = chance(75)
        var evidence = RevocationEvidenceInput()
        var expect: String? = nil
        let reason: String
        switch random(1...3) {
        case 1:
            reason = "mistaken_issuance"
            evidence = RevocationEvidenceInput(notifiedAt: CivilTime.formatUTC(service.clock.now()), channel: ["email", "sms", "line_message"][random(0...2)], message: "Granted twice by mistake")
            if !valid {
                switch random(1...3) {
                case 1: evidence.notifiedAt = "2027-06-01T00:00:00+08:00"
                case 2: evidence.channel = "pigeon"
                default: evidence.message = nil
                }
            }
        case 2:
            reason = "fraud"
            let kind = ["point_laundering", "point_theft", "cheating_tool", "other"][random(0...3)]
            evidence = RevocationEvidenceInput(fraudKind: kind, caseReference: fresh("case"), description: kind == "other" ? "bot farm" : nil)
            if !valid {
                if chance(50) { evidence.caseReference = nil } else { evidence.fraudKind = "other"; evidence.description = nil }
            }
        default:
            reason = "purchase_cancelled"
            evidence = RevocationEvidenceInput(cancellation: ["refund", "chargeback", "return"][random(0...2)], transactionReference: fresh("tx"))
            if !valid { evidence.transactionReference = nil }
        }
        if !valid {
            expect = "validation_failed"
        } else if reason == "purchase_cancelled" && model.scenario != Self.purchaseScenario {
            expect = "purchase_cancelled_not_purchase_reward"
        } else if points > remaining {
            expect = "revocation_exceeds_grant"
        }
        let command = RevokePointsCommand(merchantID: Self.merchant, orderID: orderID, revocationID: fresh("r"), points: points, reason: reason, evidence: evidence)
        let outcome = await execute { domain, now throws(DomainError) in try domain.decide(command, now: now) }
        if try await settle(outcome, expect: expect == "validation_failed" ? "*" : expect,
                            what: "revoke \(command.revocationID) \(points) of \(orderID) (\(reason), \(valid ? "valid" : "invalid"))",
                            pending: .revocation(command)) {
            if !valid { throw SimulationFailure("revocation \(command.revocationID) with invalid evidence was acknowledged") }
            revocations[command.revocationID] = RevocationModel(command: command)
            findings[command.revocationID] = false
        }
    }

    func finding() async throws {
        guard !revocations.isEmpty else { return try await revoke() }
        let revocationID = revocations.keys.sorted()[random(0...(revocations.count - 1))]
        let standing = findings[revocationID] ?? false
        let record = chance(60)
        let note = chance(50) ? "reviewed" : "second look"
        // The same finding (or withdrawal) again is a replay; another one in the same state is refused.
        let isResend = record == standing && (record ? findingNotes[revocationID] : withdrawalNotes[revocationID]) == note
        let expect: String? = record == standing && !isResend ? (record ? "finding_already_recorded" : "finding_not_recorded") : nil
        let outcome = await execute { domain, _ throws(DomainError) in
            try domain.decide(finding: revocationID, merchantID: Self.merchant, record: record, note: note)
        }
        if case .written(let receipt) = outcome, receipt.isReplay != isResend {
            throw SimulationFailure("\(record ? "record" : "withdraw") finding on \(revocationID) (\(note)): replay \(receipt.isReplay), the model expected \(isResend)")
        }
        if try await settle(outcome, expect: expect, what: "\(record ? "record" : "withdraw") finding on \(revocationID) (\(note))",
                            pending: .finding(revocationID, record: record)) {
            findings[revocationID] = record
            if record { findingNotes[revocationID] = note } else { withdrawalNotes[revocationID] = note }
        }
    }

    /// Closes the earliest month not closed yet (or, sometimes, closes a closed month again):
    /// refused while the month has not ended, else written once and replayed after.
    func closeMonth() async throws {
        let first = try BillingMonth(containingLedgerTime: Self.start)
        var month = first
        while closedMonths[month] != nil, let next = BillingMonth(ordinal: month.ordinal + 1) { month = next }
        if !closedMonths.isEmpty && chance(25) { month = closedMonths.keys.sorted()[random(0...(closedMonths.count - 1))] }
        let ended = month.hasEnded(at: service.clock.now())
        let result: Result<PeriodCloseOutcome, ServiceError>
        do throws(ServiceError) { result = .success(try await service.closePeriod(month, checkpoint: nil)) } catch { result = .failure(error) }
        switch result {
        case .success(let outcome):
            note("close \(month): \(outcome.invoices.count) document(s)\(outcome.receipt.isReplay ? " (replay)" : "")")
            guard ended else { throw SimulationFailure("\(month) was closed before it ended") }
            if let known = closedMonths[month] {
                if !outcome.receipt.isReplay || outcome.invoices != known { throw SimulationFailure("closing \(month) again did not answer the same documents") }
            } else {
                if outcome.receipt.isReplay { throw SimulationFailure("the first close of \(month) answered a replay") }
                closedMonths[month] = outcome.invoices
                statistics.closes += 1
            }
            statistics.acknowledged += 1
        case .failure(.domain(let refusal)):
            note("close \(month): refused \(refusal.code)")
            guard !ended, refusal.code == "period_not_ended" else {
                throw SimulationFailure("closing \(month) (ended: \(ended)) was refused: \(refusal.code) \(refusal.message)")
            }
            statistics.refused += 1
        case .failure(.ledger(let failure)):
            note("close \(month): ledger failed: \(failure)")
            try await poison(.close(month), what: "close \(month)", error: failure)
        }
    }

    func retryExisting() async throws {
        guard !grants.isEmpty else { return try await grant() }
        let orderID = grants.keys.sorted()[random(0...(grants.count - 1))]
        let model = grants[orderID]!
        let command = GrantPointsCommand(merchantID: Self.merchant, orderID: orderID, recipient: .member(model.member), scenarioID: model.scenario, points: model.points)
        let outcome = await execute { domain, now throws(DomainError) in try domain.decide(command, now: now) }
        if case .written(let receipt) = outcome, !receipt.isReplay { throw SimulationFailure("resending acknowledged grant \(orderID) wrote a new record") }
        _ = try await settle(outcome, expect: nil, what: "resend grant \(orderID)", pending: .grants([command]))
    }

}
