import Foundation
import PointCrypto
import Testing
@testable import PointLedger

/// A closed data directory of `records` records with a checkpoint after every `every` records.
func makeDataDirectory(records: Int, every: Int, options: LedgerOptions = LedgerOptions()) async throws -> TemporaryDirectory {
    let directory = TemporaryDirectory()
    let store = try LedgerStore.open(dataDirectory: directory.path, options: options, checkpointOptions: manualCheckpoints)
    var next = 0
    while next < records {
        let end = min(records, next + every)
        try await appendSamples(store, next..<end)
        _ = try await store.checkpoint()
        next = end
    }
    store.close()
    return directory
}

func signingKey(_ directory: TemporaryDirectory) throws -> Ed25519PrivateKey {
    try Ed25519PrivateKey(pem: String(contentsOfFile: directory.path + "/" + CheckpointKeys.privateKeyPath, encoding: .utf8))
}

func replaceLine(_ number: Int, of path: String, with text: String) throws {
    var lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
    lines[number - 1] = text
    try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
}

func expectCheckpointFailure(_ directory: TemporaryDirectory, publicKey: Ed25519PublicKey? = nil, line: Int, size: UInt64?, mentioning word: String) {
    #expect {
        _ = try LedgerVerification.verify(dataDirectory: directory.path, publicKey: publicKey, progress: nil)
    } throws: { error in
        guard case LedgerError.checkpointInvalid(let badLine, let badSize, let reason) = error else { return false }
        return badLine == line && badSize == size && reason.contains(word)
    }
}

@Suite("Verification: chain, Merkle root, signed checkpoints")
struct LedgerVerificationTests {
    @Test("a clean data directory verifies: root and every checkpoint")
    func clean() async throws {
        let directory = try await makeDataDirectory(records: 30, every: 10)
        let report = try LedgerVerification.verify(dataDirectory: directory.path, publicKey: nil, progress: nil)
        #expect(report.records == 30 && report.checkpointsVerified == 3 && report.lastCheckpointSize == 30)
        let ledger = try Ledger.open(directory: directory.ledgerPath)
        #expect(report.root == (try ledger.root(size: 30)))
        ledger.close()
        // With the public key given explicitly, too.
        let publicKey = try signingKey(directory).publicKey
        #expect(try LedgerVerification.verify(dataDirectory: directory.path, publicKey: publicKey, progress: nil).checkpointsVerified == 3)
    }

