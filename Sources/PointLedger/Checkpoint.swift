import PointCrypto
import PointJSON

/// A C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the log's origin, a tree size
/// and the RFC 6962 root of the first `size` records.
///
/// Its body — the text that is signed — is three lines, each ending in `\n`:
/// `<origin>`, the size in decimal, and the standard padded base64 of the 32-byte root.
public struct Checkpoint: Sendable, Equatable {
    /// The log's origin line, e.g. `pointconnect.sandbox/ledger`.
    public let origin: String
    /// The tree size: records `1…size`.
    public let size: UInt64
    /// The Merkle root of that tree.
    public let root: SHA256Digest

    /// A checkpoint of `size` records with `root`.
    public init(origin: String, size: UInt64, root: SHA256Digest) {
        self.origin = origin
        self.size = size
        self.root = root
    }

    /// The signed text: `origin\nsize\nbase64(root)\n`.
    public var body: String { "\(origin)\n\(size)\n\(Base64.encode(root.bytes))\n" }

    /// Parses a checkpoint body. Extension lines after the root are allowed and ignored.
    public init(body: String) throws(SignedNoteError) {
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        guard body.hasSuffix("\n"), lines.count >= 4 else { throw SignedNoteError("a checkpoint needs an origin, a size and a root hash line") }
        guard !lines[0].isEmpty else { throw SignedNoteError("the checkpoint origin line is empty") }
        let sizeText = lines[1]
        guard !sizeText.isEmpty, sizeText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), sizeText == "0" || !sizeText.hasPrefix("0"),
              let size = UInt64(sizeText) else {
            throw SignedNoteError("the checkpoint size \"\(sizeText)\" is not a decimal number without leading zeros")
        }
        guard let rootBytes = Base64.decode(lines[2]), let root = SHA256Digest(bytes: rootBytes) else {
            throw SignedNoteError("the checkpoint root \"\(lines[2])\" is not the base64 of 32 bytes")
        }
        self.init(origin: String(lines[0]), size: size, root: root)
    }
}

/// A signed checkpoint as stored in `checkpoints.jsonl`: the whole signed note and when it
/// was taken.
///
/// Stored as one canonical JSON line: `{"note":"<signed note>","size":N,"time":"<ledger time>"}`
/// (members sorted, `\n` in the note escaped as `\n`).
public struct SignedCheckpoint: Sendable, Equatable {
    /// The checkpoint the note signs.
    public let checkpoint: Checkpoint
    /// The full signed note: body, blank line, signature line(s).
    public let note: String
    /// When it was taken, in microseconds since 1970 (UTC).
    public let time: Int64

    /// A stored checkpoint. `note` must carry `checkpoint.body` as its text.
    public init(checkpoint: Checkpoint, note: String, time: Int64) {
        self.checkpoint = checkpoint
        self.note = note
        self.time = time
    }

    /// The tree size.
    public var size: UInt64 { checkpoint.size }

    /// The JSON line (without its `\n`).
    public var jsonLine: String {
        CanonicalJSON.string(["note": .string(note), "size": .int(Int64(checkpoint.size)), "time": .string(LedgerTime.format(time))])
    }

    /// Parses one line of `checkpoints.jsonl` (without its `\n`) and the checkpoint inside the
    /// note; checks that `size` agrees with the note. Does not check the signature.
    public init(jsonLine line: String) throws(SignedNoteError) {
        let value: JSONValue
        do { value = try JSONParser.parse(line) } catch { throw SignedNoteError("not JSON: \(error)") }
        guard let note = value["note"]?.stringValue, let size = value["size"]?.intValue, size >= 0,
              let timeText = value["time"]?.stringValue else {
            throw SignedNoteError("a checkpoint line needs \"note\" (string), \"size\" (integer) and \"time\" (string)")
        }
        guard let time = LedgerTime.parse(timeText) else { throw SignedNoteError("time \"\(timeText)\" is not a ledger time") }
        let checkpoint = try Checkpoint(body: try SignedNote.parse(note).text)
        guard checkpoint.size == UInt64(size) else {
            throw SignedNoteError("\"size\" is \(size) but the signed note says \(checkpoint.size)")
        }
        self.init(checkpoint: checkpoint, note: note, time: time)
    }
}
