#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PointAPI
import PointCore
import PointCrypto
import PointLedger

/// `pointconnect bench settle [--grants 1000000] [--members 100000] [--data-dir DIR]`: issue 5's two
/// settlement figures on a real ledger written through ``PointService``:
///
/// 1. closing October 2026 for one merchant with N grants (`closePeriod`, as the finance close
///    endpoint does), beside the pure ``SettlementBook`` close of the same grant count;
/// 2. `pointconnect settle`'s in-process path (``SettlementLedgerReader`` + ``SettlementAudit``)
///    over the closed ledger's files, beside a raw ``LedgerScanner`` pass that only counts records
///    and one SHA-256 pass over the segment files.
///
/// The October ledger is built once in `DIR/october` (reused when it exists); every run closes a
/// fresh copy of it in `DIR/run`, so the close is never an idempotent replay.
enum SettlementBenchmark {
    static let merchantID = "1650000001"
    static let sandboxChannel = "2000000001"
    static let productionChannel = "2000000002"
    static let october = CivilTime.parseRFC3339("2026-10-15T10:00:00+08:00") ?? 0
    static let november2 = CivilTime.parseRFC3339("2026-11-02T09:00:00+08:00") ?? 0
    static let closeTarget = 2.0
    static let settleTarget = 1_000_000.0