    @Test("an edited record is named by seq")
    func editedRecord() async throws {
        let directory = try await makeDataDirectory(records: 30, every: 10)
        let segment = directory.ledgerPath + "/" + SegmentDirectory.fileName(firstSeq: 1)
        let text = try String(contentsOfFile: segment, encoding: .utf8)
        try text.replacingOccurrences(of: "\"order-14\"", with: "\"order-99\"").write(toFile: segment, atomically: true, encoding: .utf8)
        #expect {
            _ = try LedgerVerification.verify(dataDirectory: directory.path, publicKey: nil, progress: nil)
        } throws: { error in
            guard case LedgerError.corrupt(_, _, let seq, let reason) = error else { return false }
            return seq == 16 && reason.contains("seq 15") && reason.contains("hash chain")
        }
    }

    @Test("an edited last record, which no chain link covers, fails its checkpoint's root")
    func editedLastRecord() async throws {
        let directory = try await makeDataDirectory(records: 30, every: 10)
        let segment = directory.ledgerPath + "/" + SegmentDirectory.fileName(firstSeq: 1)
        let text = try String(contentsOfFile: segment, encoding: .utf8)
        try text.replacingOccurrences(of: "\"order-29\"", with: "\"order-XX\"").write(toFile: segment, atomically: true, encoding: .utf8)
        expectCheckpointFailure(directory, line: 3, size: 30, mentioning: "differs from the root of records 1…30")
    }

    @Test("a forged checkpoint is named by line and size: altered root, foreign signature, wrong key")
    func forgedCheckpoints() async throws {
        let directory = try await makeDataDirectory(records: 30, every: 10)
        let path = directory.path + "/checkpoints.jsonl"
        let original = try String(contentsOfFile: path, encoding: .utf8)
        let second = try SignedCheckpoint(jsonLine: original.components(separatedBy: "\n")[1])
        let wrongRoot = Checkpoint(origin: second.checkpoint.origin, size: 20, root: MerkleHashing.leafHash([UInt8(1)]))

        // The root changed inside the note; the signature no longer verifies.
        let alteredNote = second.note.replacingOccurrences(of: Base64.encode(second.checkpoint.root.bytes), with: Base64.encode(wrongRoot.root.bytes))
        try replaceLine(2, of: path, with: SignedCheckpoint(checkpoint: wrongRoot, note: alteredNote, time: second.time).jsonLine)
        expectCheckpointFailure(directory, line: 2, size: 20, mentioning: "bad signature")

        // Signed by someone else under the same name.
        let stranger = try Ed25519PrivateKey()
        let foreign = try SignedNote.sign(second.checkpoint.body, keyName: second.checkpoint.origin, privateKey: stranger)
        try replaceLine(2, of: path, with: SignedCheckpoint(checkpoint: second.checkpoint, note: foreign, time: second.time).jsonLine)
        expectCheckpointFailure(directory, line: 2, size: 20, mentioning: "bad signature")

        // Properly signed with the service key, but the root is not the records' root.
        let forged = try SignedNote.sign(wrongRoot.body, keyName: wrongRoot.origin, privateKey: try signingKey(directory))
        try replaceLine(2, of: path, with: SignedCheckpoint(checkpoint: wrongRoot, note: forged, time: second.time).jsonLine)
        expectCheckpointFailure(directory, line: 2, size: 20, mentioning: "differs from the root")

        // Properly signed with the service key and the right root, under another origin: one
        // log has one origin.
        let renamed = Checkpoint(origin: "example.org/other", size: second.checkpoint.size, root: second.checkpoint.root)
        let renamedNote = try SignedNote.sign(renamed.body, keyName: renamed.origin, privateKey: try signingKey(directory))
        try replaceLine(2, of: path, with: SignedCheckpoint(checkpoint: renamed, note: renamedNote, time: second.time).jsonLine)
        expectCheckpointFailure(directory, line: 2, size: 20, mentioning: "differs from \"pointconnect.test/ledger\" of line 1")

        // Garbage line; then the original back, checked against an auditor's different key.
        try replaceLine(2, of: path, with: "{\"note\":\"nonsense\"}")
        expectCheckpointFailure(directory, line: 2, size: nil, mentioning: "needs")
        try original.write(toFile: path, atomically: true, encoding: .utf8)
        expectCheckpointFailure(directory, publicKey: stranger.publicKey, line: 1, size: 10, mentioning: "bad signature")
        #expect(try LedgerVerification.verify(dataDirectory: directory.path, publicKey: nil, progress: nil).checkpointsVerified == 3)
    }

    @Test("checkpoints past the records, out of order, or without a key to check them are refused")
    func structuralProblems() async throws {
        let directory = try await makeDataDirectory(records: 20, every: 10)
        let path = directory.path + "/checkpoints.jsonl"
        let original = try String(contentsOfFile: path, encoding: .utf8)
        let lines = original.components(separatedBy: "\n")
        try [lines[1], lines[0], ""].joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        expectCheckpointFailure(directory, line: 2, size: 10, mentioning: "smaller than the previous")

        // Records 11…20 lost (the second segment is simulated by truncating the file).
        try original.write(toFile: path, atomically: true, encoding: .utf8)
        let segment = directory.ledgerPath + "/" + SegmentDirectory.fileName(firstSeq: 1)
        let records = try String(contentsOfFile: segment, encoding: .utf8).components(separatedBy: "\n")
        try (records[0..<15].joined(separator: "\n") + "\n").write(toFile: segment, atomically: true, encoding: .utf8)
        expectCheckpointFailure(directory, line: 2, size: 20, mentioning: "holds only 15 records")

        // Record 16 cut mid-line: a torn tail, except that a checkpoint covers it — damage, named
        // by segment, byte offset and seq like any other.
        let cut = records[0..<15].joined(separator: "\n") + "\n" + records[15].prefix(40)
        try cut.write(toFile: segment, atomically: true, encoding: .utf8)
        #expect {
            _ = try LedgerVerification.verify(dataDirectory: directory.path, publicKey: nil, progress: nil)
        } throws: { error in
            guard case LedgerError.corrupt(let file, let offset, let seq, let reason) = error else { return false }
            return file == SegmentDirectory.fileName(firstSeq: 1) && offset == records[0..<15].joined(separator: "\n").utf8.count + 1
                && seq == 16 && reason.contains("checkpoint line 2 (tree size 20) covers it")
        }

        try FileManager.default.removeItem(atPath: directory.path + "/" + CheckpointKeys.publicKeyPath)
        #expect {
            _ = try LedgerVerification.verify(dataDirectory: directory.path, publicKey: nil, progress: nil)
        } throws: { error in
            guard case LedgerError.checkpointKey(_, let reason) = error else { return false }
            return reason.contains("--public-key")
        }
    }

    @Test("the streaming root equals the tree's root for a ledger spanning several segments")
    func segments() async throws {
        let directory = TemporaryDirectory()
        let store = try LedgerStore.open(dataDirectory: directory.path, options: LedgerOptions(maxSegmentBytes: 4_096), checkpointOptions: manualCheckpoints)
        try await appendSamples(store, 0..<200)
        let signed = try await store.checkpoint()
        store.close()
        let report = try LedgerVerification.verify(dataDirectory: directory.path, publicKey: nil, progress: nil)
        #expect(report.segments > 5 && report.root == signed.checkpoint.root && report.checkpointsVerified == 1)
    }
}
