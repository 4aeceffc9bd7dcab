import Foundation
import PointCrypto
import PointJSON
import Testing
@testable import PointLedger

/// The worked example of docs/ledger-format.md, rebuilt from a fixed key and fixed times: three
/// records and one checkpoint.
struct WorkedExample {
    static let seed: [UInt8] = Array(1...32)
    static let origin = "pointconnect.sandbox/ledger"
    static let time: Int64 = 1_767_603_600_000_000 // 2026-01-05T09:00:00Z
    static let entries = [
        LedgerEntry(type: "merchant.onboarded", data: ["merchantId": "M0001", "name": "Cafe Lumen"], time: time),
        LedgerEntry(type: "grant.created", data: ["merchantId": "M0001", "orderId": "order-1", "points": 10], time: time + 1_500_000),
        LedgerEntry(type: "grant.created", data: ["merchantId": "M0001", "orderId": "order-2", "points": 25], time: time + 2_250_000),
    ]

    let directory = TemporaryDirectory()
    var lines: [String] = []
    var checkpoint: SignedCheckpoint
    var key: Ed25519PrivateKey

    init() async throws {
        key = try Ed25519PrivateKey(seed: Self.seed)
        try FileManager.default.createDirectory(atPath: directory.path + "/keys", withIntermediateDirectories: true)
        try key.pemRepresentation().write(toFile: directory.path + "/" + CheckpointKeys.privateKeyPath, atomically: true, encoding: .utf8)
        let options = CheckpointOptions(origin: Self.origin, automatic: false, clock: { WorkedExample.time + 3_000_000 })
        let store = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: options)
        _ = try await store.ledger.append(Self.entries)
        checkpoint = try await store.checkpoint()
        store.close()
        lines = try readAll(directory.ledgerPath).map { String(decoding: $0.line, as: UTF8.self) }
    }

    var leaves: [SHA256Digest] { lines.map { MerkleHashing.leafHash(Array($0.utf8)) } }

    /// Every value the document quotes.
    var values: [String] {
        let leaves = self.leaves
        let keyHash = SignedNote.keyHash(name: Self.origin, publicKey: key.publicKey)
        let noteSignature = (try? SignedNote.parse(checkpoint.note).signatures.first?.signature) ?? []
        return lines + leaves.map(\.hex) + [
            Hex.encode(key.publicKey.rawRepresentation),
            MerkleHashing.nodeHash(leaves[0], leaves[1]).hex,
            checkpoint.checkpoint.root.hex,
            Base64.encode(checkpoint.checkpoint.root.bytes),
            String(keyHash, radix: 16),
            Hex.encode(noteSignature),
            checkpoint.jsonLine,
            (try? key.publicKey.pemRepresentation()) ?? "",
            SignedNote.verifierKey(name: Self.origin, publicKey: key.publicKey),
        ] + checkpoint.note.split(separator: "\n").map(String.init)
    }
}

enum Documentation {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/ledger-format.md").path

    static func text() throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    /// The body of the first fenced block with `info` whose text contains `marker`.
    static func block(_ info: String, containing marker: String) throws -> String {
        let parts = try text().components(separatedBy: "```" + info + "\n")
        for part in parts.dropFirst() {
            if let body = part.components(separatedBy: "\n```").first, body.contains(marker) { return body + "\n" }
        }
        throw CryptoError("no ```\(info) block containing \(marker) in \(path)")
    }

    /// Runs `executable` with `arguments`; returns (status, stdout + stderr).
    static func run(_ executable: String, _ arguments: [String], in directory: String, environment: [String: String] = [:]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static let python: String? = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let openssl: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }
}

