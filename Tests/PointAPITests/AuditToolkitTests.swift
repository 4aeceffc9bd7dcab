import Foundation
import PointAPI
import PointCore
import PointCrypto
import PointHTTP
import PointJSON
import PointLedger
import Testing

/// The auditor's toolkit over a ledger written by the real service: October (FinanceFlowTests)
/// closed on 2 November, then a November revocation of an October grant and a November grant,
/// November closed on 2 December.
@Suite("Audit toolkit: export, compliance, trace, and the documented Python recipe")
struct AuditToolkitTests {
    static let december2 = CivilTime.parseRFC3339("2026-12-02T09:00:00+08:00") ?? 0
    static let merchantA = "1650000001"

    /// October and November closed; returns the directory (services stopped).
    static func twoClosedMonths() async throws -> String {
        let october = try await FinanceFlowTests.october()
        let directory = october.directory
        october.stop()
        let november = try await APIHarness(start: FinanceFlowTests.november2, directory: directory)
        #expect(await FinanceFlowTests.finance(november, .post, "/v1/finance/periods/2026-10/close").status == 201)
        let cashback = november.scenarioID(november.merchantA, purpose: "purchase_cashback")
        let revoked = await november.asMerchant(november.merchantA, .post, "/v1/grants/o-1/revocations", json: [
            "revocationId": "r-2", "points": 50, "reason": "purchase_cancelled",
            "evidence": ["cancellation": "return", "transactionReference": "TX-9"],
        ])
        #expect(revoked.status == 201, "\(revoked.body)")
        #expect(await november.asMerchant(november.merchantA, .post, "/v1/grants",
                                          json: APIFlowTests.grantBody("o-3", scenario: cashback, points: 300)).status == 201)
        november.stop()
        let december = try await APIHarness(start: Self.december2, directory: directory)
        let closed = await FinanceFlowTests.finance(december, .post, "/v1/finance/periods/2026-11/close")
        #expect(closed.status == 201, "\(closed.body)")
        december.stop()
        return directory
    }

    @Test("Invoice lines trace to their events; a grant traces to a proof that verifies and to the invoice that billed it")
    func traceFromFiles() async throws {
        let directory = try await Self.twoClosedMonths()
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let october = try AuditLedgerReader.traceInvoice(dataDirectory: directory, number: try InvoiceNumber(parsing: "PC-2026-000001"), lineNumber: nil)
        #expect(october.map(\.line.type) == [.pointsGranted, .revocationCredit])
        #expect(october.allSatisfy { $0.complete })
        #expect(october[0].events.map(\.id) == ["o-1", "o-2"])
        #expect(october[0].points == 1_200)
        #expect(october[1].events.map(\.id) == ["r-1"])
        #expect(october[1].events.first?.orderID == "o-1")

        let november = try AuditLedgerReader.traceInvoice(dataDirectory: directory, number: try InvoiceNumber(parsing: "PC-2026-000002"), lineNumber: 2)
        let credit = try #require(november.first)
        #expect(credit.line.type == .revocationCredit)
        #expect(credit.line.cites?.invoiceNumber?.description == "PC-2026-000001")
        #expect(credit.events.map(\.id) == ["r-2"] && credit.complete)
        #expect(throws: SettlementLedgerReader.Failure.self) {
            try AuditLedgerReader.traceInvoice(dataDirectory: directory, number: try InvoiceNumber(parsing: "PC-2026-000002"), lineNumber: 9)
        }

        let trace = try AuditLedgerReader.traceGrant(dataDirectory: directory, merchantID: Self.merchantA, orderID: "o-1")
        #expect(trace.grant.points == 1_000 && trace.grant.revokedPoints == 150)
        let proof = try #require(trace.proof)
        #expect(proof.signatureVerified == true)
        #expect(proof.recomputedRoot == proof.checkpoint.checkpoint.root)
        #expect(MerkleProof.verifyInclusion(leafHash: MerkleHashing.leafHash(trace.record.line), index: trace.record.seq - 1,
                                            size: proof.checkpoint.size, proof: proof.path, root: proof.checkpoint.checkpoint.root))
        #expect(trace.proofVerifies)
        #expect(trace.billing?.document?.number?.description == "PC-2026-000001")
        #expect(trace.billing?.lineNumber == 2)
        #expect(trace.revocations.map(\.revocation.revocationID) == ["r-1", "r-2"])
        #expect(trace.revocations.map { $0.billedOn?.invoiceNumber?.description } == ["PC-2026-000001", "PC-2026-000002"])
        // A proof for another record does not verify for this one.
        #expect(!MerkleProof.verifyInclusion(leafHash: MerkleHashing.leafHash(trace.record.line), index: trace.record.seq,
                                             size: proof.checkpoint.size, proof: proof.path, root: proof.checkpoint.checkpoint.root))
        #expect(throws: SettlementLedgerReader.Failure.self) {
            try AuditLedgerReader.traceGrant(dataDirectory: directory, merchantID: Self.merchantA, orderID: "o-404")
        }
    }

    @Test("Export from the files: filters, JSON lines re-derive the ledger lines, CSV quoting")
    func exportFromFiles() async throws {
        let directory = try await Self.twoClosedMonths()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var jsonl = ""
        let summary = try AuditLedgerReader.export(dataDirectory: directory, filter: LedgerExportFilter(merchantID: Self.merchantA, memberID: "m-1"),
                                                   format: .jsonl) { jsonl += $0 }
        let lines = jsonl.split(separator: "\n").map { try? JSONParser.parse(Array($0.utf8)) }
        #expect(summary.records == lines.count && summary.merchantFound)
        // A merchant the ledger never registered is said so (an empty export must not look clean).
        let unknown = try AuditLedgerReader.export(dataDirectory: directory, filter: LedgerExportFilter(merchantID: "165000002"),
                                                   format: .jsonl) { _ in }
        #expect(unknown.records == 0 && !unknown.merchantFound)
        #expect(lines.compactMap { $0?["type"]?.stringValue } == ["binding.created", "grant.issued", "grant.issued", "revocation.recorded",
                                                                  "revocation.recorded", "grant.issued"])
        // Each exported record re-derives its ledger line, whose leaf hash is the exported one.
        for case let record? in lines {
            let line = "{\"seq\":\(record["seq"]?.intValue ?? 0),\"time\":\"\(record["time"]?.stringValue ?? "")\",\"type\":\"\(record["type"]?.stringValue ?? "")\",\"prev\":\"\(record["prev"]?.stringValue ?? "")\",\"data\":\(CanonicalJSON.string(record["data"] ?? .null))}"
            #expect(MerkleHashing.leafHash(Array(line.utf8)).hex == record["leafHash"]?.stringValue)
        }
        var csv = ""
        try AuditLedgerReader.export(dataDirectory: directory, filter: LedgerExportFilter(types: ["revocation.recorded"], month: try BillingMonth(parsing: "2026-11")),
                                     format: .csv) { csv += $0 }
        let rows = csv.components(separatedBy: "\r\n")
        #expect(rows.first == LedgerExportCSV.header.joined(separator: ","))
        #expect(rows.count == 3 && rows[2].isEmpty)
        // The revocation's row names the member and LINE user of its grant, read from the files
        // alone (a first pass finds the grant), as the API's export does from the service's state.
        #expect(rows[1].contains(",1650000001,m-1,U00000000000000000000000000000001,o-1,r-2,50,purchase_cancelled,"), "\(rows[1])")
    }

    @Test("API: export pages with a cursor, compliance, grant trace with a verifiable proof; roles")
    func api() async throws {
        let directory = try await Self.twoClosedMonths()
        let api = try await APIHarness(start: Self.december2 + 3_600_000_000, directory: directory)
        defer { api.close() }
        let (auditorKey, auditorSecret) = api.staff("auditor")
        func audit(_ target: String) async -> APIHarness.Reply { await api.send(.get, target, key: auditorKey, secret: auditorSecret) }

        let first = await audit("/v1/audit/export?merchantId=\(Self.merchantA)&type=grant.issued&limit=2")
        #expect(first.status == 200, "\(first.body)")
        #expect(first.body["records"]?.arrayValue?.compactMap { $0["data"]?["orderId"]?.stringValue } == ["o-1", "o-2"])
        let next = try #require(first.body["nextFromSeq"]?.intValue)
        let second = await audit("/v1/audit/export?merchantId=\(Self.merchantA)&type=grant.issued&limit=2&fromSeq=\(next)")
        #expect(second.body["records"]?.arrayValue?.compactMap { $0["data"]?["orderId"]?.stringValue } == ["o-3"])
        #expect(second.body["nextFromSeq"]?.isNull == true)
        // A page that starts after the grant still finds the member's revocations.
        let revocations = await audit("/v1/audit/export?memberId=m-1&merchantId=\(Self.merchantA)&type=revocation.recorded&fromSeq=\(next)&format=csv")
        #expect(revocations.headers["Content-Type"] == "text/csv; charset=utf-8")
        let text = String(decoding: revocations.raw, as: UTF8.self)
        #expect(text.contains(",m-1,\(APIHarness.lineUser(1)),o-1,r-1,100,fraud,") && text.contains(",o-1,r-2,50,purchase_cancelled,"))
        #expect(await audit("/v1/audit/export?type=Bad%20Type").status == 400)
        // Typos are refused, never answered as an empty result.
        let mistypedType = await audit("/v1/audit/export?type=grant.issued,grant.isued")
        #expect(mistypedType.status == 400 && mistypedType.body["details"]?.arrayValue?.first?["property"]?.stringValue == "type")
        #expect(mistypedType.body["message"]?.stringValue?.contains("is not a record type: grant.isued; the record types are merchant.registered") == true,
                "\(mistypedType.body)")
        let mistypedMerchant = await audit("/v1/audit/export?merchantId=165000002")
        #expect(mistypedMerchant.status == 404 && mistypedMerchant.code == "merchant_not_found", "\(mistypedMerchant.body)")
        #expect(await audit("/v1/audit/export?limit=1001").status == 400)
        #expect(await audit("/v1/audit/export?format=xml").code == "unsupported_format")

        let compliance = await audit("/v1/audit/compliance?month=2026-10&merchantId=\(Self.merchantA)")
        #expect(compliance.status == 200, "\(compliance.body)")
        let report = try #require(compliance.body["reports"]?.arrayValue?.first)
        #expect(report["revocations"] == ["count": 1, "points": 100])
        #expect(report["scenarios"]?.arrayValue?.first?["granted"] == ["count": 2, "points": 1_200])
        #expect(report["scenarios"]?.arrayValue?.first?["sharePpm"] == .int(83_333))
        #expect(report["evidence"]?["complete"] == .int(1))
        let all = await audit("/v1/audit/compliance?month=2026-10")
        #expect(all.body["reports"]?.arrayValue?.compactMap { $0["merchantId"]?.stringValue } == [Self.merchantA, "1650000002"])
        #expect(await audit("/v1/audit/compliance?month=2026-10&merchantId=0000000000").code == "merchant_not_found")

        let trace = await audit("/v1/audit/trace?merchantId=\(Self.merchantA)&orderId=o-1")
        #expect(trace.status == 200, "\(trace.body)")
        let inclusion = try #require(trace.body["inclusion"])
        #expect(inclusion["verified"] == .bool(true))
        #expect(inclusion["checkpoint"]?["signatureVerified"] == .bool(true))
        let leaf = try #require(trace.body["record"]?["leafHash"]?.stringValue.flatMap { SHA256Digest(hex: $0) })
        let root = try #require(inclusion["rootHash"]?.stringValue.flatMap { SHA256Digest(hex: $0) })
        let path = inclusion["proof"]?.arrayValue?.compactMap { $0.stringValue.flatMap { SHA256Digest(hex: $0) } } ?? []
        let seq = UInt64(trace.body["grant"]?["seq"]?.intValue ?? 0)
        let size = UInt64(inclusion["treeSize"]?.intValue ?? 0)
        #expect(MerkleProof.verifyInclusion(leafHash: leaf, index: seq - 1, size: size, proof: path, root: root))
        #expect(trace.body["billedOn"]?["invoiceNumber"]?.stringValue == "PC-2026-000001")
        #expect(trace.body["billedOn"]?["lineNumber"] == .int(2))
        #expect(trace.body["revocations"]?.arrayValue?.count == 2)
        #expect(await audit("/v1/audit/trace?merchantId=\(Self.merchantA)&orderId=o-404").code == "grant_not_found")
        // Read-only: merchants are refused; finance and reviewers read.
        #expect(await api.asMerchant(api.merchantA, .get, "/v1/audit/trace?merchantId=\(Self.merchantA)&orderId=o-1").status == 403)
        let (reviewerKey, reviewerSecret) = api.staff("reviewer")
        #expect(await api.send(.get, "/v1/audit/compliance?month=2026-11", key: reviewerKey, secret: reviewerSecret).status == 200)
    }

    @Test("The Python recipe in docs/ledger-format.md recomputes the closed invoices and checks a receipt's proof",
          .enabled(if: ["/usr/bin/python3", "/usr/local/bin/python3"].contains { FileManager.default.isExecutableFile(atPath: $0) }, "needs python3"))
    func pythonRecipe() async throws {
        let directory = try await Self.twoClosedMonths()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        if let sample = ProcessInfo.processInfo.environment["AUDIT_LEDGER_SAMPLE"] {
            try? FileManager.default.removeItem(atPath: sample)
            try FileManager.default.copyItem(atPath: directory, toPath: sample) // for trying `pointconnect audit` by hand
        }
        let program = try DocumentedProgram.block(containing: "def verify_inclusion")
        let script = NSTemporaryDirectory() + "invoice-\(UUID().uuidString).py"
        try program.write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }

        let folded = try SettlementLedgerReader.fold(dataDirectory: directory)
        for (number, month) in [("PC-2026-000001", "2026-10"), ("PC-2026-000002", "2026-11")] {
            let invoice = try #require(folded.settlement.invoice(try InvoiceNumber(parsing: number)))
            let (status, output) = try DocumentedProgram.run([script, directory, Self.merchantA, month])
            #expect(status == 0, "\(output)")
            #expect(output.contains("recomputed \(Self.merchantA) \(month): subtotal \(invoice.subtotal) tax \(invoice.tax) total \(invoice.total)"), "\(output)")
            #expect(output.contains("recorded \(number)") && output.contains("MATCHES"), "\(output)")
        }
        // The November invoice: 300 points, a credit of 50 October points citing October, no fee.
        let november = try #require(folded.settlement.invoice(try InvoiceNumber(parsing: "PC-2026-000002")))
        #expect(november.subtotal == 330 - 55 && november.tax == 14 && november.total == 289)

        // A receipt's proof, as the offline trace gives it, checks against the signed root.
        let trace = try AuditLedgerReader.traceGrant(dataDirectory: directory, merchantID: Self.merchantA, orderID: "o-3")
        let proof = try #require(trace.proof)
        let hashes = proof.path.map(\.hex).joined(separator: ",")
        let arguments = [script, directory, Self.merchantA, "2026-11", String(trace.record.seq), String(proof.checkpoint.size)]
        let (status, output) = try DocumentedProgram.run(arguments + [hashes])
        #expect(status == 0 && output.contains("record \(trace.record.seq) (leaf \(trace.record.leafHash.hex)) IS in the checkpoint"), "\(output)")
        let wrong = proof.path.isEmpty ? String(repeating: "00", count: 32) : ([String(repeating: "00", count: 32)] + proof.path.dropFirst().map(\.hex)).joined(separator: ",")
        let (badStatus, badOutput) = try DocumentedProgram.run(arguments + [wrong])
        #expect(badStatus == 1 && badOutput.contains("is NOT in the checkpoint"), "\(badOutput)")
    }
}

/// The Python program of docs/ledger-format.md's invoice section.
enum DocumentedProgram {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/ledger-format.md").path

    static func block(containing marker: String) throws -> String {
        let parts = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "```python\n")
        for part in parts.dropFirst() {
            if let body = part.components(separatedBy: "\n```").first, body.contains(marker) { return body + "\n" }
        }
        throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "no python block with \(marker)"])
    }

    static func run(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/python3")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
