import Foundation
import PointCrypto

/// A whole data directory: the ledger in `ledger/`, the signed checkpoints in
/// `checkpoints.jsonl` and the signing key in `keys/`. The entry point for the service.
///
/// Opening reads the newest checkpoint first and passes its size to the ledger as
/// `protectedSeq` (records below a signed checkpoint were acknowledged, so damage there is
/// never mistaken for a torn write), then checks that checkpoint's signature and that its root
/// equals the root of the records — a ledger that disagrees with its own signed checkpoint does
/// not open.
public final class LedgerStore: Sendable {
    /// The data directory.
    public let dataDirectory: String
    /// The ledger: append with ``Ledger/append(_:)``, read with ``Ledger/records(from:limit:through:)``.
    public let ledger: Ledger
    /// The checkpointer; see ``checkpoint()`` and ``latestCheckpoint``.
    public let checkpointer: Checkpointer
    /// The public key that verifies this store's checkpoints.
    public let publicKey: Ed25519PublicKey
    /// The signed-note key name of the checkpoints.
    public let keyName: String
    /// The checkpoint origin line.
    public let origin: String
    /// The data directory's lock, held from before the checkpoint log is read until the last
    /// checkpoint is written at close.
    private let directoryLock: LedgerDirectoryLock

    /// Opens (creating when needed) the data directory, replaying every record through `replay`.
    ///
    /// `commitObserver` and `idleObserver` are passed to ``Ledger/open(directory:options:fileSystem:protectedSeq:log:commitObserver:idleObserver:poisonObserver:replay:)``;
    /// the store chains its own checkpoint trigger in front of `commitObserver`, and logs a poisoned
    /// ledger through the checkpoint options' `log`.
    public static func open(
        dataDirectory: String,
        options: LedgerOptions = LedgerOptions(),
        checkpointOptions: CheckpointOptions = CheckpointOptions(),
        fileSystem: any LedgerFileSystem = PosixFileSystem(),
        log: (String) -> Void = { _ in },
        commitObserver: (@Sendable (CommitStatistics) -> Void)? = nil,
        idleObserver: (@Sendable () -> Void)? = nil,
        replay: (ReplayedRecord) throws(LedgerError) -> Void = { _ in }
    ) throws(LedgerError) -> LedgerStore {
        let keyName = checkpointOptions.keyName ?? checkpointOptions.origin
        guard SignedNote.isValidKeyName(keyName) else {
            throw LedgerError.checkpointKey(path: CheckpointKeys.privateKeyPath, reason: "the key name \"\(keyName)\" is empty or contains whitespace or '+'")
        }
        guard !checkpointOptions.origin.isEmpty, !checkpointOptions.origin.contains("\n") else {
            throw LedgerError.invalidEntry("the checkpoint origin must be one non-empty line")
        }
        do { try fileSystem.makeDirectory(dataDirectory) } catch {
            throw LedgerError.io(operation: "creating directory", path: dataDirectory, errno: error.code)
        }
        // The directory's lock before anything is read: a store still closing elsewhere appends
        // its last checkpoint after its ledger closed, and reading the log before that would cut
        // those lines off. It is held until this store's own last checkpoint is written.
        let ledgerDirectory = dataDirectory + "/ledger"
        do { try fileSystem.makeDirectory(ledgerDirectory) } catch {
            throw LedgerError.io(operation: "creating directory", path: ledgerDirectory, errno: error.code)
        }
        let directoryLock = try LedgerDirectoryLock.acquire(ledgerDirectory)
        do {
            return try openLocked(dataDirectory: dataDirectory, options: options, checkpointOptions: checkpointOptions, fileSystem: fileSystem,
                                  log: log, commitObserver: commitObserver, idleObserver: idleObserver, replay: replay,
                                  keyName: keyName, directoryLock: directoryLock)
        } catch {
            directoryLock.release()
            throw error
        }
    }