@Suite("docs/ledger-format.md stays true")
struct DocumentationTests {
    @Test("every number of the worked example is what the code produces")
    func workedExample() async throws {
        let example = try await WorkedExample()
        let text = try Documentation.text()
        if let out = ProcessInfo.processInfo.environment["WORKED_EXAMPLE_OUT"] {
            try example.values.joined(separator: "\n=====\n").write(toFile: out, atomically: true, encoding: .utf8)
        }
        for value in example.values {
            #expect(text.contains(value), "docs/ledger-format.md lacks: \(value)")
        }
        #expect(try LedgerVerification.verify(dataDirectory: example.directory.path, publicKey: nil, progress: nil).checkpointsVerified == 1)
        // The inclusion proofs the example quotes.
        let tree = MerkleTree(leaves: example.leaves)
        #expect(tree.inclusionProof(index: 2, size: 3) == [MerkleHashing.nodeHash(example.leaves[0], example.leaves[1])])
        #expect(tree.inclusionProof(index: 0, size: 3) == [example.leaves[1], example.leaves[2]])
        #expect(text.contains("The inclusion proof of record 3 in the tree of size 3 is `[node 1–2]`; of record 1, `[leaf 2, leaf 3]`."))
        #expect(text.contains("(the signed bytes, \(example.checkpoint.checkpoint.body.utf8.count) of them)"))
    }

