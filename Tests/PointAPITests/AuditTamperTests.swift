import Foundation
import PointAPI
import PointCrypto
import PointLedger
import Testing

/// The offline toolkit over a data directory someone has altered: it must say so, never
/// report a forged checkpoint as verified or leave out a damaged record.
@Suite("Audit toolkit on altered data directories")
struct AuditTamperTests {
    typealias Toolkit = AuditToolkitTests

    static func appendCheckpointLine(_ line: String, in directory: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/" + CheckpointLog.fileName))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Array((line + "\n").utf8))
    }

    static func newestCheckpoint(in directory: String) throws -> SignedCheckpoint {
        let text = try String(contentsOfFile: directory + "/" + CheckpointLog.fileName, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").last.map(String.init))
        return try SignedCheckpoint(jsonLine: line)
    }

    /// The newest segment of the data directory's ledger: its path, its bytes, and where its last line starts.
    static func newestSegment(in directory: String) throws -> (path: String, bytes: [UInt8], lastLineStart: Int) {
        let segments = try FileManager.default.contentsOfDirectory(atPath: directory + "/ledger").filter { $0.hasSuffix(".jsonl") }.sorted()
        let path = directory + "/ledger/" + (try #require(segments.last))
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        return (path, bytes, (bytes.dropLast().lastIndex(of: UInt8(ascii: "\n")) ?? -1) + 1)
    }

    @Test("A checkpoint whose signature does not verify makes the grant trace fail, however well its proof folds")
    func forgedSignature() async throws {
        let directory = try await Toolkit.twoClosedMonths()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let genuine = try Self.newestCheckpoint(in: directory)
        #expect(try AuditLedgerReader.traceGrant(dataDirectory: directory, merchantID: Toolkit.merchantA, orderID: "o-1").isConsistent)
        // The same checkpoint text under a signature with one byte changed (key hash kept).
        let lines = genuine.note.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let signatureLine = try #require(lines.last { $0.hasPrefix("— ") })
        let encoded = try #require(signatureLine.split(separator: " ").last.map(String.init))
        var signature = try #require(Base64.decode(encoded))
        signature[signature.count - 1] ^= 0x01
        let forgedLine = signatureLine.replacingOccurrences(of: encoded, with: Base64.encode(signature))
        let forged = SignedCheckpoint(checkpoint: genuine.checkpoint, note: genuine.note.replacingOccurrences(of: signatureLine, with: forgedLine),
                                      time: genuine.time)
        try Self.appendCheckpointLine(forged.jsonLine, in: directory)

        let trace = try AuditLedgerReader.traceGrant(dataDirectory: directory, merchantID: Toolkit.merchantA, orderID: "o-1")
        let proof = try #require(trace.proof)
        #expect(proof.signatureVerified == false)
        #expect(trace.proofVerifies, "the proof itself folds to the (forged) root")
        #expect(!trace.isConsistent)
        #expect(trace.json["inclusion"]?["verified"] == .bool(false))
    }

    @Test("A newest checkpoint line that does not parse, or a --public-key that does not exist, is an error, not a skipped check")
    func unusableCheckpointOrKey() async throws {
        let directory = try await Toolkit.twoClosedMonths()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: SettlementLedgerReader.Failure.self) {
            try AuditLedgerReader.traceGrant(dataDirectory: directory, merchantID: Toolkit.merchantA, orderID: "o-1",
                                             publicKeyPath: directory + "/no-such-key.pem")
        }
        try Self.appendCheckpointLine(#"{"note":"not a signed note","size":1,"time":"2026-12-02T01:00:00.000000Z"}"#, in: directory)
        do {
            _ = try AuditLedgerReader.traceGrant(dataDirectory: directory, merchantID: Toolkit.merchantA, orderID: "o-1")
            Issue.record("an unparseable newest checkpoint was passed over")
        } catch {
            #expect(error.description.contains("is not a signed checkpoint"), "\(error)")
        }
    }

    @Test("Zero bytes in the last record, which a signed checkpoint covers, are damage to report, not a torn write to skip")
    func damagedCoveredLastRecord() async throws {
        let directory = try await Toolkit.twoClosedMonths()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let newest = try Self.newestCheckpoint(in: directory)
        var (path, bytes, lastLineStart) = try Self.newestSegment(in: directory)
        let lastSeq = try AuditLedgerReader.fold(dataDirectory: directory).records
        try #require(newest.size == lastSeq, "the newest checkpoint covers the last record (\(newest.size) of \(lastSeq))")
        for index in (lastLineStart + 10)..<(lastLineStart + 20) { bytes[index] = 0 }
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        do {
            _ = try AuditLedgerReader.fold(dataDirectory: directory)
            Issue.record("the damaged, checkpoint-covered last record was skipped as a torn write")
        } catch {
            #expect(error.description.contains("can't be read"), "\(error)")
        }
    }

    @Test("A ledger shorter than its newest checkpoint makes the grant trace inconsistent")
    func ledgerShorterThanItsCheckpoint() async throws {
        let directory = try await Toolkit.twoClosedMonths()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var (path, bytes, lastLineStart) = try Self.newestSegment(in: directory)
        // Drop the last record, which the newest checkpoint covers (a clean cut at a line end).
        bytes.removeSubrange(lastLineStart...)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let trace = try AuditLedgerReader.traceGrant(dataDirectory: directory, merchantID: Toolkit.merchantA, orderID: "o-1")
        #expect(trace.ledgerShorterThanCheckpoint && !trace.isConsistent)
        #expect(trace.proofNote?.contains("the ledger is damaged") == true, "\(trace.proofNote ?? "")")
    }
}
