#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PointCrypto
import PointJSON
import PointLedger

/// `pointconnect bench …`: throughput figures, each printed beside a baseline measured in the same run.
enum BenchCommand {
    static func run(_ options: CommandLineOptions) async throws -> Int32 {
        guard let what = options.positional.first else { throw UsageError("bench needs a target: ledger, verify, core, http or settle") }
        switch what {
        case "ledger": return try await ledgerAppend(options)
        case "verify": return try await verify(options)
        case "core": return try CoreBenchmark.run(options)
        case "http": return try HTTPBenchmark.run(options)
        case "settle": return try await SettlementBenchmark.run(options)
        default: throw UsageError("unknown bench target \"\(what)\"")
        }
    }

    /// A ~370-byte grant-like record, its canonical data written straight to bytes the way the
    /// service writes `grant.issued` (the ledger checks them as it would any caller's).
    static func benchEntry(_ index: Int, time: Int64) -> LedgerEntry {
        let data = #"{"environment":"production","lineUserId":"U0123456789abcdef0123456789abcdef","memberId":"member-\#(index % 10_007)","#
            + #""merchantId":"M0000001","orderId":"bench-order-\#(index)","points":\#(index % 500 + 1),"scenarioId":"S000001","unitPriceTenths":11}"#
        return LedgerEntry(type: "grant.created", canonicalData: Array(data.utf8), time: time)
    }

    static func scratchDirectory(_ options: CommandLineOptions, _ label: String) -> String {
        if let given = options.value("data-dir") { return given }
        return "/var/tmp/pointconnect-bench-\(label)-\(getpid())"
    }

