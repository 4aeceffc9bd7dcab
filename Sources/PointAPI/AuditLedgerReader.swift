import PointCore
import PointCrypto
import PointJSON
import PointLedger

/// The auditor's toolkit over a data directory's files alone (read-only `LedgerScanner`, no
/// lock, no service; a running service is fine): `pointconnect audit export | compliance | trace`.
/// A torn last line (a write in progress) is ignored, as the service would on opening.
public enum AuditLedgerReader {
    public typealias Failure = SettlementLedgerReader.Failure

    /// Export formats.
    public enum ExportFormat: String, Sendable {
        case jsonl, csv
    }

    /// What an export wrote.
    public struct ExportSummary: Sendable, Equatable {
        /// Records written.
        public var records: Int
        /// Whether the filter's merchant was registered in the ledger (true without a merchant filter).
        public var merchantFound: Bool
    }

    /// Streams the records `filter` keeps to `write`, in ledger order: one JSON object per line
    /// (jsonl) or RFC 4180 CSV with a header row. Memory does not grow with the ledger's grants
    /// (see ``LedgerExportMatcher``). CSV rows of revocations and findings carry the member and
    /// LINE user of their grant: without a person filter a first pass finds those grants
    /// (``LedgerExportOwnerPrepass``), so the files are read twice.
    @discardableResult
    public static func export(dataDirectory: String, filter: LedgerExportFilter, format: ExportFormat,
                              write: (String) -> Void) throws(Failure) -> ExportSummary {
        var ownersOf: Set<LedgerExportMatcher.Key> = []
        let rowsNeedOwners = filter.types.map { !$0.isDisjoint(with: ["revocation.recorded", "finding.recorded", "finding.withdrawn"]) } ?? true
        if format == .csv && !filter.concernsPerson && rowsNeedOwners {
            var prepass = LedgerExportOwnerPrepass(filter: filter)
            try scan(dataDirectory) { (record, _) throws(DomainError) in
                prepass.visit(type: record.type, time: record.time, data: record.data)
            }
            ownersOf = prepass.grantsNeeded
        }
        var matcher = LedgerExportMatcher(filter: filter, ownersOf: ownersOf)
        var written = 0
        var merchantFound = filter.merchantID == nil
        if format == .csv { write(LedgerExportCSV.headerRow) }
        try scan(dataDirectory) { (record, _) throws(DomainError) in
            if !merchantFound, record.type == "merchant.registered", record.data["merchantId"]?.stringValue == filter.merchantID {
                merchantFound = true
            }
            let (keep, owner) = matcher.match(type: record.type, time: record.time, data: record.data)
            guard keep else { return }
            let exported = LedgerExportRecord(seq: record.seq, time: record.time, type: record.type, prev: record.prev.hex,
                                              data: record.data, leafHash: record.leafHash.hex, owner: owner)
            switch format {
            case .jsonl: write(CanonicalJSON.string(exported.json) + "\n")
            case .csv: write(LedgerExportCSV.row(exported))
            }
            written += 1
        }
        return ExportSummary(records: written, merchantFound: merchantFound)
    }

    /// The folded ledger: domain and settlement.
    public struct Folded: Sendable {
        public var domain: PointsDomain
        public var settlement: SettlementFold
        public var records: UInt64
    }

    /// Folds every record (``SettlementFold`` as an audit fold: differences are kept, not refused).
    public static func fold(dataDirectory: String, protectedSeq: UInt64? = nil, visit: (LedgerRecord) -> Void = { _ in }) throws(Failure) -> Folded {
        var domain = PointsDomain()
        var settlement = SettlementFold(strict: false)
        var count: UInt64 = 0
        try scan(dataDirectory, protectedSeq: protectedSeq) { (record, event) throws(DomainError) in
            count += 1
            visit(record)
            guard let event else { return }
            try domain.apply(event, seq: record.seq, time: record.time)
            try settlement.apply(event, seq: record.seq, time: record.time, domain: domain)
        }
        return Folded(domain: domain, settlement: settlement, records: count)
    }

    /// Compliance reports of one month: for `merchantID`, or for every merchant with a grant or
    /// revocation in the month.
    public static func compliance(dataDirectory: String, month: BillingMonth, merchantID: String?) throws(Failure) -> [RevocationComplianceReport] {
        let folded = try fold(dataDirectory: dataDirectory)
        if let merchantID {
            guard let report = folded.domain.complianceReport(merchantID: merchantID, month: month) else {
                throw Failure(description: "no merchant \(merchantID) in the ledger")
            }
            return [report]
        }
        return folded.domain.merchantsActive(in: month).compactMap { folded.domain.complianceReport(merchantID: $0, month: month) }
    }

