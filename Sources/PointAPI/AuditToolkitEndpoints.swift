import PointCore
import PointCrypto
import PointHTTP
import PointJSON
import PointLedger

/// The auditor's toolkit, read-only (`/v1/audit/…`: auditors, finance and reviewers read):
///
/// - `GET /v1/audit/export?[merchantId][&memberId][&lineUserId][&type=a,b][&month=YYYY-MM][&format=json|jsonl|csv][&fromSeq][&limit]`:
///   a page of the ledger records the filter keeps (see ``LedgerExportFilter``). A page scans
///   at most ``maxExportScan`` records from `fromSeq` and returns at most `limit` (≤ 1,000)
///   matches; `nextFromSeq` (JSON) or the `X-Next-From-Seq` header (jsonl, csv) continues, and
///   is absent once the durable end was reached. A page may hold fewer matches than `limit`,
///   even none, while a cursor is given.
/// - `GET /v1/audit/compliance?month=YYYY-MM[&merchantId=]`: the revocation compliance report.
/// - `GET /v1/audit/trace?merchantId=&orderId=`: a grant's record, leaf hash, inclusion proof
///   against the newest signed checkpoint, the invoice that billed it, and its revocations.
extension APIApplication {
    static let maxExportScan = 50_000

    func auditExport(_ context: Context) throws(APIError) -> HTTPResponse {
        let query = try Self.query(context.request, allowed: ["merchantId", "memberId", "lineUserId", "type", "month", "format", "fromSeq", "limit"])
        var filter = LedgerExportFilter(merchantID: query["merchantId"], memberID: try Self.checked(query, "memberId", FieldSyntax.externalID),
                                        lineUserID: try Self.checked(query, "lineUserId", FieldSyntax.lineUserID))
        if let types = query["type"] {
            let list = types.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if let problem = LedgerExportFilter.problem(withTypes: list) {
                throw .badRequest("type \(problem).", details: [APIErrorDetail(property: "type", message: problem)])
            }
            filter.types = Set(list)
        }
        if let month = query["month"] { filter.month = try Self.month(month, property: "month") }
        let format = query["format"] ?? "json"
        guard ["json", "jsonl", "csv"].contains(format) else {
            throw APIError(status: HTTPStatus(code: 406), code: APIErrorCode("unsupported_format"),
                           message: "format=\(format) is not served here; use json, jsonl or csv.",
                           details: [APIErrorDetail(property: "format", message: "must be json, jsonl or csv")])
        }
        let fromSeq = UInt64(try Self.integer(query["fromSeq"], "fromSeq", in: 1...Int64.max, default: 1))
        let limit = Int(try Self.integer(query["limit"], "limit", in: 1...Self.maxLedgerPage, default: 100))
        // A mistyped merchant ID would match nothing and look like a clean, empty result.
        if let merchantID = filter.merchantID, service.read({ $0.merchant(merchantID) }) == nil {
            throw APIError(status: .notFound, code: APIErrorCode("merchant_not_found"), message: "No merchant \(merchantID); check the merchant ID.",
                           details: [APIErrorDetail(property: "merchantId", message: "names no merchant")])
        }
        let service = self.service
        let lookup = LedgerExportMatcher.Lookup(
            revocationOwner: { merchantID, revocationID in
                service.read { domain in
                    domain.revocation(merchantID: merchantID, revocationID: revocationID).map { revocation in
                        let grant = domain.grant(revokedBy: revocation)
                        return LedgerExportMatcher.Owner(orderID: grant.orderID, memberID: grant.memberID, lineUserID: grant.lineUserID)
                    }
                }
            },
            scenarioMerchant: { scenarioID in service.read { $0.scenario(scenarioID)?.merchantID } })
        var matcher = LedgerExportMatcher(filter: filter, lookup: lookup)
        let durable = service.ledger.durableSeq
        var matches: [LedgerExportRecord] = []
        var next = fromSeq
        var scanned = 0
        scan: while next <= durable, scanned < Self.maxExportScan {
            let records: [LedgerRecord]
            do throws(LedgerError) {
                records = try service.ledger.records(from: next, limit: min(1_000, Self.maxExportScan - scanned), through: durable)
            } catch {
                throw .unavailable("The ledger could not be read (\(error)).")
            }
            guard !records.isEmpty else { break }
            for record in records {
                next = record.seq + 1
                scanned += 1
                let (keep, owner) = matcher.match(type: record.type, time: record.time, data: record.data)
                guard keep else { continue }
                matches.append(LedgerExportRecord(seq: record.seq, time: record.time, type: record.type, prev: record.prev.hex,
                                                  data: record.data, leafHash: record.leafHash.hex, owner: owner))
                if matches.count == limit { break scan }
            }
        }
        let nextFromSeq: UInt64? = next <= durable ? next : nil
        switch format {
        case "csv", "jsonl":
            var body = format == "csv" ? LedgerExportCSV.headerRow : ""
            for record in matches {
                body += format == "csv" ? LedgerExportCSV.row(record) : CanonicalJSON.string(record.json) + "\n"
            }
            var response = HTTPResponse(status: .ok, body: Array(body.utf8))
            response.headers.set(name: "Content-Type", value: format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson")
            if let nextFromSeq { response.headers.set(name: "X-Next-From-Seq", value: String(nextFromSeq)) }
            return response
        default:
            return Self.json([
                "records": .array(matches.map(\.json)), "count": .int(Int64(matches.count)), "durableSeq": .int(Int64(durable)),
                "scannedThrough": .int(Int64(next - 1)), "nextFromSeq": nextFromSeq.map { .int(Int64($0)) } ?? .null,
            ])
        }
    }

    func auditCompliance(_ context: Context) throws(APIError) -> HTTPResponse {
        let query = try Self.query(context.request, allowed: ["month", "merchantId"])
        guard let monthText = query["month"] else {
            throw .badRequest("Query parameter month is required (YYYY-MM).", details: [APIErrorDetail(property: "month", message: "is required")])
        }
        let month = try Self.month(monthText, property: "month")
        let merchantID = query["merchantId"]
        if let reason = service.ledger.poisonReason {
            throw Self.stateUnsettled("The compliance report for \(month)", reason: reason.description)
        }
        let reports: [RevocationComplianceReport]? = service.read { domain in
            if let merchantID { return domain.complianceReport(merchantID: merchantID, month: month).map { [$0] } }
            return domain.merchantsActive(in: month).compactMap { domain.complianceReport(merchantID: $0, month: month) }
        }
        guard let reports else {
            throw APIError(status: .notFound, code: APIErrorCode("merchant_not_found"), message: "No merchant \(merchantID ?? ""); check the merchant ID.")
        }
        return Self.json(["month": .string(month.description), "reports": .array(reports.map(\.json)),
                          "outlierRule": .string(RevocationCompliance.ruleText)])
    }

    func auditTrace(_ context: Context) async throws(APIError) -> HTTPResponse {
        let query = try Self.query(context.request, allowed: ["merchantId", "orderId"])
        guard let merchantID = query["merchantId"], let orderID = query["orderId"] else {
            let missing = ["merchantId", "orderId"].filter { query[$0] == nil }
            throw .badRequest("Query parameters merchantId and orderId are required.",
                              details: missing.map { APIErrorDetail(property: $0, message: "is required") })
        }
        guard let grant = service.read({ $0.grant(merchantID: merchantID, orderID: orderID) }) else {
            throw APIError(status: .notFound, code: APIErrorCode("grant_not_found"), message: "No grant with orderId \(orderID) for merchant \(merchantID).")
        }
        let durable = service.ledger.durableSeq
        let found: LedgerRecord?
        do throws(LedgerError) { found = try service.ledger.records(from: grant.seq, limit: 1, through: durable).first } catch {
            throw .unavailable("The ledger could not be read (\(error)).")
        }
        guard let record = found else { throw .unavailable("Record \(grant.seq) is not durable yet; try again shortly.") }
        let checkpoint = try await currentCheckpoint(covering: grant.seq)
        let path: [SHA256Digest]
        do throws(LedgerError) { path = try service.store.inclusionProof(seq: grant.seq, treeSize: checkpoint.size) } catch {
            throw Self.proofError(error)
        }
        let verified = (try? SignedNote.open(checkpoint.note, publicKey: service.store.publicKey)) != nil
        let proof = AuditGrantTrace.Proof(checkpoint: checkpoint, path: path, recomputedRoot: nil, signatureVerified: verified)
        let trace = service.readSettlement { domain, settlement in
            AuditGrantTrace.make(grant: grant, record: record, proof: proof, proofNote: nil, domain: domain, settlement: settlement)
        }
        return Self.json(trace.json)
    }
}