    static func nowMicros() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }

    /// Group-committed appends from many concurrent appenders vs. one fdatasync per record.
    static func ledgerAppend(_ options: CommandLineOptions) async throws -> Int32 {
        let records = try options.integer("records", default: 200_000, range: 1_000...10_000_000)
        let appenders = try options.integer("appenders", default: 64, range: 1...4_096)
        guard records >= appenders else { throw UsageError("--records \(records) is fewer than --appenders \(appenders): each appender needs a record") }
        let baselineRecords = try options.integer("baseline-records", default: 3_000, range: 100...1_000_000)
        let directory = scratchDirectory(options, "append")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)

        // Baseline: the serial physical limit, one write + one fdatasync per record.
        var line: [UInt8] = []
        LedgerRecordFormat.encodeLine(seq: 1, entry: benchEntry(1, time: nowMicros()), prev: .zero, into: &line)
        let baselineRate = try LedgerAppendBaselines.writeAndSync(recordsPerSync: 1, lineBytes: line.count + 1, syncs: baselineRecords,
                                                                  path: directory + "/baseline.jsonl").recordsPerSecond

        let statistics = CommitCounter()
        let groupWait = try options.integer("group-wait-us", default: LedgerOptions().groupCommitWaitMicros, range: 0...10_000)
        let ledger = try Ledger.open(directory: directory + "/ledger", options: LedgerOptions(groupCommitWaitMicros: groupWait),
                                     commitObserver: { statistics.add($0) })
        let perAppender = records / appenders
        let start = MonotonicClock.micros()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for appender in 0..<appenders {
                group.addTask {
                    for round in 0..<perAppender {
                        _ = try await ledger.append(benchEntry(appender * perAppender + round, time: nowMicros()))
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = Double(MonotonicClock.micros() - start) / 1e6
        ledger.close()
        let total = perAppender * appenders
        let rate = Double(total) / seconds
        let bytes = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/ledger"))?
            .compactMap { try? FileManager.default.attributesOfItem(atPath: directory + "/ledger/" + $0)[.size] as? Int }
            .reduce(0, +) ?? 0
        let snapshot = statistics.snapshot()
        print("durable appends: \(total) records of ~\(bytes / max(total, 1)) bytes, \(appenders) concurrent appenders")
        print(String(format: "  group commit:        %10.0f records/s  (%.2f s, %d fdatasyncs, %.1f records per sync, mean sync %.0f µs)",
                     rate, seconds, snapshot.batches, Double(snapshot.records) / Double(max(snapshot.batches, 1)),
                     Double(snapshot.syncMicros) / Double(max(snapshot.batches, 1))))
        print(String(format: "  baseline (1 fdatasync per record): %10.0f records/s  (%d records)", baselineRate, baselineRecords))
        print(String(format: "  ratio: %.1fx the serial fdatasync limit", rate / baselineRate))

        // What N appenders with one record in flight each allow at all on this disk and machine.
        let lineBytes = max(bytes / max(total, 1), 1)
        // 1,000 syncs, or fewer so that the ceiling writes at most 256 MiB.
        let ceilingSyncs = max(20, min(1_000, (256 << 20) / max(appenders * lineBytes, 1)))
        let ceiling = try LedgerAppendBaselines.writeAndSync(recordsPerSync: appenders, lineBytes: lineBytes, syncs: ceilingSyncs,
                                                             path: directory + "/ceiling.bin")
        let bare = try await LedgerAppendBaselines.bareGroupCommit(appenders: appenders, records: total, lineBytes: lineBytes,
                                                                   gatherAll: false, path: directory + "/bare.bin")
        let bareGathering = try await LedgerAppendBaselines.bareGroupCommit(appenders: appenders, records: total, lineBytes: lineBytes,
                                                                            gatherAll: true, path: directory + "/bare-all.bin")
        print("limits for \(appenders) appenders with one record in flight each (same disk, same run):")
        print(String(format: "  ceiling, %d records per write+fdatasync back to back: %10.0f records/s  (mean sync %.0f µs)",
                     appenders, ceiling.recordsPerSecond, ceiling.meanSyncMicros))
        print(String(format: "  bare group commit, no record work, taking what is queued: %10.0f records/s  (%.1f per sync, mean sync %.0f µs)",
                     bare.recordsPerSecond, bare.recordsPerSync, bare.meanSyncMicros))
        print(String(format: "  bare group commit, no record work, gathering all %d:      %10.0f records/s  (%.1f per sync, mean sync %.0f µs)",
                     appenders, bareGathering.recordsPerSecond, bareGathering.recordsPerSync, bareGathering.meanSyncMicros))
        let floor = max(bare.recordsPerSecond, bareGathering.recordsPerSecond)
        print(String(format: "  ratio: %.2fx the faster bare group commit, %.2fx the ceiling", rate / floor, rate / ceiling.recordsPerSecond))
        return 0
    }

    /// Builds a ledger of N records, then times a full streaming verification.
    static func verify(_ options: CommandLineOptions) async throws -> Int32 {
        let records = try options.integer("records", default: 1_000_000, range: 1_000...100_000_000)
        let directory = scratchDirectory(options, "verify")
        defer { if options.value("data-dir") == nil { try? FileManager.default.removeItem(atPath: directory) } }
        let ledgerPath = directory + "/ledger"
        let existing = (try? SegmentDirectory.list(ledgerPath, fileSystem: PosixFileSystem()))?.isEmpty == false
        if !existing {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let ledger = try Ledger.open(directory: ledgerPath)
            let started = nowMicros()
            var next = 0
            while next < records {
                let count = min(10_000, records - next)
                let appended = try ledger.enqueue((next..<(next + count)).map { benchEntry($0, time: started + Int64($0)) })
                next += count
                if next % 200_000 == 0 || next == records, let last = appended.last { try await ledger.waitUntilDurable(last.seq) }
            }
            ledger.close()
        }
        let start = MonotonicClock.micros()
        let report = try LedgerVerification.verify(dataDirectory: directory, publicKey: nil, progress: nil)
        let seconds = Double(MonotonicClock.micros() - start) / 1e6
        let bytes = Double(report.bytes)
        print("verify: \(report.records) records, \(report.segments) segments, \(Int(bytes / 1_048_576)) MiB")
        print(String(format: "  chain + Merkle root + checkpoints: %10.0f records/s  (%.2f s, %.0f MiB/s)",
                     Double(report.records) / seconds, seconds, bytes / 1_048_576 / seconds))
        let rss = ResidentMemory.currentBytes()
        print("  resident memory after verify: \(rss / 1_048_576) MiB")
        let baseline = try hashFilesOnce(ledgerPath)
        print(String(format: "  baseline (read every segment and SHA-256 it once, 1 MiB reads): %.2f s, %.0f MiB/s",
                     baseline, bytes / 1_048_576 / baseline))
        print(String(format: "  ratio: verify runs at %.2f× the speed of one plain hashing pass over the same bytes", baseline / seconds))
        return 0
    }

    /// The physical floor of verification: read each segment file once and hash its bytes once
    /// (verification hashes every line twice: the chain hash and the leaf hash).
    static func hashFilesOnce(_ ledgerPath: String) throws -> Double {
        let names = try SegmentDirectory.list(ledgerPath, fileSystem: PosixFileSystem())
        let start = MonotonicClock.micros()
        var hasher = SHA256Hasher()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for segment in names {
            let descriptor = Glibc.open(segment.path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw UsageError("cannot open \(segment.path)") }
            defer { Glibc.close(descriptor) }
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            }
        }
        _ = hasher.finalize()
        return Double(MonotonicClock.micros() - start) / 1e6
    }
}

/// Totals of group commits, updated from the writer thread.
final class CommitCounter: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var batches = 0
    private var records = 0
    private var syncMicros: Int64 = 0

    func add(_ commit: CommitStatistics) {
        lock.lock()
        batches += 1
        records += commit.records
        syncMicros += commit.syncMicros
        lock.unlock()
    }

    func snapshot() -> (batches: Int, records: Int, syncMicros: Int64) {
        lock.lock()
        defer { lock.unlock() }
        return (batches, records, syncMicros)
    }
}

/// Resident set size from /proc/self/statm.
enum ResidentMemory {
    static func currentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