    static func run(_ options: CommandLineOptions) async throws -> Int32 {
        let grants = try options.integer("grants", default: 1_000_000, range: 1_000...20_000_000)
        let members = try options.integer("members", default: 100_000, range: 1...5_000_000)
        let directory = BenchCommand.scratchDirectory(options, "settle")
        defer { if options.value("data-dir") == nil { try? FileManager.default.removeItem(atPath: directory) } }
        let month = try BillingMonth(parsing: "2026-10")
        let baseDirectory = directory + "/october"
        let runDirectory = directory + "/run"

        printMachine()

        // The October ledger: built through the service, or reused.
        let existing = (try? SegmentDirectory.list(baseDirectory + "/ledger", fileSystem: PosixFileSystem()))?.isEmpty == false
        if existing {
            print("ledger: reusing \(baseDirectory) (--grants/--members apply only when it is built)")
        } else {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try await build(baseDirectory, grants: grants, members: members)
        }

        // A fresh copy to close, so reruns over a reused ledger close for real.
        try? FileManager.default.removeItem(atPath: runDirectory)
        let copyStart = MonotonicClock.micros()
        try FileManager.default.copyItem(atPath: baseDirectory, toPath: runDirectory)
        print(String(format: "copy:    %@ → %@ (%.1f s; the close writes to the copy)", baseDirectory, runDirectory, seconds(since: copyStart)))

        // Reopen in November: the replay of every record into the domain and the settlement.
        let openStart = MonotonicClock.micros()
        let openCPU = cpuSeconds()
        let service: PointService
        do throws(ServiceError) {
            service = try PointService.open(dataDirectory: runDirectory, clock: .starting(at: november2))
        } catch {
            throw UsageError("reopening \(runDirectory) failed: \(error)")
        }
        let openSeconds = seconds(since: openStart)
        let openCPUSeconds = cpuSeconds() - openCPU
        let records = service.ledger.durableSeq
        let grantCount = service.read { $0.grantCount }
        print(String(format: "replay:  reopened at 2026-11-02 09:00 +08:00: %llu records (%d grants) in %.2f s = %.0f records/s (CPU %.2f s); resident %d MiB",
                     records, grantCount, openSeconds, Double(records) / openSeconds, openCPUSeconds, ResidentMemory.currentBytes() / 1_048_576))

        // (a) The close, as POST /v1/finance/periods/2026-10/close does it: the month's records
        // durable, sign a checkpoint, close.
        let checkpointStart = MonotonicClock.micros()
        if let lastBillable = service.lastSeqBillable(closing: month) { try await service.ledger.waitUntilDurable(lastBillable) }
        let signed = try await service.store.checkpoint()
        let checkpointSeconds = seconds(since: checkpointStart)
        let checkpoint = InvoiceCheckpoint(treeSize: signed.checkpoint.size, rootHash: signed.checkpoint.root.hex)
        let closeStart = MonotonicClock.micros()
        let outcome: PeriodCloseOutcome
        do throws(ServiceError) {
            outcome = try await service.closePeriod(month, checkpoint: checkpoint)
        } catch {
            service.close()
            throw UsageError("closing 2026-10 failed: \(error)")
        }
        let closeSeconds = seconds(since: closeStart)
        let written = service.ledger.durableSeq - records
        service.close()
        if outcome.receipt.isReplay {
            print("close:   FAILED — 2026-10 was already closed in \(baseDirectory); delete it to rebuild")
            return 1
        }
        let billed = outcome.invoices.first { $0.merchantID == merchantID }
        let grantLine = billed?.lines.first { $0.type == .pointsGranted }
        let billedGrants = grantLine?.events?.count ?? 0
        print(String(format: "(a) close 2026-10 through PointService.closePeriod: %.3f s = %.0f grants/s  (%d invoice(s), %llu records written; target ≤ %.0f s: %@)",
                     closeSeconds, Double(grantCount) / closeSeconds, outcome.invoices.count, written, closeTarget,
                     closeSeconds <= closeTarget ? "met" : "MISSED"))
        print(String(format: "    checkpoint signed before the close (treeSize %llu): %.3f s", signed.checkpoint.size, checkpointSeconds))
        for invoice in outcome.invoices { print("    " + SettlementAudit.summary(invoice)) }
        print("    points_granted line: \(grantLine?.quantity ?? 0) points over \(billedGrants) grant events"
            + (billedGrants == Int64(grantCount) ? " (every grant billed)" : " — MISMATCH: \(grantCount) grants in the ledger"))

        let book = try bookBaseline(grants: grantCount, month: month)
        print(String(format: "    baseline: pure SettlementBook, %d grants: feed %.3f s (%.0f grants/s), close %.3f ms", grantCount,
                     book.feedSeconds, Double(grantCount) / book.feedSeconds, book.closeSeconds * 1e3))
        print(String(format: "    ratio: the service close takes %.0f× the pure book close, %.3f× the book's feed + close "
                     + "(the service folds grants as they are written, so its close only issues)",
                     closeSeconds / book.closeSeconds, closeSeconds / (book.feedSeconds + book.closeSeconds)))

        // (b) pointconnect settle's path over the closed ledger's files.
        let foldStart = MonotonicClock.micros()
        let foldCPU = cpuSeconds()
        let folded: (replay: BillingReplay, settlement: SettlementFold, records: UInt64)
        do throws(SettlementLedgerReader.Failure) {
            folded = try SettlementLedgerReader.fold(dataDirectory: runDirectory)
        } catch {
            print("(b) settle FAILED: \(error)")
            return 1
        }
        let foldSeconds = seconds(since: foldStart)
        let reportStart = MonotonicClock.micros()
        let report = SettlementAudit.report(folded.settlement, month: month)
        let reportSeconds = seconds(since: reportStart)
        let settleSeconds = foldSeconds + reportSeconds
        let settleCPUSeconds = cpuSeconds() - foldCPU
        let settleRate = Double(folded.records) / settleSeconds
        print(String(format: "(b) settle --month 2026-10 from the files: %llu records in %.2f s = %.0f records/s  (fold %.2f s, compare %.3f s; target ≥ %.0f records/s: %@)",
                     folded.records, settleSeconds, settleRate, foldSeconds, reportSeconds, settleTarget,
                     settleRate >= settleTarget ? "met" : "MISSED"))
        print(String(format: "    CPU time %.2f s = %.0f records per CPU-second (a reader thread scans and hash-checks, the calling thread folds)",
                     settleCPUSeconds, Double(folded.records) / settleCPUSeconds))
        print("    reproduced exactly: \(report.reproduced ? "yes" : "NO") — \(report.lines.first ?? "")")
        if !report.reproduced { for line in report.lines.dropFirst() { print("    " + line) } }

        let scan = try rawScan(runDirectory + "/ledger")
        let hashSeconds = try BenchCommand.hashFilesOnce(runDirectory + "/ledger")
        let megabytes = Double(scan.bytes) / 1_048_576
        print(String(format: "    baseline: LedgerScanner pass counting records: %llu records, %.0f MiB in %.2f s = %.0f records/s (CPU %.2f s)",
                     scan.records, megabytes, scan.seconds, Double(scan.records) / scan.seconds, scan.cpu))
        print(String(format: "    baseline: one SHA-256 pass over the segment files (1 MiB reads): %.2f s = %.0f records/s, %.0f MiB/s",
                     hashSeconds, Double(scan.records) / hashSeconds, megabytes / hashSeconds))
        print(String(format: "    ratio: settle runs at %.2f× the raw scan's speed, %.2f× the hashing pass's",
                     scan.seconds / settleSeconds, hashSeconds / settleSeconds))
        print("load after: \(loadAverage())")
        return report.reproduced && billedGrants == Int64(grantCount) ? 0 : 1
    }

