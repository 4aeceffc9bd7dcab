import Foundation
import Synchronization
import PointCrypto
import Testing
@testable import PointLedger

/// Manual checkpoints only, with a fixed clock, so tests decide when checkpoints happen.
let manualCheckpoints = CheckpointOptions(origin: "pointconnect.test/ledger", automatic: false, clock: { 1_795_000_000_000_000 })

/// A data directory holding three records and a signed checkpoint of them, closed.
func checkpointedThreeRecords() async throws -> TemporaryDirectory {
    let directory = TemporaryDirectory()
    let store = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: manualCheckpoints)
    try await appendSamples(store, 0..<3)
    _ = try await store.checkpoint()
    store.close()
    return directory
}

/// Half a checkpoint line at the end of the log, as a crash in the middle of its append leaves it.
func appendTornCheckpointLine(_ directory: TemporaryDirectory) throws {
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: directory.path + "/checkpoints.jsonl"))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data("{\"note\":\"pointconn".utf8))
    try handle.close()
}

func appendSamples(_ store: LedgerStore, _ range: Range<Int>) async throws {
    _ = try await store.ledger.append(range.map { sampleEntry($0) })
}

/// Polls `condition` for up to five seconds.
func eventually(_ condition: () -> Bool) async -> Bool {
    for _ in 0..<500 {
        if condition() { return true }
        try? await Task.sleep(nanoseconds: 10_000_000)
    }
    return condition()
}

