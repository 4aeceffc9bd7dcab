import Foundation
import PointCrypto
import Testing
@testable import PointLedger

/// The example of golang.org/x/mod/sumdb/note (note.go, note_test.go): a published key pair and
/// signed note, so our notes interoperate with the Go and transparency-dev tooling.
enum GoNoteVector {
    static let signerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    static let verifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    static let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let note = text + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

    static func privateKey() throws -> Ed25519PrivateKey {
        let encoded = try #require(signerKey.split(separator: "+", maxSplits: 4).last)
        let decoded = try #require(Base64.decode(encoded))
        #expect(decoded.first == 0x01)
        return try Ed25519PrivateKey(seed: Array(decoded.dropFirst()))
    }
}

@Suite("C2SP signed notes and checkpoints")
struct SignedNoteTests {
    @Test("the Go sumdb/note example: same key hash, same verifier key, byte-identical note")
    func goVector() throws {
        let key = try GoNoteVector.privateKey()
        #expect(SignedNote.keyHash(name: "PeterNeumann", publicKey: key.publicKey) == 0xc74f20a3)
        #expect(SignedNote.verifierKey(name: "PeterNeumann", publicKey: key.publicKey) == GoNoteVector.verifierKey)
        #expect(try SignedNote.sign(GoNoteVector.text, keyName: "PeterNeumann", privateKey: key) == GoNoteVector.note)
        let opened = try SignedNote.open(GoNoteVector.note, publicKey: key.publicKey)
        #expect(opened.text == GoNoteVector.text && opened.keyName == "PeterNeumann")
        #expect(throws: SignedNoteError.self) {
            try SignedNote.open(GoNoteVector.note.replacingOccurrences(of: "cryptography", with: "cryptographY"), publicKey: key.publicKey)
        }
        #expect(throws: SignedNoteError.self) { try SignedNote.open(GoNoteVector.note, publicKey: try Ed25519PrivateKey().publicKey) }
        #expect(throws: SignedNoteError.self) { try SignedNote.open(GoNoteVector.note, publicKey: key.publicKey, keyName: "EnochRoot") }
    }

    @Test("malformed notes and texts are refused")
    func malformed() throws {
        let key = try Ed25519PrivateKey()
        #expect(throws: SignedNoteError.self) { try SignedNote.sign("no newline", keyName: "k", privateKey: key) }
        #expect(throws: SignedNoteError.self) { try SignedNote.sign("a\n\nb\n", keyName: "k", privateKey: key) }
        #expect(throws: SignedNoteError.self) { try SignedNote.sign("a\n", keyName: "bad name", privateKey: key) }
        #expect(throws: SignedNoteError.self) { try SignedNote.sign("a\n", keyName: "a+b", privateKey: key) }
        for bad in ["a\n", "a\n\n", "a\n\n— k\n", "a\n\n- k AAAA\n", "a\n\n— k !!!!\n", "a\n\n— k AAAAAAAA"] {
            #expect(throws: SignedNoteError.self, "\(bad.debugDescription)") { try SignedNote.parse(bad) }
        }
    }

    @Test("checkpoint bodies round-trip; bad sizes and roots are refused")
    func checkpointBody() throws {
        let root = MerkleHashing.leafHash([UInt8]())
        let checkpoint = Checkpoint(origin: "pointconnect.sandbox/ledger", size: 42, root: root)
        #expect(checkpoint.body == "pointconnect.sandbox/ledger\n42\n\(Base64.encode(root.bytes))\n")
        #expect(try Checkpoint(body: checkpoint.body) == checkpoint)
        #expect(try Checkpoint(body: checkpoint.body + "extension line\n") == checkpoint)
        for bad in ["o\n042\n\(Base64.encode(root.bytes))\n", "o\n-1\n\(Base64.encode(root.bytes))\n", "o\n1\nAAAA\n", "\n1\n\(Base64.encode(root.bytes))\n", "o\n1\n"] {
            #expect(throws: SignedNoteError.self, "\(bad.debugDescription)") { try Checkpoint(body: bad) }
        }
        let key = try Ed25519PrivateKey()
        let note = try SignedNote.sign(checkpoint.body, keyName: checkpoint.origin, privateKey: key)
        let stored = SignedCheckpoint(checkpoint: checkpoint, note: note, time: 1_795_000_000_000_000)
        #expect(stored.jsonLine.hasPrefix("{\"note\":\"pointconnect.sandbox/ledger\\n42\\n"))
        #expect(try SignedCheckpoint(jsonLine: stored.jsonLine) == stored)
        #expect(throws: SignedNoteError.self) { try SignedCheckpoint(jsonLine: stored.jsonLine.replacingOccurrences(of: "\"size\":42", with: "\"size\":41")) }
    }
}
