import Foundation
import PointCrypto
import PointLedger

/// `pointconnect ledger …`: offline tools over a data directory.
enum LedgerCommand {
    static func run(_ options: CommandLineOptions) async throws -> Int32 {
        guard let what = options.positional.first else { throw UsageError("ledger needs a subcommand: verify, checkpoint or cut") }
        switch what {
        case "verify": return try verify(options)
        case "checkpoint": return try await checkpoint(options)
        case "cut": return try cut(options)
        default: throw UsageError("unknown ledger subcommand \"\(what)\"")
        }
    }

    static func verify(_ options: CommandLineOptions) throws -> Int32 {
        let dataDirectory = try options.required("data-dir")
        var publicKey: Ed25519PublicKey?
        if let keyPath = options.value("public-key") {
            guard let pem = try? String(contentsOfFile: keyPath, encoding: .utf8) else { throw UsageError("cannot read --public-key \(keyPath)") }
            publicKey = try Ed25519PublicKey(pem: pem)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dataDirectory + "/ledger", isDirectory: &isDirectory), isDirectory.boolValue else {
            FileHandleOutput.standardError("ledger verify: no ledger in \(dataDirectory) (no \(dataDirectory)/ledger directory); give the --data-dir the service was started with\n")
            return 1
        }
        let bar = ProgressBar(label: "verifying")
        do {
            let report = try LedgerVerification.verify(dataDirectory: dataDirectory, publicKey: publicKey) { records, bytes in
                bar.update(records: records, bytes: bytes)
            }
            bar.finish()
            print("ledger verified: \(dataDirectory)")
            print("  records:         \(report.records)")
            print("  segments:        \(report.segments)")
            print("  bytes:           \(report.bytes)")
            print("  last seq:        \(report.lastSeq)")
            print("  merkle root:     \(report.root.hex)")
            if let size = report.lastCheckpointSize {
                print("  last checkpoint: tree size \(size); \(report.checkpointsVerified) checkpoint signatures and roots verified")
                if let note = report.lastCheckpointNote {
                    print(note.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))
                }
            } else {
                print("  last checkpoint: none")
            }
            if report.checkpointTornBytes > 0 {
                print("  note: checkpoints.jsonl ends with an incomplete line (\(report.checkpointTornBytes) bytes): an append in progress or interrupted; it was never acknowledged")
            }
            if let torn = report.tornTail {
                print("  note: \(torn.file) ends with a torn line at byte \(torn.offset) (\(torn.bytes) bytes; \(torn.reason)): a write in progress or an unrecovered crash; it was never acknowledged and is dropped when the service next opens the ledger")
            }
            return 0
        } catch {
            bar.finish()
            FileHandleOutput.standardError("ledger verification FAILED: \(error)\n")
            return 1
        }
    }
}

extension LedgerCommand {
    /// `ledger cut --data-dir DIR --from-seq S`: after a power loss, cuts the commit it left
    /// unfinished off the newest segment (see ``UnfinishedCommitCut``), keeping a copy.
    static func cut(_ options: CommandLineOptions) throws -> Int32 {
        let dataDirectory = try options.required("data-dir")
        guard let text = options.value("from-seq"), let seq = UInt64(text), seq > 0 else {
            throw UsageError("ledger cut needs --from-seq N: the seq of the first damaged record, as the service's refusal or `pointconnect ledger verify` names it")
        }
        do {
            let outcome = try UnfinishedCommitCut.cut(dataDirectory: dataDirectory, fromSeq: seq)
            print("cut \(outcome.bytes) bytes off \(outcome.segment) at byte \(outcome.offset): the records from seq \(seq) on, a commit the power loss left unfinished (never acknowledged)")
            print("a copy of the bytes cut is in \(outcome.copyPath)")
            print("next: pointconnect ledger verify --data-dir \(dataDirectory)")
            return 0
        } catch {
            FileHandleOutput.standardError("ledger cut: \(error)\n")
            return 1
        }
    }

    /// `ledger checkpoint --data-dir DIR [--origin O]`: signs and stores a checkpoint of every
    /// record now, then prints the signed note. The service must not be running (the data
    /// directory is locked while it is). Signs under the origin of the directory's checkpoints;
    /// `--origin` is for a directory without any, and must match when there are some.
    static func checkpoint(_ options: CommandLineOptions) async throws -> Int32 {
        let dataDirectory = try options.required("data-dir")
        var checkpointOptions = CheckpointOptions(automatic: false)
        guard let origin = try options.value("origin") ?? LedgerStore.checkpointOrigin(dataDirectory: dataDirectory) else {
            throw UsageError("""
                \(dataDirectory) has no checkpoint yet, so the log's origin is not known: pass --origin \
                pointconnect.production/ledger for a production directory (pointconnect serve) or \
                pointconnect.sandbox/ledger for a sandbox's (pointconnect sandbox)
                """)
        }
        checkpointOptions.origin = origin
        let store = try LedgerStore.open(dataDirectory: dataDirectory, checkpointOptions: checkpointOptions) { line in
            FileHandleOutput.standardError(line + "\n")
        }
        defer { store.close() }
        let signed = try await store.checkpoint()
        print(signed.note, terminator: "")
        return 0
    }
}

/// A progress bar on a terminal; plain progress lines otherwise.
final class ProgressBar {
    private let label: String
    private let isTerminal = FileHandleOutput.standardErrorIsTerminal
    private var lastPrinted: Int64 = 0

    init(label: String) { self.label = label }

    func update(records: UInt64, bytes: Int64) {
        let now = MonotonicClock.micros()
        guard now - lastPrinted > (isTerminal ? 100_000 : 2_000_000) else { return }
        lastPrinted = now
        if isTerminal {
            let spinner = ["|", "/", "-", "\\"][Int(records / 65_536) % 4]
            FileHandleOutput.standardError("\r\(label) \(spinner) \(records) records, \(Self.sizeText(bytes))   ")
        } else {
            FileHandleOutput.standardError("\(label): \(records) records, \(Self.sizeText(bytes))\n")
        }
    }

    /// Bytes read so far: KiB (rounded up) below one MiB, so a small ledger never reads as 0.
    static func sizeText(_ bytes: Int64) -> String {
        bytes < 1_048_576 ? "\((bytes + 1_023) / 1_024) KiB" : "\(bytes / 1_048_576) MiB"
    }

    func finish() {
        if isTerminal { FileHandleOutput.standardError("\r\u{1B}[K") }
    }
}
