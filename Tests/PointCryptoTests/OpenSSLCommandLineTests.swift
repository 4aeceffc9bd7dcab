import Foundation
import Testing
@testable import PointCrypto

/// Cross-checks against the `openssl` command line: the same digests and MACs, keys each side
/// can read, signatures each side verifies.
enum OpenSSLTool {
    static let path: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }
}

@Suite("Cross-check with the openssl command line", .enabled(if: OpenSSLTool.path != nil, "openssl is not on PATH"))
struct OpenSSLCommandLineTests {

    /// Runs openssl in `directory`; returns stdout, or throws with stderr.
    @discardableResult
    static func openssl(_ arguments: [String], in directory: URL) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: OpenSSLTool.path ?? "openssl")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CryptoError("openssl \(arguments.joined(separator: " ")): \(errorText)") }
        return Array(data)
    }

    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("openssl-xcheck-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static let message = Array("POINT Connect cross-check \u{1F4B0}".utf8)

    @Test("SHA-256 and HMAC-SHA256 equal openssl dgst / mac")
    func digests() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(Self.message).write(to: directory.appendingPathComponent("msg"))
        let digest = try Self.openssl(["dgst", "-sha256", "-binary", "msg"], in: directory)
        #expect(digest == SHA256.hash(Self.message).bytes)
        let key = Array(0..<40).map { UInt8($0 * 7 & 0xff) }
        let mac = try Self.openssl(["mac", "-digest", "SHA256", "-macopt", "hexkey:\(Hex.encode(key))", "-binary", "-in", "msg", "HMAC"], in: directory)
        #expect(mac == HMACSHA256.authenticationCode(key: key, message: Self.message))
    }

    @Test("Ed25519: our PEM keys and signatures work in openssl, and openssl's in ours")
    func ed25519() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(Self.message).write(to: directory.appendingPathComponent("msg"))
        let ours = try Ed25519PrivateKey()
        try ours.pemRepresentation().write(to: directory.appendingPathComponent("ours.pem"), atomically: true, encoding: .utf8)
        try ours.publicKey.pemRepresentation().write(to: directory.appendingPathComponent("ours.pub.pem"), atomically: true, encoding: .utf8)
        try Data(try ours.signature(for: Self.message)).write(to: directory.appendingPathComponent("ours.sig"))
        // openssl reads both PEM files and accepts our signature.
        let derived = try Self.openssl(["pkey", "-in", "ours.pem", "-pubout"], in: directory)
        #expect(String(decoding: derived, as: UTF8.self) == (try ours.publicKey.pemRepresentation()))
        try Self.openssl(["pkeyutl", "-verify", "-pubin", "-inkey", "ours.pub.pem", "-rawin", "-in", "msg", "-sigfile", "ours.sig"], in: directory)
        // A flipped signature bit makes openssl refuse.
        var bad = try ours.signature(for: Self.message)
        bad[0] ^= 1
        try Data(bad).write(to: directory.appendingPathComponent("bad.sig"))
        #expect(throws: CryptoError.self) {
            try Self.openssl(["pkeyutl", "-verify", "-pubin", "-inkey", "ours.pub.pem", "-rawin", "-in", "msg", "-sigfile", "bad.sig"], in: directory)
        }
        // openssl's key and signature verify here.
        try Self.openssl(["genpkey", "-algorithm", "ed25519", "-out", "theirs.pem"], in: directory)
        try Self.openssl(["pkeyutl", "-sign", "-inkey", "theirs.pem", "-rawin", "-in", "msg", "-out", "theirs.sig"], in: directory)
        let theirs = try Ed25519PrivateKey(pem: String(contentsOf: directory.appendingPathComponent("theirs.pem"), encoding: .utf8))
        let signature = Array(try Data(contentsOf: directory.appendingPathComponent("theirs.sig")))
        #expect(theirs.publicKey.isValidSignature(signature, for: Self.message))
        #expect(try theirs.signature(for: Self.message) == signature)
    }

    @Test("P-256: an openssl key's DER signature verifies here")
    func p256() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(Self.message).write(to: directory.appendingPathComponent("msg"))
        try Self.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem"], in: directory)
        try Self.openssl(["pkey", "-in", "ec.pem", "-pubout", "-out", "ec.pub.pem"], in: directory)
        let signature = try Self.openssl(["dgst", "-sha256", "-sign", "ec.pem", "msg"], in: directory)
        let key = try P256PublicKey(pem: String(contentsOf: directory.appendingPathComponent("ec.pub.pem"), encoding: .utf8))
        #expect(key.isValidSignature(der: signature, for: Self.message))
        #expect(!key.isValidSignature(der: signature, for: Self.message + [0]))
        // And our signature verifies in openssl.
        let ours = try P256PrivateKey(pem: String(contentsOf: directory.appendingPathComponent("ec.pem"), encoding: .utf8))
        let raw = try ours.signature(for: Self.message)
        try Data(try #require(P256PublicKey.derSignature(fromRaw: raw))).write(to: directory.appendingPathComponent("ours.sig"))
        try Self.openssl(["dgst", "-sha256", "-verify", "ec.pub.pem", "-signature", "ours.sig", "msg"], in: directory)
    }
}