@Suite("Ledger store: keys, checkpoints, proofs")
struct LedgerStoreTests {
    @Test("first open creates the key pair; checkpoint() signs the durable tree and stores it")
    func checkpointOnDemand() async throws {
        let directory = TemporaryDirectory()
        let store = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: manualCheckpoints)
        defer { store.close() }
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.path + "/keys/checkpoint-ed25519.pem")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let publicPEM = try String(contentsOfFile: directory.path + "/keys/checkpoint-ed25519.pub.pem", encoding: .utf8)
        #expect(try Ed25519PublicKey(pem: publicPEM) == store.publicKey)
        #expect(store.latestCheckpoint == nil)

        let empty = try await store.checkpoint()
        #expect(empty.size == 0 && empty.checkpoint.root == MerkleHashing.emptyRoot)
        try await appendSamples(store, 0..<13)
        let signed = try await store.checkpoint()
        #expect(signed.size == 13)
        #expect(signed.checkpoint.root == (try store.root(size: 13)))
        #expect(signed.checkpoint.origin == "pointconnect.test/ledger")
        let opened = try SignedNote.open(signed.note, publicKey: store.publicKey)
        #expect(opened.text == signed.checkpoint.body && opened.keyName == "pointconnect.test/ledger")
        #expect(store.latestCheckpoint == signed)
        // Nothing new: the same checkpoint comes back and no line is added.
        #expect(try await store.checkpoint() == signed)
        let lines = try String(contentsOfFile: directory.path + "/checkpoints.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(try SignedCheckpoint(jsonLine: String(lines[1])) == signed)
    }

    @Test("proofs verify against signed roots; sizes past the durable records are refused")
    func proofs() async throws {
        let directory = TemporaryDirectory()
        let store = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: manualCheckpoints)
        defer { store.close() }
        try await appendSamples(store, 0..<10)
        let first = try await store.checkpoint()
        try await appendSamples(store, 10..<37)
        let second = try await store.checkpoint()
        for seq in [UInt64(1), 10, 11, 37] {
            let proof = try store.inclusionProof(seq: seq, treeSize: second.size)
            #expect(MerkleProof.verifyInclusion(leafHash: try store.leafHash(seq: seq), index: seq - 1, size: second.size, proof: proof, root: second.checkpoint.root))
        }
        let consistency = try store.consistencyProof(from: first.size, to: second.size)
        #expect(MerkleProof.verifyConsistency(firstSize: first.size, secondSize: second.size, firstRoot: first.checkpoint.root,
                                              secondRoot: second.checkpoint.root, proof: consistency))
        #expect(throws: LedgerError.beyondDurableSize(requested: 38, durable: 37)) { try store.root(size: 38) }
        #expect(throws: LedgerError.beyondDurableSize(requested: 38, durable: 37)) { try store.inclusionProof(seq: 1, treeSize: 38) }
        #expect(throws: LedgerError.beyondDurableSize(requested: 40, durable: 37)) { try store.consistencyProof(from: 1, to: 40) }
        #expect(throws: LedgerError.beyondDurableSize(requested: 38, durable: 37)) { try store.leafHash(seq: 38) }
        #expect(throws: LedgerError.self) { try store.inclusionProof(seq: 0, treeSize: 5) }
        #expect(throws: LedgerError.self) { try store.inclusionProof(seq: 6, treeSize: 5) }
        #expect(throws: LedgerError.self) { try store.consistencyProof(from: 6, to: 5) }
        #expect(LedgerError.beyondDurableSize(requested: 38, durable: 37).description.contains("38"))
    }

    @Test("automatic checkpoints: every N records and after the interval")
    func automatic() async throws {
        let directory = TemporaryDirectory()
        let options = CheckpointOptions(origin: "pointconnect.test/ledger", everyRecords: 10, intervalMilliseconds: 100)
        let store = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: options)
        try await appendSamples(store, 0..<25)
        #expect(await eventually { store.latestCheckpoint?.size == 25 })
        try await appendSamples(store, 25..<28)
        #expect(await eventually { store.latestCheckpoint?.size == 28 })
        try await appendSamples(store, 28..<30)
        store.close()
        // Close takes a last checkpoint of what was left.
        let reopened = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: options)
        defer { reopened.close() }
        #expect(reopened.latestCheckpoint?.size == 30)
        #expect(reopened.latestCheckpoint?.checkpoint.root == (try reopened.root(size: 30)))
    }

    @Test("reopening passes the checkpoint size as protectedSeq: a damaged signed tail is refused, not truncated")
    func protectedTail() async throws {
        let directory = TemporaryDirectory()
        do {
            let store = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: manualCheckpoints)
            try await appendSamples(store, 0..<5)
            _ = try await store.checkpoint()
            store.close()
        }
        // Cut the last record's newline and a few bytes: it would pass for a torn write.
        let segment = directory.ledgerPath + "/" + SegmentDirectory.fileName(firstSeq: 1)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        try bytes.dropLast(7).write(to: URL(fileURLWithPath: segment))
        #expect {
            _ = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: manualCheckpoints)
        } throws: { error in
            guard case LedgerError.corrupt(_, _, let seq, let reason) = error else { return false }
            return seq == 5 && reason.contains("signed checkpoint of size 5")
        }
        // The plain ledger, knowing no checkpoint, would have repaired it as a torn tail.
        var logged: [String] = []
        let ledger = try Ledger.open(directory: directory.ledgerPath, log: { logged.append($0) })
        #expect(ledger.durableSeq == 4 && logged.count == 1)
        ledger.close()
    }

    @Test("A second close while the first is taking the last checkpoint waits for it, and the log is closed once")
    func concurrentClosesWaitForTheFirst() async throws {
        let directory = TemporaryDirectory()
        let disk = SyncHoldingFileSystem(holdingOnlyPathsEndingWith: CheckpointLog.fileName)
        let automatic = CheckpointOptions(origin: "pointconnect.test/ledger", everyRecords: 1_000_000, intervalMilliseconds: 3_600_000,
                                          clock: { 1_795_000_000_000_000 })
        let store = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: automatic, fileSystem: disk)
        try await appendSamples(store, 0..<3)
        disk.hold()
        let returned = Mutex<[String]>([])
        let first = Thread { store.close(); returned.withLock { $0.append("first") } }
        first.start()
        while disk.heldSyncs == 0 { usleep(1_000) }   // the first close is writing the last checkpoint
        let second = Thread { store.close(); returned.withLock { $0.append("second") } }
        second.start()
        usleep(200_000)
        #expect(returned.withLock { $0 }.isEmpty, "a close returned while the last checkpoint was still being written")
        #expect(disk.heldSyncs == 1, "the second close wrote a checkpoint of its own beside the first")
        disk.release()
        while returned.withLock({ $0.count }) < 2 { usleep(1_000) }
        let reopened = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: manualCheckpoints)
        #expect(reopened.latestCheckpoint?.size == 3)
        reopened.close()
    }

    @Test("A failed repair of the checkpoint log refuses to open, closes its file once, and leaves the directory to open again")
    func failedCheckpointLogRepairClosesOnce() async throws {
        let directory = try await checkpointedThreeRecords()
        try appendTornCheckpointLine(directory)
        // Sync 1 settles the checkpoint log, sync 2 the ledger's segment; sync 3 is the log's
        // repair. (Debug builds stop at a second close of the log's descriptor, which the failed
        // repair used to make.)
        let failing = FaultInjectingFileSystem(faults: [.syncError(onCall: 3, errno: EIO)])
        #expect {
            _ = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: manualCheckpoints, fileSystem: failing)
        } throws: { error in
            guard case LedgerError.io(let operation, let path, let code) = error else { return false }
            return operation == "repairing" && path.hasSuffix("checkpoints.jsonl") && code == EIO
        }
        let reopened = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: manualCheckpoints)
        #expect(reopened.latestCheckpoint?.size == 3)
        reopened.close()
    }

    @Test("a ledger that disagrees with its signed checkpoint does not open; a torn checkpoint line is cut off")
    func rootMismatchAndTornCheckpoint() async throws {
        let directory = try await checkpointedThreeRecords()
        let checkpoints = directory.path + "/checkpoints.jsonl"
        try appendTornCheckpointLine(directory)
        var logged: [String] = []
        let store = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: manualCheckpoints, log: { logged.append($0) })
        #expect(store.latestCheckpoint?.size == 3)
        #expect(logged.contains { $0.contains("incomplete last line of checkpoints.jsonl") })
        try await appendSamples(store, 3..<4)
        #expect(try await store.checkpoint().size == 4)
        store.close()
        #expect(try String(contentsOfFile: checkpoints, encoding: .utf8).split(separator: "\n").count == 2)

        // Rewrite the last record (still a valid, chained line): the signed root no longer matches.
        let segment = directory.ledgerPath + "/" + SegmentDirectory.fileName(firstSeq: 1)
        let text = try String(contentsOfFile: segment, encoding: .utf8)
        try text.replacingOccurrences(of: "order-3\"", with: "order-X\"").write(toFile: segment, atomically: true, encoding: .utf8)
        #expect {
            _ = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: manualCheckpoints)
        } throws: { error in
            guard case LedgerError.checkpointInvalid(let line, let size, let reason) = error else { return false }
            return line == 2 && size == 4 && reason.contains("altered")
        }
    }

    @Test("a missing signing key is created only for a new directory; otherwise opening refuses and creates nothing",
          arguments: ["checkpoints", "records only", "public key only"])
    func missingSigningKeyIsNotReplaced(_ history: String) async throws {
        let directory = TemporaryDirectory()
        switch history {
        case "checkpoints":
            let store = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: manualCheckpoints)
            try await appendSamples(store, 0..<3)
            _ = try await store.checkpoint()
            store.close()
        case "records only":
            let ledger = try Ledger.open(directory: directory.ledgerPath)
            _ = try await ledger.append(sampleEntry(0))
            ledger.close()
        default:
            let store = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: manualCheckpoints)
            store.close()
        }
        let privatePath = directory.path + "/" + CheckpointKeys.privateKeyPath
        let publicPath = directory.path + "/" + CheckpointKeys.publicKeyPath
        if history == "records only" {
            #expect(!FileManager.default.fileExists(atPath: privatePath))
            #expect(!FileManager.default.fileExists(atPath: publicPath))
        } else {
            try FileManager.default.removeItem(atPath: privatePath)
        }
        let publicBefore = try? String(contentsOfFile: publicPath, encoding: .utf8)
        let checkpointsBefore = try? String(contentsOfFile: directory.path + "/checkpoints.jsonl", encoding: .utf8)
        var logged: [String] = []
        #expect {
            _ = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: manualCheckpoints, log: { logged.append($0) })
        } throws: { error in
            guard case LedgerError.checkpointKey(let path, let reason) = error else { return false }
            let expectedCause = switch history {
            case "checkpoints": "signed checkpoint line"
            case "records only": "ledger segment file"
            default: "public key"
            }
            return path == privatePath && reason.contains("missing") && reason.contains(expectedCause)
                && reason.contains("restore the key") && reason.contains("Nothing was created")
        }
        #expect(!FileManager.default.fileExists(atPath: privatePath))
        if history == "records only" {
            #expect(!FileManager.default.fileExists(atPath: directory.path + "/keys"), "not even an empty keys/ directory")
        }
        #expect((try? String(contentsOfFile: publicPath, encoding: .utf8)) == publicBefore)
        #expect((try? String(contentsOfFile: directory.path + "/checkpoints.jsonl", encoding: .utf8)) == checkpointsBefore)
        #expect(!logged.contains { $0.contains("created signing key") })
    }

    @Test("a ledger directory's lock is exclusive between holders and free again once released")
    func directoryLockIsExclusive() throws {
        let directory = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.ledgerPath, withIntermediateDirectories: true)
        let held = try LedgerDirectoryLock.acquire(directory.ledgerPath)
        #expect {
            _ = try LedgerDirectoryLock.acquire(directory.ledgerPath)
        } throws: { error in
            guard case LedgerError.locked(let path) = error else { return false }
            return path == directory.ledgerPath
        }
        #expect(throws: LedgerError.self) { _ = try Ledger.open(directory: directory.ledgerPath) }
        held.release()
        let again = try LedgerDirectoryLock.acquire(directory.ledgerPath)
        again.release()
        let ledger = try Ledger.open(directory: directory.ledgerPath)
        ledger.close()
    }

    @Test("a directory's checkpoints keep one origin: opening to sign under another is refused; a tool reads the origin")
    func oneOriginPerLog() async throws {
        let directory = try await checkpointedThreeRecords()
        #expect(try LedgerStore.checkpointOrigin(dataDirectory: directory.path) == "pointconnect.test/ledger")
        var other = manualCheckpoints
        other.origin = "pointconnect.production/ledger"
        #expect {
            _ = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: other)
        } throws: { error in
            guard case LedgerError.checkpointInvalid(let line, let size, let reason) = error else { return false }
            return line == 1 && size == 3 && reason.contains("checkpoints are for origin \"pointconnect.test/ledger\"")
                && reason.contains("would sign as \"pointconnect.production/ledger\"")
        }
        let reopened = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: manualCheckpoints)
        reopened.close()
        #expect(try LedgerStore.checkpointOrigin(dataDirectory: TemporaryDirectory().path) == nil)
    }

    @Test("A store opening while another closes waits for it to write its last checkpoint, and keeps that checkpoint")
    func openingWaitsForAClosingStore() async throws {
        let directory = TemporaryDirectory()
        // Automatic checkpoints that come only at close (no count or interval is reached).
        let atClose = CheckpointOptions(origin: "pointconnect.test/ledger", everyRecords: 1_000_000, intervalMilliseconds: 3_600_000,
                                        clock: { 1_795_000_000_000_000 })
        let first = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: atClose)
        try await appendSamples(first, 0..<3)
        let opened = Mutex<(store: LedgerStore?, error: String?)>((nil, nil))
        let path = directory.path
        let second = Thread {
            do { let store = try LedgerStore.open(dataDirectory: path, checkpointOptions: atClose); opened.withLock { $0.store = store } }
            catch { opened.withLock { $0.error = "\(error)" } }
        }
        second.start()
        usleep(200_000)  // the second store waits for the directory
        #expect(opened.withLock { $0.store == nil && $0.error == nil }, "the second store opened while the first was open")
        first.close()
        for _ in 0..<500 where opened.withLock({ $0.store == nil && $0.error == nil }) { usleep(10_000) }
        let reopened = try #require(opened.withLock { $0.store }, "\(opened.withLock { $0.error ?? "not opened" })")
        defer { reopened.close() }
        #expect(reopened.latestCheckpoint?.size == 3, "the closing store's last checkpoint is read, not cut off")
        let lines = try String(contentsOfFile: directory.path + "/" + CheckpointLog.fileName, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1)
    }

    @Test("Opening settles what an earlier run left: the checkpoint log and the newest segments are synced, and the segment directory")
    func openingSyncsTheLogTheSegmentsAndTheirDirectory() async throws {
        let directory = try await checkpointedThreeRecords()
        let recorder = SyncRecordingFileSystem()
        let store = try LedgerStore.open(dataDirectory: directory.path, checkpointOptions: manualCheckpoints, fileSystem: recorder)
        store.close()
        let synced = recorder.syncedPaths
        let log = try #require(synced.firstIndex { $0.hasSuffix("/" + CheckpointLog.fileName) }, "\(synced)")
        let segment = try #require(synced.firstIndex { $0.hasSuffix(".jsonl") && $0.contains("/ledger/") }, "\(synced)")
        let ledgerDirectory = try #require(synced.firstIndex { $0 == directory.ledgerPath }, "\(synced)")
        #expect(log < segment && segment < ledgerDirectory, "\(synced)")
    }
}

/// Records the path of every file or directory synced (data or all), in order.
final class SyncRecordingFileSystem: ForwardingFileSystem, @unchecked Sendable {
    let base: any LedgerFileSystem = PosixFileSystem()
    private let state = Mutex((paths: [Int32: String](), synced: [String]()))

    var syncedPaths: [String] { state.withLock { $0.synced } }

    func open(_ path: String, flags: Int32, mode: UInt32) throws(SystemError) -> Int32 {
        let descriptor = try base.open(path, flags: flags, mode: mode)
        state.withLock { $0.paths[descriptor] = path }
        return descriptor
    }

    func synchronizeData(_ descriptor: Int32) throws(SystemError) {
        state.withLock { $0.synced.append($0.paths[descriptor] ?? "?") }
        try base.synchronizeData(descriptor)
    }

    func synchronizeAll(_ descriptor: Int32) throws(SystemError) {
        state.withLock { $0.synced.append($0.paths[descriptor] ?? "?") }
        try base.synchronizeAll(descriptor)
    }
}
