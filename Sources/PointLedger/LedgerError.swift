/// Every way the ledger refuses to open, append or read — each says where and what to do.
public enum LedgerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The caller's entry is malformed; nothing was appended.
    case invalidEntry(String)
    /// A stored record is damaged or out of order: names the segment file, byte offset and seq.
    case corrupt(file: String, offset: Int, seq: UInt64, reason: String)
    /// An earlier write or fsync failed; no append succeeds until the process restarts.
    case poisoned(String)
    /// An I/O call failed (open, read, directory listing…).
    case io(operation: String, path: String, errno: Int32)
    /// The ledger is closed.
    case closed
    /// Too many appends are waiting; retry later.
    case overloaded(String)
    /// Another process holds the data directory.
    case locked(String)
    /// A proof, root or leaf was asked for a tree size past the durable records.
    case beyondDurableSize(requested: UInt64, durable: UInt64)
    /// A proof or leaf request that can never be answered (seq 0, seq past the tree size, from > to).
    case invalidProofRequest(String)
    /// A line of `checkpoints.jsonl` is unreadable, badly signed, or does not match the records:
    /// names the line number (1-based) and, when known, the checkpoint's tree size.
    case checkpointInvalid(line: Int, size: UInt64?, reason: String)
    /// The checkpoint signing or verification key is missing, unreadable or inconsistent.
    case checkpointKey(path: String, reason: String)
    /// `ledger cut` refused: what it was asked to cut is not a commit a power loss left
    /// unfinished (see ``UnfinishedCommitCut``); nothing was changed.
    case cutRefused(String)

    public var description: String {
        switch self {
        case .invalidEntry(let reason):
            return "invalid ledger entry: \(reason)"
        case .corrupt(let file, let offset, let seq, let reason):
            return "ledger is damaged in \(file) at byte \(offset) (seq \(seq)): \(reason). Records from there on can't be trusted: restore the file from a replica or backup."
        case .poisoned(let reason):
            return "the ledger refuses writes after a storage failure (\(reason)); nothing unacknowledged was reported as saved. Fix the storage and restart the service."
        case .io(let operation, let path, let code):
            return "\(operation) \(path) failed: \(ErrnoName.describe(code))"
        case .closed:
            return "the ledger is closed"
        case .overloaded(let reason):
            return "the ledger is overloaded: \(reason); retry shortly"
        case .locked(let path):
            return "the data directory \(path) is in use by another pointconnect process; stop it (Ctrl-C or SIGTERM) or use another --data-dir"
        case .beyondDurableSize(let requested, let durable):
            return "tree size \(requested) is beyond the ledger's \(durable) durable records; ask for a size up to \(durable)"
        case .invalidProofRequest(let reason):
            return "invalid proof request: \(reason)"
        case .checkpointInvalid(let line, let size, let reason):
            let sizeText = size.map { " (tree size \($0))" } ?? ""
            return "checkpoint on line \(line) of checkpoints.jsonl\(sizeText) is invalid: \(reason)"
        case .checkpointKey(let path, let reason):
            return "checkpoint key \(path): \(reason)"
        case .cutRefused(let reason):
            return "nothing was cut: \(reason)"
        }
    }
}

/// Readable names for the errno values storage code meets.
enum ErrnoName {
    static func describe(_ code: Int32) -> String {
        let names: [Int32: String] = [
            1: "EPERM (operation not permitted)", 2: "ENOENT (no such file or directory)", 5: "EIO (input/output error)",
            9: "EBADF (bad file descriptor)", 11: "EAGAIN (resource temporarily unavailable)", 13: "EACCES (permission denied)",
            17: "EEXIST (file exists)", 20: "ENOTDIR (not a directory)", 21: "EISDIR (is a directory)",
            22: "EINVAL (invalid argument)", 24: "EMFILE (too many open files)", 27: "EFBIG (file too large)",
            28: "ENOSPC (no space left on device)", 30: "EROFS (read-only file system)", 122: "EDQUOT (disk quota exceeded)",
        ]
        return names[code] ?? "errno \(code)"
    }
}
