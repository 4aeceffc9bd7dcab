import PointCrypto

/// Why a signed note was refused.
public struct SignedNoteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong.
    public let reason: String
    /// An error with `reason`.
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// One signature line of a signed note: `— <name> <base64(key hash ‖ signature)>`.
public struct NoteSignature: Sendable, Equatable {
    /// The key name.
    public let name: String
    /// The 4-byte key hash, big-endian.
    public let keyHash: UInt32
    /// The signature bytes (64 for Ed25519).
    public let signature: [UInt8]
}

/// The C2SP signed-note format (https://c2sp.org/signed-note), Ed25519 keys only (type 0x01).
///
/// A note is UTF-8 text ending in a newline, then a blank line, then one line per signature:
/// `— <key name> <base64(4-byte key hash ‖ 64-byte Ed25519 signature of the text)>`. The key
/// hash is the first 4 bytes of `SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key)`.
public enum SignedNote {
    /// The signature type byte of Ed25519 keys.
    public static let ed25519Type: UInt8 = 0x01
    /// The bytes that start every signature line: U+2014 EM DASH and a space.
    static let signaturePrefix: [UInt8] = Array("— ".utf8)

    /// The key hash of an Ed25519 key named `name`.
    public static func keyHash(name: String, publicKey: Ed25519PublicKey) -> UInt32 {
        let input = Array(name.utf8) + [0x0A, ed25519Type] + publicKey.rawRepresentation
        let digest = SHA256.hash(input).bytes
        return digest[0..<4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// The verifier key string `<name>+<8 hex digits of key hash>+<base64(0x01 ‖ public key)>`
    /// as Go's `golang.org/x/mod/sumdb/note` and the transparency-dev tools read it.
    public static func verifierKey(name: String, publicKey: Ed25519PublicKey) -> String {
        let hash = keyHash(name: name, publicKey: publicKey)
        let hex = String(hash, radix: 16)
        return name + "+" + String(repeating: "0", count: 8 - hex.count) + hex + "+" + Base64.encode([ed25519Type] + publicKey.rawRepresentation)
    }

    /// True when `name` can name a key: non-empty, no whitespace, no `+`.
    public static func isValidKeyName(_ name: String) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { $0 == "+" || $0.properties.isWhitespace }
    }

    /// Signs `text` (which must end in a newline and hold no blank line or other control
    /// characters) and returns the whole note.
    public static func sign(_ text: String, keyName: String, privateKey: Ed25519PrivateKey) throws(SignedNoteError) -> String {
        guard isValidKeyName(keyName) else { throw SignedNoteError("key name \"\(keyName)\" is empty or contains whitespace or '+'") }
        let bytes = Array(text.utf8)
        guard bytes.last == 0x0A else { throw SignedNoteError("note text must end with a newline") }
        guard !bytes.contains(where: { $0 < 0x20 && $0 != 0x0A }), !text.contains("\n\n"), bytes.first != 0x0A else {
            throw SignedNoteError("note text must not contain blank lines or control characters")
        }
        let signature: [UInt8]
        do { signature = try privateKey.signature(for: bytes) } catch { throw SignedNoteError("signing failed: \(error)") }
        let hash = keyHash(name: keyName, publicKey: privateKey.publicKey)
        let blob = [UInt8(hash >> 24), UInt8(hash >> 16 & 0xFF), UInt8(hash >> 8 & 0xFF), UInt8(hash & 0xFF)] + signature
        return text + "\n— " + keyName + " " + Base64.encode(blob) + "\n"
    }

    /// Splits a note into its text (ending in a newline) and its signature lines, without
    /// checking any signature.
    public static func parse(_ note: String) throws(SignedNoteError) -> (text: String, signatures: [NoteSignature]) {
        let bytes = Array(note.utf8)
        guard bytes.last == 0x0A else { throw SignedNoteError("a signed note must end with a newline") }
        var split: Int?
        var index = bytes.count - 2
        while index >= 0 {
            if bytes[index] == 0x0A && bytes[index + 1] == 0x0A { split = index; break }
            index -= 1
        }
        guard let split else { throw SignedNoteError("a signed note needs a blank line between the text and the signatures") }
        let text = String(decoding: bytes[0...split], as: UTF8.self)
        var signatures: [NoteSignature] = []
        for line in bytes[(split + 2)...].split(separator: 0x0A, omittingEmptySubsequences: false).dropLast() {
            guard line.starts(with: signaturePrefix) else { throw SignedNoteError("signature line does not start with \"— \"") }
            let fields = line.dropFirst(signaturePrefix.count).split(separator: 0x20, omittingEmptySubsequences: false)
            guard fields.count == 2 else { throw SignedNoteError("signature line must be \"— <name> <signature>\"") }
            let name = String(decoding: fields[0], as: UTF8.self)
            guard isValidKeyName(name) else { throw SignedNoteError("signature line has an invalid key name \"\(name)\"") }
            guard let blob = Base64.decode(String(decoding: fields[1], as: UTF8.self)), blob.count >= 5 else {
                throw SignedNoteError("signature of \"\(name)\" is not base64 of a key hash and a signature")
            }
            let hash = blob[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            signatures.append(NoteSignature(name: name, keyHash: hash, signature: Array(blob[4...])))
        }
        guard !signatures.isEmpty else { throw SignedNoteError("the note has no signature lines") }
        return (text, signatures)
    }

    /// Verifies that `note` carries a valid signature by `publicKey` — under any key name whose
    /// key hash matches, or only under `keyName` when given — and returns the signed text and
    /// the key name used.
    public static func open(_ note: String, publicKey: Ed25519PublicKey, keyName: String? = nil) throws(SignedNoteError) -> (text: String, keyName: String) {
        let (text, signatures) = try parse(note)
        let candidates = signatures.filter { signature in
            (keyName == nil || signature.name == keyName) && signature.keyHash == keyHash(name: signature.name, publicKey: publicKey)
        }
        guard !candidates.isEmpty else {
            let names = signatures.map(\.name).joined(separator: ", ")
            throw SignedNoteError("no signature line is by this public key (lines by: \(names)); the key hash does not match")
        }
        let textBytes = Array(text.utf8)
        for candidate in candidates where publicKey.isValidSignature(candidate.signature, for: textBytes) {
            return (text, candidate.name)
        }
        throw SignedNoteError("the Ed25519 signature of \"\(candidates[0].name)\" does not verify: the note was altered or signed by another key")
    }
}