    /// The events behind an issued invoice's line (`lineNumber`, 1-based), or behind each of
    /// its lines that cites events.
    public static func traceInvoice(dataDirectory: String, number: InvoiceNumber, lineNumber: Int?) throws(Failure) -> [InvoiceLineTracer.Result] {
        let folded = try fold(dataDirectory: dataDirectory)
        guard let invoice = folded.settlement.invoice(number) else {
            throw Failure(description: "no issued invoice \(number) in the ledger")
        }
        let closes = InvoiceLineTracer.closes(of: folded.settlement)
        let numbers = lineNumber.map { [$0] } ?? invoice.lines.indices.filter { invoice.lines[$0].events != nil }.map { $0 + 1 }
        var tracers: [InvoiceLineTracer] = []
        for number in numbers {
            do throws(InvoiceLineTracer.TraceError) {
                tracers.append(try InvoiceLineTracer(invoice: invoice, lineNumber: number, closes: closes))
            } catch {
                throw Failure(description: "\(invoice.number?.description ?? "the invoice"): \(error)")
            }
        }
        guard let first = tracers.map(\.scanRange.lowerBound).min(), let last = tracers.map(\.scanRange.upperBound).max() else { return [] }
        let domain = folded.domain
        try scan(dataDirectory, from: first, through: last) { (record, event) throws(DomainError) in
            guard let event else { return }
            for index in tracers.indices { tracers[index].feed(event, seq: record.seq, time: record.time, domain: domain) }
        }
        return tracers.map { $0.finish() }
    }

    /// One grant's record, leaf hash and inclusion proof against the newest checkpoint in
    /// `dataDirectory/checkpoints.jsonl` (signature checked with `publicKeyPath`, default
    /// `keys/checkpoint-ed25519.pub.pem` when present), the document that billed it, and its
    /// revocations. The Merkle tree is built from the scanned leaf hashes (about 64 bytes per record).
    public static func traceGrant(dataDirectory: String, merchantID: String, orderID: String,
                                  publicKeyPath: String? = nil) throws(Failure) -> AuditGrantTrace {
        // The checkpoint is read before the records: the service may sign newer ones while the
        // scan runs, and every record this one covers is on disk already.
        let newestSigned = try newestCheckpoint(dataDirectory)
        var leaves: [SHA256Digest] = []
        // The order's grant records: its sandbox one and, once live, its production one.
        var grantRecords: [LedgerRecord] = []
        let folded = try fold(dataDirectory: dataDirectory, protectedSeq: newestSigned?.size ?? 0) { record in
            leaves.append(record.leafHash)
            if record.type == "grant.issued", record.data["merchantId"]?.stringValue == merchantID,
               record.data["orderId"]?.stringValue == orderID {
                grantRecords.append(record)
            }
        }
        guard let grant = folded.domain.grant(merchantID: merchantID, orderID: orderID),
              let grantRecord = grantRecords.first(where: { $0.seq == grant.seq }) else {
            throw Failure(description: "no grant \(orderID) of merchant \(merchantID) in the ledger")
        }
        var proof: AuditGrantTrace.Proof?
        var note: String?
        var damaged = false
        if let newest = newestSigned {
            var signature: Bool?
            let keyPath = publicKeyPath ?? dataDirectory + "/" + CheckpointKeys.publicKeyPath
            // A key named on the command line must be usable; the directory's own may be absent
            // (a copy without keys/), and then the signature is reported as not checked.
            let key: Ed25519PublicKey?
            do throws(LedgerError) { key = try CheckpointKeys.loadPublicKey(path: keyPath) } catch {
                throw Failure(description: "the public key \(keyPath) can't be used: \(error)")
            }
            if let key {
                signature = (try? SignedNote.open(newest.note, publicKey: key)) != nil
            } else if let publicKeyPath {
                throw Failure(description: "the public key \(publicKeyPath) (--public-key) does not exist")
            }
            if newest.size >= grantRecord.seq, newest.size <= UInt64(leaves.count) {
                let tree = MerkleTree(leaves: leaves.prefix(Int(newest.size)))
                let path = tree.inclusionProof(index: grantRecord.seq - 1, size: newest.size) ?? []
                proof = AuditGrantTrace.Proof(checkpoint: newest, path: path, recomputedRoot: tree.root(size: newest.size),
                                              signatureVerified: signature)
            } else if newest.size > UInt64(leaves.count) {
                damaged = true
                note = "the newest checkpoint covers \(newest.size) records but the ledger holds \(leaves.count): the ledger is damaged"
            } else {
                note = "the newest checkpoint (size \(newest.size)) does not cover record \(grantRecord.seq) yet; run `pointconnect ledger checkpoint` (service stopped) or ask the API"
            }
        } else {
            note = "the data directory holds no checkpoint"
        }
        var trace = AuditGrantTrace.make(grant: grant, record: grantRecord, proof: proof, proofNote: note, domain: folded.domain,
                                         settlement: folded.settlement)
        trace.ledgerShorterThanCheckpoint = damaged
        return trace
    }