    @Test("the openssl commands verify a real checkpoint and refuse a forged one",
          .enabled(if: Documentation.openssl != nil && Documentation.python != nil, "needs openssl and python3"))
    func opensslCommands() async throws {
        let example = try await WorkedExample()
        let script = try Documentation.block("sh", containing: "pkeyutl -verify")
        let work = TemporaryDirectory()
        let (status, output) = try Documentation.run("/bin/bash", ["-e", "-o", "pipefail", "-c", script], in: work.path,
                                                     environment: ["DATA_DIR": example.directory.path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("Signature Verified Successfully"))
        let keyHash = String(SignedNote.keyHash(name: WorkedExample.origin, publicKey: example.key.publicKey), radix: 16)
        #expect(output.components(separatedBy: keyHash).count == 3, "both key hash commands print \(keyHash): \(output)")

        // The same root under another key's signature: openssl refuses.
        let stranger = try Ed25519PrivateKey()
        let forged = try SignedNote.sign(example.checkpoint.checkpoint.body, keyName: WorkedExample.origin, privateKey: stranger)
        try (SignedCheckpoint(checkpoint: example.checkpoint.checkpoint, note: forged, time: example.checkpoint.time).jsonLine + "\n")
            .write(toFile: example.directory.path + "/checkpoints.jsonl", atomically: true, encoding: .utf8)
        let (forgedStatus, forgedOutput) = try Documentation.run("/bin/bash", ["-e", "-o", "pipefail", "-c", script], in: work.path,
                                                                 environment: ["DATA_DIR": example.directory.path])
        #expect(forgedStatus != 0 && forgedOutput.contains("Signature Verification Failure"), "\(forgedOutput)")
    }

    @Test("the auditor's Python program accepts a real ledger and rejects tampered ones",
          .enabled(if: Documentation.python != nil, "needs python3"))
    func auditorProgram() async throws {
        let program = try Documentation.block("python", containing: "hashlib")
        let lineCount = program.split(separator: "\n").count
        #expect(lineCount <= 80, "the auditor program has \(lineCount) lines")
        let work = TemporaryDirectory()
        let script = work.path + "/audit.py"
        try program.write(toFile: script, atomically: true, encoding: .utf8)
        guard let python = Documentation.python else { return }

        let directory = try await makeDataDirectory(records: 45, every: 20)
        let report = try LedgerVerification.verify(dataDirectory: directory.path, publicKey: nil, progress: nil)
        let (status, output) = try Documentation.run(python, [script, directory.path], in: work.path)
        #expect(status == 0, "\(output)")
        #expect(output.contains(report.root.hex) && output.contains("45 records") && output.contains("3 checkpoints"), "\(output)")

        // The example from the document, too.
        let example = try await WorkedExample()
        let (exampleStatus, exampleOutput) = try Documentation.run(python, [script, example.directory.path], in: work.path)
        #expect(exampleStatus == 0 && exampleOutput.contains(example.checkpoint.checkpoint.root.hex), "\(exampleOutput)")

        // A record edited in the middle breaks the chain; the last one breaks the checkpoint root.
        let segment = directory.ledgerPath + "/" + SegmentDirectory.fileName(firstSeq: 1)
        let original = try String(contentsOfFile: segment, encoding: .utf8)
        for (from, to, expected) in [("\"order-7\"", "\"order-X\"", "seq 9"), ("\"order-44\"", "\"order-XX\"", "line 3"),
                                     ("\"points\":5,", "\"points\": 5,", "seq 5"), ("\"points\":5,", "\"points\":5.5,", "seq 5: 5.5"),
                                     ("\"points\":5,", "\"points\":9223372036854775808,", "seq 5: 9223372036854775808")] {
            try original.replacingOccurrences(of: from, with: to).write(toFile: segment, atomically: true, encoding: .utf8)
            let (badStatus, badOutput) = try Documentation.run(python, [script, directory.path], in: work.path)
            #expect(badStatus != 0 && badOutput.contains(expected), "\(from) → \(to): \(badOutput)")
        }
        // A checkpoint whose root is not the records' root.
        try original.write(toFile: segment, atomically: true, encoding: .utf8)
        let path = directory.path + "/checkpoints.jsonl"
        let checkpoints = try String(contentsOfFile: path, encoding: .utf8)
        let second = try SignedCheckpoint(jsonLine: checkpoints.components(separatedBy: "\n")[1])
        let wrong = Checkpoint(origin: second.checkpoint.origin, size: second.size, root: MerkleHashing.emptyRoot)
        try replaceLine(2, of: path, with: SignedCheckpoint(checkpoint: wrong, note: wrong.body + "\n— x AAAAAA==\n", time: second.time).jsonLine)
        let (rootStatus, rootOutput) = try Documentation.run(python, [script, directory.path], in: work.path)
        #expect(rootStatus != 0 && rootOutput.contains("line 2"), "\(rootOutput)")

        // A size field that disagrees with the signed note.
        let secondLine = checkpoints.components(separatedBy: "\n")[1]
        try replaceLine(2, of: path, with: secondLine.replacingOccurrences(of: "\"size\":\(second.size),", with: "\"size\":\(second.size + 1),"))
        let (sizeStatus, sizeOutput) = try Documentation.run(python, [script, directory.path], in: work.path)
        #expect(sizeStatus != 0 && sizeOutput.contains("line 2") && sizeOutput.contains("size field"), "\(sizeOutput)")

        // An incomplete last line (a torn write) is noted, and the rest still checks.
        try checkpoints.write(toFile: path, atomically: true, encoding: .utf8)
        try (original + "{\"seq\":46,\"ti").write(toFile: segment, atomically: true, encoding: .utf8)
        let (tornStatus, tornOutput) = try Documentation.run(python, [script, directory.path], in: work.path)
        #expect(tornStatus == 0 && tornOutput.contains("torn line of 13 bytes") && tornOutput.contains("45 records"), "\(tornOutput)")

        // The same torn-write rule as the service's, case by case: a last line holding zero
        // bytes with nothing after it is torn; with a fragment after it, or an incomplete tail
        // longer than a record's line, it is damage.
        let zeroLine = "{\"seq\":46,\u{0}\u{0}\u{0}}\n"
        for (tail, torn) in [(zeroLine, true), (zeroLine + "{\"seq\":47", false),
                             (String(repeating: "x", count: LedgerRecordFormat.maxLineBytes + 1), false)] {
            try (original + tail).write(toFile: segment, atomically: true, encoding: .utf8)
            let (status, output) = try Documentation.run(python, [script, directory.path], in: work.path)
            let service = Result { () throws(LedgerError) in try LedgerVerification.verify(dataDirectory: directory.path, publicKey: nil, progress: nil) }
            let serviceAccepts = (try? service.get()) != nil
            #expect((status == 0) == torn && serviceAccepts == torn, "\(tail.prefix(24).debugDescription): \(output)")
        }
        try original.write(toFile: segment, atomically: true, encoding: .utf8)
    }
}
