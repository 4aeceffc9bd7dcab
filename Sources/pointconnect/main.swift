#if canImport(Glibc)
import Glibc
#endif

/// Entry point: `pointconnect <command> [options]`.
let usage = """
usage: pointconnect <command> [options]

commands:
  sandbox [--host 127.0.0.1] [--port 8080 | --unix-socket PATH] [--event-loops N] [--data-dir sandbox/data] [--defaults sandbox/sandbox.json] [--now TIME]
                       run the API with the sandbox's test merchants, scenarios and staff keys
  serve --data-dir DIR [--host 0.0.0.0] [--port 8080 | --unix-socket PATH] [--event-loops N] [--jwks FILE] [--trusted-proxies CIDR,...]
                       run the API in production mode (credentials from DIR/keys, system clock)
  credentials issue --data-dir DIR --key-id ID --role reviewer|finance|auditor
  credentials list --data-dir DIR
                       staff keys in the data directory's vault (secrets are never printed by list)
  ledger verify --data-dir DIR [--public-key FILE]
                       recompute the hash chain, the Merkle root and every checkpoint signature
  ledger checkpoint --data-dir DIR [--origin ORIGIN]
                       sign and store a checkpoint of every record now (service stopped); print it
  ledger cut --data-dir DIR --from-seq N
                       after a power loss, cut the commit it left unfinished off the newest segment
                       (service stopped; only records no checkpoint covers; a copy is kept)
  bench ledger [--records N] [--appenders N] [--data-dir DIR]
                       durable append throughput with concurrent appenders, beside one fdatasync per record,
                       N records per fdatasync and a bare group commit with no record work
  bench verify [--records N] [--data-dir DIR]
                       build a ledger of N records, then time a full verification
  bench core [--grants N] [--users N]
                       in-memory grant decisions per second and bytes per grant, beside a Dictionary baseline
  bench http [--url http://127.0.0.1:8080] [--unix-socket PATH] [--connections 64] [--duration 10] [--warmup 2] [--mode closed|open]
             [--rate N] [--batch 0|N] [--members 2000] [--defaults sandbox/sandbox.json] [--server-pid PID] [--json]
                       signed grant load against a running API over keep-alive connections: requests/s, grants/s,
                       statuses, latency p50…max (open loop: from the scheduled send time)
  bench settle [--grants 1000000] [--members 100000] [--data-dir DIR]
                       close October 2026 with N grants through the service, then settle it from the files, beside baselines
  settle --data-dir DIR --month YYYY-MM [--merchant ID]
                       recompute a month's invoices from the ledger files and compare them with the
                       issued ones (exit 1 on any difference); an open month prints its drafts
  audit export --data-dir DIR [--merchant ID] [--member ID] [--line-user U…] [--type grant.issued,…] [--month YYYY-MM]
               [--format jsonl|csv]
                       stream the ledger records the filter keeps (read-only, files alone)
  audit compliance --data-dir DIR --month YYYY-MM [--merchant ID] [--json]
                       revocations by reason, findings, evidence completeness, share of grants per scenario, outliers
  audit trace --data-dir DIR (--invoice PC-YYYY-NNNNNN [--line N] | --order ORDER --merchant ID) [--public-key FILE] [--json]
                       the events behind an invoice line; or a grant's record, inclusion proof and invoice
  sign --key-id ID (--secret S | --secret-env VAR) --method M --path P [--query Q] [--body JSON | --body-file FILE]
       [--nonce N] [--curl]
                       print the X-LINE-* signature headers for one request
  help                 this text
"""

/// The part of the usage text about `command` (its lines and their continuations), or all of
/// it for a command it does not name.
func usage(of command: String) -> String {
    var lines: [Substring] = []
    var inBlock = false
    for line in usage.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.hasPrefix("  ") && !line.hasPrefix("   ") {
            inBlock = line.dropFirst(2).split(separator: " ").first.map(String.init) == command
        }
        if inBlock && line.hasPrefix("  ") { lines.append(line) }
    }
    guard !lines.isEmpty else { return usage }
    return "usage: pointconnect \(command) [options]\n\n" + lines.joined(separator: "\n") + "\n\n(pointconnect help lists every command)"
}

/// The options each command takes (over all its subcommands).
let acceptedOptions: [String: Set<String>] = [
    "sandbox": ["host", "port", "unix-socket", "event-loops", "data-dir", "defaults", "now"],
    // `now` only to refuse it with its own reason (production runs on the system clock).
    "serve": ["data-dir", "host", "port", "unix-socket", "event-loops", "jwks", "trusted-proxies", "now"],
    "credentials": ["data-dir", "key-id", "role"],
    "ledger": ["data-dir", "public-key", "origin", "from-seq"],
    "bench": ["records", "appenders", "data-dir", "baseline-records", "group-wait-us", "grants", "users", "members", "url", "unix-socket",
              "connections", "client-threads", "duration", "warmup", "mode", "rate", "batch", "defaults", "server-pid", "json", "error-samples",
              "merchant", "points", "run-id", "scenario"],
    "settle": ["data-dir", "month", "merchant"],
    "audit": ["data-dir", "format", "invoice", "json", "line", "line-user", "member", "merchant", "month", "order", "public-key", "type"],
    "sign": ["key-id", "secret", "secret-env", "method", "path", "query", "body", "body-file", "nonce", "curl"],
]

func run(_ arguments: [String]) async -> Int32 {
    guard arguments.count >= 2 else {
        print(usage)
        return 2
    }
    do {
        let options = try CommandLineOptions(arguments.dropFirst(2))
        if options.flag("help") {
            print(usage(of: arguments[1]))
            return 0
        }
        if let accepted = acceptedOptions[arguments[1]] {
            try options.refuseUnknown(for: arguments[1], accepted: accepted)
        }
        switch arguments[1] {
        case "sandbox":
            return try await ServeCommand.runSandbox(options)
        case "serve":
            return try await ServeCommand.runProduction(options)
        case "credentials":
            return try CredentialsCommand.run(options)
        case "ledger":
            return try await LedgerCommand.run(options)
        case "bench":
            return try await BenchCommand.run(options)
        case "settle":
            return try SettleCommand.run(options)
        case "audit":
            return try AuditCommand.run(options)
        case "sign":
            return try SignCommand.run(options)
        case "help", "--help", "-h":
            print(usage)
            return 0
        default:
            throw UsageError("unknown command \"\(arguments[1])\"")
        }
    } catch let error as UsageError {
        FileHandleOutput.standardError("pointconnect: \(error.message)\n\n\(usage(of: arguments[1]))\n")
        return 2
    } catch {
        FileHandleOutput.standardError("pointconnect: \(error)\n")
        return 1
    }
}

exit(await run(CommandLine.arguments))