    private static func openLocked(
        dataDirectory: String, options: LedgerOptions, checkpointOptions: CheckpointOptions, fileSystem: any LedgerFileSystem,
        log: (String) -> Void, commitObserver: (@Sendable (CommitStatistics) -> Void)?, idleObserver: (@Sendable () -> Void)?,
        replay: (ReplayedRecord) throws(LedgerError) -> Void, keyName: String, directoryLock: LedgerDirectoryLock
    ) throws(LedgerError) -> LedgerStore {
        let checkpointPath = dataDirectory + "/" + CheckpointLog.fileName
        try CheckpointLog.settle(path: checkpointPath, fileSystem: fileSystem)
        let scan = try CheckpointLog.scan(path: checkpointPath, fileSystem: fileSystem)
        let key = try CheckpointKeys.loadOrCreate(dataDirectory: dataDirectory, fileSystem: fileSystem,
                                                  inUse: try keyDependence(dataDirectory, checkpointLines: scan.lines, fileSystem: fileSystem),
                                                  log: log)
        var latest: SignedCheckpoint?
        if let parsed = try CheckpointLog.newest(in: scan) {
            do { _ = try SignedNote.open(parsed.note, publicKey: key.publicKey) } catch {
                throw LedgerError.checkpointInvalid(line: scan.lines, size: nil, reason: "\(error). Run 'pointconnect ledger verify' on the data directory")
            }
            // A log has one origin: signing under another would mix two names in one history.
            guard parsed.checkpoint.origin == checkpointOptions.origin else {
                throw LedgerError.checkpointInvalid(line: scan.lines, size: parsed.size, reason: """
                    this directory's checkpoints are for origin "\(parsed.checkpoint.origin)", and this run would sign as \
                    "\(checkpointOptions.origin)"; one log has one origin. Use the directory with the deployment it belongs to: \
                    pointconnect.sandbox/ledger with `pointconnect sandbox`, pointconnect.production/ledger with \
                    `pointconnect serve` (`ledger checkpoint` takes the directory's own origin)
                    """)
            }
            latest = parsed
        }
        let box = CheckpointerBox()
        let ledger = try Ledger.open(
            directory: dataDirectory + "/ledger", options: options, fileSystem: fileSystem, protectedSeq: latest?.size ?? 0, log: log,
            commitObserver: { statistics in
                box.checkpointer?.noteCommit(durableSeq: statistics.durableSeq)
                commitObserver?(statistics)
            },
            idleObserver: idleObserver,
            poisonObserver: { [log = checkpointOptions.log] error in
                log("ledger: refusing every write until restart: \(error)")
            },
            replay: replay, heldLock: directoryLock)
        do throws(LedgerError) {
            if let latest {
                guard latest.size <= ledger.durableSeq else {
                    throw LedgerError.checkpointInvalid(line: scan.lines, size: latest.size, reason: "the ledger holds only \(ledger.durableSeq) records: signed, acknowledged records are missing; restore the ledger from a replica or backup")
                }
                let root = try ledger.root(size: latest.size)
                guard root == latest.checkpoint.root else {
                    throw LedgerError.checkpointInvalid(line: scan.lines, size: latest.size, reason: "its root \(latest.checkpoint.root.hex) differs from the root of records 1…\(latest.size) (\(root.hex)): the ledger was altered after it was signed")
                }
            }
            if scan.fileBytes > scan.validBytes {
                log("checkpoints: cut off an incomplete last line of \(CheckpointLog.fileName) (\(scan.fileBytes - scan.validBytes) bytes): an append interrupted by a crash, never acknowledged")
            }
            let writer = try CheckpointLogWriter(path: checkpointPath, directory: dataDirectory, truncateTo: scan.validBytes, fileSystem: fileSystem)
            let checkpointer = Checkpointer(options: checkpointOptions, signingKey: key, writer: writer, latest: latest)
            box.set(checkpointer)
            checkpointer.start(ledger: ledger)
            return LedgerStore(dataDirectory: dataDirectory, ledger: ledger, checkpointer: checkpointer, publicKey: key.publicKey,
                               keyName: keyName, origin: checkpointOptions.origin, directoryLock: directoryLock)
        } catch {
            ledger.close()
            throw error
        }
    }

