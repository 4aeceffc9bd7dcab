import PointAPI
import PointCore
import PointJSON

/// `pointconnect audit export | compliance | trace`: the auditor's toolkit over the ledger files
/// alone (read-only; a running service is fine). The logic is ``AuditLedgerReader``.
enum AuditCommand {
    static func run(_ options: CommandLineOptions) throws -> Int32 {
        guard let what = options.positional.first else { throw UsageError("audit needs a subcommand: export, compliance or trace") }
        let dataDirectory = try options.required("data-dir")
        do {
            switch what {
            case "export": return try export(options, dataDirectory)
            case "compliance": return try compliance(options, dataDirectory)
            case "trace": return try trace(options, dataDirectory)
            default: throw UsageError("unknown audit subcommand \"\(what)\"")
            }
        } catch let error as AuditLedgerReader.Failure {
            FileHandleOutput.standardError("audit \(what) FAILED: \(error)\n")
            return 1
        }
    }

    static func month(_ text: String) throws(UsageError) -> BillingMonth {
        do throws(BillingError) { return try BillingMonth(parsing: text) } catch { throw UsageError("--month: \(error)") }
    }

    static func export(_ options: CommandLineOptions, _ dataDirectory: String) throws -> Int32 {
        var filter = LedgerExportFilter(merchantID: options.value("merchant"), memberID: options.value("member"),
                                        lineUserID: options.value("line-user"))
        if let types = options.value("type") {
            let list = types.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if let problem = LedgerExportFilter.problem(withTypes: list) { throw UsageError("--type \(problem)") }
            filter.types = Set(list)
        }
        if let text = options.value("month") { filter.month = try month(text) }
        guard let format = AuditLedgerReader.ExportFormat(rawValue: options.value("format") ?? "jsonl") else {
            throw UsageError("--format must be jsonl or csv")
        }
        var buffer = ""
        let summary = try AuditLedgerReader.export(dataDirectory: dataDirectory, filter: filter, format: format) { text in
            buffer += text
            if buffer.utf8.count >= 1 << 16 {
                FileHandleOutput.standardOutput(buffer)
                buffer = ""
            }
        }
        FileHandleOutput.standardOutput(buffer)
        FileHandleOutput.standardError("audit export: \(summary.records) records\n")
        if let merchant = filter.merchantID, !summary.merchantFound {
            // A mistyped merchant ID must not look like a clean, empty result.
            FileHandleOutput.standardError("audit export: no merchant \(merchant) is registered in this ledger; check --merchant\n")
            return 1
        }
        return 0
    }

    static func compliance(_ options: CommandLineOptions, _ dataDirectory: String) throws -> Int32 {
        let period = try month(try options.required("month"))
        let reports = try AuditLedgerReader.compliance(dataDirectory: dataDirectory, month: period, merchantID: options.value("merchant"))
        if options.flag("json") {
            print(CanonicalJSON.string(["month": .string(period.description), "reports": .array(reports.map(\.json)),
                                        "outlierRule": .string(RevocationCompliance.ruleText)]))
            return 0
        }
        if reports.isEmpty { print("\(period): no merchant granted or revoked points") }
        for report in reports { for line in report.lines { print(line) } }
        print("outlier rule: \(RevocationCompliance.ruleText)")
        return 0
    }

    static func trace(_ options: CommandLineOptions, _ dataDirectory: String) throws -> Int32 {
        if let text = options.value("invoice") {
            let number: InvoiceNumber
            do throws(BillingError) { number = try InvoiceNumber(parsing: text) } catch { throw UsageError("--invoice: \(error)") }
            let line = try options.value("line").map { text -> Int in
                guard let line = Int(text), line >= 1 else { throw UsageError("--line must be a line number from 1") }
                return line
            }
            let results = try AuditLedgerReader.traceInvoice(dataDirectory: dataDirectory, number: number, lineNumber: line)
            if options.flag("json") {
                print(CanonicalJSON.string(.array(results.map(\.json))))
            } else {
                for result in results {
                    print("\(number) line \(result.lineNumber) (\(result.line.type.rawValue)): \(result.line.quantity) × \(result.line.unitPriceTenths) tenths = \(result.line.netAmount); \(result.span.summary)\(result.line.cites.map { "; cites \($0)" } ?? "")")
                    for event in result.events {
                        print("  seq \(event.seq) \(CivilTime.formatUTC(event.time)) \(event.type) \(event.id)\(event.id == event.orderID ? "" : " (order \(event.orderID))") \(event.points) points")
                    }
                    print("  \(result.complete ? "complete" : "INCOMPLETE"): \(result.events.count) of \(result.span.count) events, \(result.points) of \(result.line.quantity) points")
                }
            }
            return results.allSatisfy(\.complete) ? 0 : 1
        }
        guard let order = options.value("order") else { throw UsageError("trace needs --invoice PC-YYYY-NNNNNN [--line N] or --order ORDER --merchant ID") }
        let merchant = try options.required("merchant")
        let trace = try AuditLedgerReader.traceGrant(dataDirectory: dataDirectory, merchantID: merchant, orderID: order,
                                                     publicKeyPath: options.value("public-key"))
        if options.flag("json") {
            print(CanonicalJSON.string(trace.json))
        } else {
            let grant = trace.grant
            print("grant \(grant.orderID) of merchant \(grant.merchantID): \(grant.points) points to member \(grant.memberID) (\(grant.lineUserID)) under \(grant.scenarioID), \(grant.revokedPoints) revoked")
            print("  record: seq \(trace.record.seq) at \(CivilTime.formatUTC(trace.record.time)), leaf hash \(trace.record.leafHash.hex)")
            print("  line:   \(String(decoding: trace.record.line, as: UTF8.self))")
            if let proof = trace.proof {
                let signature = proof.signatureVerified.map { $0 ? "signature verified" : "SIGNATURE DOES NOT VERIFY" } ?? "signature not checked (no public key)"
                print("  inclusion proof in the checkpoint of tree size \(proof.checkpoint.size), root \(proof.checkpoint.checkpoint.root.hex) (\(signature)):")
                for hash in proof.path { print("    \(hash.hex)") }
                print("  proof \(trace.proofVerifies ? "verifies" : "DOES NOT VERIFY") against the signed root\(proof.recomputedRoot.map { $0 == proof.checkpoint.checkpoint.root ? "; the records recompute the same root" : "; THE RECORDS GIVE ANOTHER ROOT \($0.hex)" } ?? "")")
            } else {
                print("  no inclusion proof: \(trace.proofNote ?? "")")
            }
            if let billing = trace.billing {
                if let document = billing.document, let line = billing.lineNumber {
                    print("  billed on \(document.displayNumber) (\(billing.period)) line \(line): \(document.lines[line - 1].referenceSummary)")
                } else {
                    print("  billing: \(billing.note ?? "")")
                }
            }
            for (revocation, billedOn, monthClosed) in trace.revocations {
                let billing = billedOn.map { ", billed on \($0)" }
                    ?? (monthClosed ? ", on no document (sandbox activity, or a grant never invoiced)" : ", period not closed")
                print("  revocation \(revocation.revocationID): \(revocation.points) points (\(revocation.reason.rawValue)) at seq \(revocation.seq)\(revocation.finding.map { ", finding standing: \($0.note)" } ?? "")\(billing)")
            }
        }
        // 1 when the ledger contradicts its checkpoint (a forged or failing signature, another
        // root, a proof that fails, records missing); a grant not covered yet is no failure.
        return trace.isConsistent ? 0 : 1
    }
}
