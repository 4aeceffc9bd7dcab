import PointCrypto
import PointLedger

/// `pointconnect ledger …`: offline tools over a data directory.
enum LedgerCommand {
    static func run(_ options: CommandLineOptions) async throws -> Int32 {
        guard let what = options.positional.first else { throw UsageError("ledger needs a subcommand: verify") }
        switch what {
        case "verify": return try verify(options)
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
                print("  last checkpoint: tree size \(size); \(report.checkpointsVerified) checkpoint signatures verified")
            } else {
                print("  last checkpoint: none")
            }
            if let torn = report.tornTail {
                print("  note: \(torn.file) ends with an incomplete line at byte \(torn.offset) (\(torn.bytes) bytes): a write in progress or an unrecovered crash; it was never acknowledged and is dropped when the service next opens the ledger")
            }
            return 0
        } catch {
            bar.finish()
            FileHandleOutput.standardError("ledger verification FAILED: \(error)\n")
            return 1
        }
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
        let mebibytes = Double(bytes) / 1_048_576
        if isTerminal {
            let spinner = ["|", "/", "-", "\\"][Int(records / 65_536) % 4]
            FileHandleOutput.standardError("\r\(label) \(spinner) \(records) records, \(Int(mebibytes)) MiB   ")
        } else {
            FileHandleOutput.standardError("\(label): \(records) records, \(Int(mebibytes)) MiB\n")
        }
    }

    func finish() {
        if isTerminal { FileHandleOutput.standardError("\r\u{1B}[K") }
    }
}