    /// The newest signed checkpoint in `dataDirectory` (nil when there is none): its last
    /// complete line, which must parse, as the service requires when it opens the directory.
    static func newestCheckpoint(_ dataDirectory: String) throws(Failure) -> SignedCheckpoint? {
        let path = dataDirectory + "/" + CheckpointLog.fileName
        do throws(LedgerError) { return try CheckpointLog.newest(dataDirectory: dataDirectory) } catch {
            if case .checkpointInvalid(let line, _, let reason) = error {
                throw Failure(description: "the newest line of \(path) (line \(line)) is not a signed checkpoint: \(reason)")
            }
            throw Failure(description: "\(path) can't be read: \(error)")
        }
    }

    /// Scans the ledger, decoding every record (or those in `from...through`) and its domain event.
    /// `protectedSeq` is the newest signed checkpoint's size, read here when not given.
    static func scan(_ dataDirectory: String, from: UInt64 = 1, through: UInt64 = .max, protectedSeq: UInt64? = nil,
                     _ visit: (LedgerRecord, DomainEvent?) throws(DomainError) -> Void) throws(Failure) {
        var failure: Failure?
        // Records a signed checkpoint covers are never taken for a torn write: damage to them is
        // an error here too, as when the service opens the directory.
        let covered: UInt64
        if let protectedSeq { covered = protectedSeq } else { covered = try newestCheckpoint(dataDirectory)?.size ?? 0 }
        do {
            _ = try LedgerScanner(directory: dataDirectory + "/ledger").scan(repairTornTail: false, protectedSeq: covered) { (view, location) throws(LedgerError) in
                guard view.seq >= from, view.seq <= through else { return }
                let record: LedgerRecord
                switch view.decode() {
                case .success(let decoded): record = decoded
                case .failure(let problem):
                    throw LedgerError.corrupt(file: location.file, offset: Int(location.offset) + problem.offset, seq: view.seq, reason: problem.reason)
                }
                do throws(DomainError) {
                    try visit(record, try DomainEvent.decode(type: record.type, data: record.data))
                } catch {
                    failure = Failure(description: "record \(record.seq) (\(record.type)) does not replay: \(error.message)")
                    throw LedgerError.invalidEntry("record \(record.seq) does not replay")
                }
            }
        } catch {
            if let failure { throw failure }
            throw Failure(description: "the ledger in \(dataDirectory)/ledger can't be read: \(error)")
        }
    }
}

/// What `pointconnect audit trace --order` and `GET /v1/audit/trace` answer about one grant.
public struct AuditGrantTrace: Sendable {
    /// An inclusion proof of the grant's record against a signed checkpoint.
    public struct Proof: Sendable {
        public var checkpoint: SignedCheckpoint
        /// RFC 9162 PATH, nearest sibling first.
        public var path: [SHA256Digest]
        /// The root recomputed from the records (nil when not available, e.g. from the API, which
        /// proves against its own tree).
        public var recomputedRoot: SHA256Digest?
        /// Whether the checkpoint's signature verifies with the public key (nil: no key at hand).
        public var signatureVerified: Bool?
    }

    public var grant: Grant
    public var record: LedgerRecord
    public var proof: Proof?
    public var proofNote: String?
    /// The newest signed checkpoint covers more records than the ledger holds: acknowledged,
    /// signed records are missing.
    public var ledgerShorterThanCheckpoint = false
    public var billing: GrantBilling?
    /// Each revocation of the grant, the document whose lines count it (nil while its month is
    /// open, and when no document counts it), and whether its month is closed.
    public var revocations: [(revocation: Revocation, billedOn: CitedDocument?, monthClosed: Bool)]

    /// Whether nothing in the trace contradicts the ledger or its signed checkpoint: the ledger
    /// is not shorter than the checkpoint, and a proof, when there is one, verifies against the
    /// checkpoint's root, the records recompute that root, and the signature did not fail to
    /// verify (it may be unchecked, with no public key at hand).
    public var isConsistent: Bool {
        if ledgerShorterThanCheckpoint { return false }
        guard let proof else { return true }
        return proofVerifies && proof.signatureVerified != false
            && proof.recomputedRoot.map { $0 == proof.checkpoint.checkpoint.root } != false
    }

    /// Whether the proof verifies (RFC 9162 §2.1.3.2) against the checkpoint's signed root.
    public var proofVerifies: Bool {
        guard let proof else { return false }
        return MerkleProof.verifyInclusion(leafHash: record.leafHash, index: record.seq - 1, size: proof.checkpoint.size,
                                           proof: proof.path, root: proof.checkpoint.checkpoint.root)
    }