    private init(dataDirectory: String, ledger: Ledger, checkpointer: Checkpointer, publicKey: Ed25519PublicKey, keyName: String, origin: String,
                 directoryLock: LedgerDirectoryLock) {
        self.directoryLock = directoryLock
        self.dataDirectory = dataDirectory
        self.ledger = ledger
        self.checkpointer = checkpointer
        self.publicKey = publicKey
        self.keyName = keyName
        self.origin = origin
    }

    /// The verifier key string (`<name>+<hash>+<base64>`) for signed-note tooling.
    public var verifierKey: String { SignedNote.verifierKey(name: keyName, publicKey: publicKey) }

    /// The newest signed checkpoint, if any was taken.
    public var latestCheckpoint: SignedCheckpoint? { checkpointer.latestCheckpoint }

    /// Takes a signed checkpoint of every durable record now (the newest one when nothing new is
    /// durable). The signing and the fdatasync run on the checkpointer thread.
    public func checkpoint() async throws(LedgerError) -> SignedCheckpoint { try await checkpointer.checkpoint() }

    /// The RFC 6962 root of records `1…size`; sizes past the durable records are refused.
    public func root(size: UInt64) throws(LedgerError) -> SHA256Digest { try ledger.root(size: size) }

    /// The leaf hash of durable record `seq`.
    public func leafHash(seq: UInt64) throws(LedgerError) -> SHA256Digest { try ledger.leafHash(seq: seq) }

    /// The inclusion proof of record `seq` in the tree of `treeSize` records.
    public func inclusionProof(seq: UInt64, treeSize: UInt64) throws(LedgerError) -> [SHA256Digest] {
        try ledger.inclusionProof(seq: seq, treeSize: treeSize)
    }

    /// The consistency proof between the trees of `from` and `to` records.
    public func consistencyProof(from: UInt64, to: UInt64) throws(LedgerError) -> [SHA256Digest] {
        try ledger.consistencyProof(from: from, to: to)
    }

    /// Closes the ledger (writing everything queued), takes a last checkpoint of any records not
    /// yet covered (when checkpoints are automatic) and stops the checkpointer. Blocks.
    public func close() {
        ledger.close()
        checkpointer.stop()
        // Only now may another process open the directory: the last checkpoint is written.
        directoryLock.release()
    }
}

/// Lets the ledger's commit observer, created before the checkpointer, reach it.
private final class CheckpointerBox: @unchecked Sendable {
    private let lock = NSLock()
    private weak var value: Checkpointer?
    var checkpointer: Checkpointer? { lock.withLock { value } }
    func set(_ checkpointer: Checkpointer) { lock.withLock { value = checkpointer } }
}

extension LedgerStore {
    /// The origin of the newest checkpoint in `dataDirectory` (unverified: opening checks its
    /// signature), or nil when there is none — what a tool signs under when not told otherwise.
    public static func checkpointOrigin(dataDirectory: String, fileSystem: any LedgerFileSystem = PosixFileSystem()) throws(LedgerError) -> String? {
        try CheckpointLog.newest(dataDirectory: dataDirectory, fileSystem: fileSystem)?.checkpoint.origin
    }

    /// What in `dataDirectory` was made with its signing key: signed checkpoints or ledger
    /// records (each was covered, or will be, by a checkpoint of that key); nil for a new directory.
    static func keyDependence(_ dataDirectory: String, checkpointLines: Int, fileSystem: any LedgerFileSystem) throws(LedgerError) -> String? {
        if checkpointLines > 0 { return "\(checkpointLines) signed checkpoint line(s) in \(CheckpointLog.fileName)" }
        var isDirectory: ObjCBool = false
        let ledgerDirectory = dataDirectory + "/ledger"
        guard FileManager.default.fileExists(atPath: ledgerDirectory, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        let segments = try SegmentDirectory.list(ledgerDirectory, fileSystem: fileSystem)
        return segments.isEmpty ? nil : "\(segments.count) ledger segment file(s) in ledger/"
    }
}