    // MARK: - Building October

    /// Registers a production merchant, approves a purchase_cashback scenario, binds `members`
    /// members and grants `grants` grants in batches of 1,000, all in October 2026.
    static func build(_ dataDirectory: String, grants: Int, members: Int) async throws {
        let service: PointService
        do throws(ServiceError) {
            service = try PointService.open(dataDirectory: dataDirectory, clock: .starting(at: october))
        } catch {
            throw UsageError("opening \(dataDirectory) failed: \(error)")
        }
        defer { service.close() }
        let register = RegisterMerchantCommand(merchantID: merchantID, name: "Settlement Bench Co.", taxID: "22099131",
                                               appliedOn: "2026-09-01", contractStartDate: "2026-10-01")
        _ = try await service.execute { domain, _ throws(DomainError) in try domain.decide(register) }
        let sandbox = OpenEnvironmentCommand(merchantID: merchantID, environment: .sandbox, officialAccountID: "@benchsandbox",
                                             loginChannelID: sandboxChannel, linkedLoginChannelID: sandboxChannel, allowedSources: ["127.0.0.1"])
        _ = try await service.execute { domain, _ throws(DomainError) in try domain.decide(sandbox) }
        let scenario = SubmitScenarioCommand(merchantID: merchantID, title: "Bench cashback", purpose: "purchase_cashback",
                                             description: "1 point per NT$100 spent", grantConditions: "every purchase",
                                             purchaseChannels: ["online_store"],
                                             caps: ScenarioCaps(maxPointsPerGrant: 10_000, maxPointsPerUserPerMonth: 1_000_000_000,
                                                                totalBudget: 1_000_000_000_000),
                                             activeFrom: "2026-01-01T00:00:00+08:00", activeUntil: "2030-01-01T00:00:00+08:00")
        _ = try await service.execute { domain, _ throws(DomainError) in try domain.decide(scenario) }
        guard let scenarioID = service.read({ $0.scenarios(merchantID: merchantID).first { $0.status == .submitted }?.id }) else {
            throw UsageError("the submitted scenario is missing")
        }
        _ = try await service.execute { domain, _ throws(DomainError) in
            try domain.decide(reviewOf: scenarioID, approve: true, note: "Approved for the settlement benchmark.")
        }
        // Production opens once a scenario is approved.
        let production = OpenEnvironmentCommand(merchantID: merchantID, environment: .production, officialAccountID: "@benchstore",
                                                loginChannelID: productionChannel, linkedLoginChannelID: productionChannel,
                                                allowedSources: ["127.0.0.1"],
                                                eligibility: .specialApproval(reference: "SA-BENCH-1", approvedBy: "bench settle"))
        _ = try await service.execute { domain, _ throws(DomainError) in try domain.decide(production) }

        // Members: concurrent binds so group commit shares the fdatasyncs.
        let bindStart = MonotonicClock.micros()
        let workers = 64
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    for member in stride(from: worker, to: members, by: workers) {
                        let login = VerifiedLineLogin(lineUserID: lineUser(member), audience: productionChannel)
                        _ = try await service.execute { domain, _ throws(DomainError) in
                            try domain.decide(bind: "member-\(member)", merchantID: merchantID, login: login)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        print(String(format: "build:   %d members bound in %.1f s", members, seconds(since: bindStart)))

        // Grants: batches of 1,000 (the API's maximum), a few in flight so durable waits overlap.
        let grantStart = MonotonicClock.micros()
        let batches = (grants + PointsDomain.maxBatchGrants - 1) / PointsDomain.maxBatchGrants
        let submitters = 4
        let refused = try await withThrowingTaskGroup(of: Int.self) { group in
            for submitter in 0..<submitters {
                group.addTask {
                    var refused = 0
                    for batch in stride(from: submitter, to: batches, by: submitters) {
                        let range = (batch * PointsDomain.maxBatchGrants)..<min(grants, (batch + 1) * PointsDomain.maxBatchGrants)
                        let commands = range.map { index in
                            GrantPointsCommand(merchantID: merchantID, orderID: "ORD-2026-10-\(index)", recipient: .member("member-\(index % members)"),
                                               scenarioID: scenarioID, points: index % 500 + 1)
                        }
                        for outcome in try await service.grantBatch(commands) {
                            if case .refused = outcome { refused += 1 }
                        }
                    }
                    return refused
                }
            }
            return try await group.reduce(0, +)
        }
        let grantSeconds = seconds(since: grantStart)
        print(String(format: "build:   %d grants in batches of %d through PointService.grantBatch in %.1f s = %.0f grants/s (%d refused)",
                     grants - refused, PointsDomain.maxBatchGrants, grantSeconds, Double(grants) / grantSeconds, refused))
        if refused > 0 { throw UsageError("\(refused) grants were refused while building the ledger") }
    }

    static func lineUser(_ number: Int) -> String {
        let hex = String(number, radix: 16)
        return "U" + String(repeating: "0", count: 32 - hex.count) + hex
    }

    // MARK: - Baselines

    /// The pure book: the same number of grants fed into a ``SettlementBook`` for the same
    /// merchant and month, then closed (as `BillingScaleTests` does).
    static func bookBaseline(grants: Int, month: BillingMonth) throws -> (feedSeconds: Double, closeSeconds: Double) {
        var book = SettlementBook()
        book.setProfile(MerchantBillingProfile(merchantID: merchantID, taxID: "22099131", merchantName: "Settlement Bench Co.",
                                               contractStart: month, unitPrice: try UnitPrice(tenths: 11)))
        let orderIDs = (0..<grants).map { "ORD-2026-10-\($0)" }
        let step = (month.endInstant - month.startInstant) / Int64(grants + 1)
        let feedStart = MonotonicClock.micros()
        for index in 0..<grants {
            try book.recordGrant(merchantID: merchantID, seq: UInt64(index + 1), orderID: orderIDs[index], points: Int64(index % 500 + 1),
                                 at: month.startInstant + Int64(index) * step)
        }
        let feedSeconds = seconds(since: feedStart)
        let closeStart = DispatchTime.now().uptimeNanoseconds
        let invoices = try book.close(month, now: november2)
        let closeSeconds = Double(DispatchTime.now().uptimeNanoseconds - closeStart) / 1e9
        guard invoices.first?.lines.first(where: { $0.type == .pointsGranted })?.events?.count == Int64(grants) else {
            throw UsageError("the baseline book did not bill every grant")
        }
        return (feedSeconds, closeSeconds)
    }

    /// A pass of the ledger scanner (framing, seq and chain checks) that only counts records.
    static func rawScan(_ ledgerPath: String) throws -> (records: UInt64, bytes: Int64, seconds: Double, cpu: Double) {
        var counted: UInt64 = 0
        let start = MonotonicClock.micros()
        let startCPU = cpuSeconds()
        let summary = try LedgerScanner(directory: ledgerPath).scan(repairTornTail: false) { (_: RecordView, _: RecordLocation) throws(LedgerError) in
            counted += 1
        }
        let elapsed = seconds(since: start)
        let cpu = cpuSeconds() - startCPU
        guard counted == summary.records else { throw UsageError("the scan counted \(counted) records, its summary \(summary.records)") }
        return (counted, summary.bytes, elapsed, cpu)
    }

    // MARK: - Machine

    static func printMachine() {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }?.trimmingCharacters(in: .whitespaces) ?? "unknown"
        let formatter = ISO8601DateFormatter()
        print("bench settle: \(formatter.string(from: Date())), \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) CPUs (\(model)), load \(loadAverage())")
    }

    static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    static func seconds(since start: Int64) -> Double { Double(MonotonicClock.micros() - start) / 1e6 }

    /// User + system CPU time of the whole process so far, in seconds (wall time on a shared
    /// machine includes waiting for a CPU; CPU time does not).
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