    static func make(grant: Grant, record: LedgerRecord, proof: Proof?, proofNote: String?, domain: borrowing PointsDomain,
                     settlement: borrowing SettlementFold) -> AuditGrantTrace {
        let billing = GrantBilling.of(merchantID: grant.merchantID, seq: grant.seq, grantedAt: grant.grantedAt, settlement: settlement)
        // The document whose lines count the revocation, not merely the merchant's document of
        // its month: a revocation no line counts (sandbox activity, a grant never invoiced) has none.
        let revocations = domain.revocations(merchantID: grant.merchantID, orderID: grant.orderID).map { revocation -> (Revocation, CitedDocument?, Bool) in
            let closed = (try? BillingMonth(containingLedgerTime: revocation.revokedAt)).map { settlement.closed[$0] != nil } ?? false
            return (revocation, settlement.book.document(countingRevocation: revocation.revocationID, merchantID: grant.merchantID), closed)
        }
        return AuditGrantTrace(grant: grant, record: record, proof: proof, proofNote: proofNote, billing: billing, revocations: revocations)
    }

    public var json: JSONValue {
        var proofJSON: JSONValue = .null
        if let proof {
            proofJSON = [
                "treeSize": .int(Int64(proof.checkpoint.size)), "leafIndex": .int(Int64(record.seq - 1)),
                "rootHash": .string(proof.checkpoint.checkpoint.root.hex),
                "rootHashBase64": .string(Base64.encode(proof.checkpoint.checkpoint.root.bytes)),
                "proof": .array(proof.path.map { .string($0.hex) }), "verified": .bool(isConsistent),
                "recomputedRootMatches": proof.recomputedRoot.map { .bool($0 == proof.checkpoint.checkpoint.root) } ?? .null,
                "checkpoint": ["origin": .string(proof.checkpoint.checkpoint.origin), "note": .string(proof.checkpoint.note),
                               "signatureVerified": proof.signatureVerified.map(JSONValue.bool) ?? .null],
            ]
        }
        var billingJSON: JSONValue = .null
        if let billing {
            var members: [String: JSONValue] = ["period": .string(billing.period.description)]
            if let document = billing.document {
                members["invoiceNumber"] = document.number.map { .string($0.description) } ?? .null
                members["status"] = .string(document.status.rawValue)
                members["checkpoint"] = document.checkpoint.map { ["treeSize": .int(Int64($0.treeSize)), "rootHash": .string($0.rootHash)] } ?? .null
            }
            if let line = billing.lineNumber, let document = billing.document {
                members["lineNumber"] = .int(Int64(line))
                members["line"] = document.lines[line - 1].json
            }
            if let note = billing.note { members["note"] = .string(note) }
            billingJSON = .object(members)
        }
        return [
            "grant": [
                "merchantId": .string(grant.merchantID), "orderId": .string(grant.orderID), "memberId": .string(grant.memberID),
                "lineUserId": .string(grant.lineUserID), "scenarioId": .string(grant.scenarioID), "points": .int(Int64(grant.points)),
                "revokedPoints": .int(Int64(grant.revokedPoints)), "seq": .int(Int64(grant.seq)), "time": .string(CivilTime.formatUTC(grant.grantedAt)),
            ],
            "record": ProofRepresentations.record(record),
            "inclusion": proofJSON, "inclusionNote": proofNote.map(JSONValue.string) ?? .null,
            "billedOn": billingJSON,
            "revocations": .array(revocations.map { entry in
                [
                    "revocationId": .string(entry.revocation.revocationID), "points": .int(Int64(entry.revocation.points)),
                    "reason": .string(entry.revocation.reason.rawValue), "seq": .int(Int64(entry.revocation.seq)),
                    "time": .string(CivilTime.formatUTC(entry.revocation.revokedAt)),
                    "finding": entry.revocation.finding.map { .string($0.note) } ?? .null,
                    "billedOn": entry.billedOn.map { ["period": .string($0.period.description),
                                                      "invoiceNumber": $0.invoiceNumber.map { .string($0.description) } ?? .null] } ?? .null,
                    "monthClosed": .bool(entry.monthClosed),
                ]
            }),
        ]
    }
}

extension InvoiceLineTracer.Result {
    public var json: JSONValue {
        [
            "invoiceNumber": invoice.number.map { .string($0.description) } ?? .null, "merchantId": .string(invoice.merchantID),
            "period": .string(invoice.period.description), "lineNumber": .int(Int64(lineNumber)), "line": line.json,
            "events": .array(events.map { event in
                ["seq": .int(Int64(event.seq)), "time": .string(CivilTime.formatUTC(event.time)), "type": .string(event.type),
                 "id": .string(event.id), "orderId": .string(event.orderID), "points": .int(event.points)]
            }),
            "count": .int(Int64(events.count)), "points": .int(points), "complete": .bool(complete),
        ]
    }
}
