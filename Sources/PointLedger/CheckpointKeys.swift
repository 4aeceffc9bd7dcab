#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PointCrypto

/// The checkpoint signing key in `DATA_DIR/keys/`: `checkpoint-ed25519.pem` (PKCS#8, mode
/// 0600) and its public half `checkpoint-ed25519.pub.pem` (SubjectPublicKeyInfo), which is
/// what auditors are given.
public enum CheckpointKeys {
    /// The private key's path inside the data directory.
    public static let privateKeyPath = "keys/checkpoint-ed25519.pem"
    /// The public key's path inside the data directory.
    public static let publicKeyPath = "keys/checkpoint-ed25519.pub.pem"

    /// Reads the signing key, creating it (and the public key file) on first use. Refuses a
    /// public key file that does not belong to the private key.
    ///
    /// - Parameter inUse: why the data directory already depends on its key (signed checkpoints,
    ///   ledger records), or nil for a new directory. A missing private key is then refused and
    ///   nothing is created: a new key would not verify what the old one signed, and the real one
    ///   may only be missing for a while (a volume not mounted yet).
    public static func loadOrCreate(dataDirectory: String, fileSystem: any LedgerFileSystem = PosixFileSystem(),
                                    inUse: String? = nil,
                                    log: (String) -> Void = { _ in }) throws(LedgerError) -> Ed25519PrivateKey {
        let directory = dataDirectory + "/keys"
        let privatePath = dataDirectory + "/" + privateKeyPath
        let publicPath = dataDirectory + "/" + publicKeyPath
        let key: Ed25519PrivateKey
        if let pem = try readFile(privatePath) {
            do { key = try Ed25519PrivateKey(pem: pem) } catch {
                throw LedgerError.checkpointKey(path: privatePath, reason: "not an Ed25519 PKCS#8 PEM private key (\(error))")
            }
        } else {
            let publicKeyExists = FileManager.default.fileExists(atPath: publicPath)
            if let inUse = inUse ?? (publicKeyExists ? "its public key \(publicKeyPath) exists" : nil) {
                throw LedgerError.checkpointKey(path: privatePath, reason: """
                    missing, but this data directory already depends on it (\(inUse)); restore the key from \
                    your backup (with \(publicKeyPath)) — a new key would not verify what the old one signed. \
                    Nothing was created
                    """)
            }
            // Only a new key needs the directory made (and nothing is made before a refusal).
            do { try fileSystem.makeDirectory(directory) } catch {
                throw LedgerError.io(operation: "creating directory", path: directory, errno: error.code)
            }
            do { key = try Ed25519PrivateKey() } catch { throw LedgerError.checkpointKey(path: privatePath, reason: "generating a key failed: \(error)") }
            let pem: String
            do { pem = try key.pemRepresentation() } catch { throw LedgerError.checkpointKey(path: privatePath, reason: "encoding the key failed: \(error)") }
            try writeNewFile(privatePath, pem, mode: 0o600, fileSystem: fileSystem)
            log("checkpoints: created signing key \(privatePath)")
        }
        let publicPEM: String
        do { publicPEM = try key.publicKey.pemRepresentation() } catch {
            throw LedgerError.checkpointKey(path: publicPath, reason: "encoding the public key failed: \(error)")
        }
        if let existing = try loadPublicKey(path: publicPath) {
            guard existing == key.publicKey else {
                throw LedgerError.checkpointKey(path: publicPath, reason: "this public key does not belong to \(privateKeyPath); restore the matching pair")
            }
        } else {
            try writeNewFile(publicPath, publicPEM, mode: 0o644, fileSystem: fileSystem)
        }
        do { try fileSystem.synchronizeDirectory(directory) } catch {
            throw LedgerError.io(operation: "syncing directory", path: directory, errno: error.code)
        }
        return key
    }

    /// Reads a SubjectPublicKeyInfo PEM Ed25519 public key; `nil` when the file does not exist.
    public static func loadPublicKey(path: String) throws(LedgerError) -> Ed25519PublicKey? {
        guard let pem = try readFile(path) else { return nil }
        do { return try Ed25519PublicKey(pem: pem) } catch {
            throw LedgerError.checkpointKey(path: path, reason: "not an Ed25519 public key PEM (\(error))")
        }
    }

    private static func readFile(_ path: String) throws(LedgerError) -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw LedgerError.checkpointKey(path: path, reason: "unreadable: \(error.localizedDescription)")
        }
    }

    private static func writeNewFile(_ path: String, _ text: String, mode: UInt32, fileSystem: any LedgerFileSystem) throws(LedgerError) {
        do {
            let descriptor = try fileSystem.open(path, flags: O_WRONLY | O_CREAT | O_EXCL, mode: mode)
            defer { fileSystem.close(descriptor) }
            _ = fchmod(descriptor, mode_t(mode))
            try Array(text.utf8).withUnsafeBytes { raw in try fileSystem.writeAll(descriptor, raw) }
            try fileSystem.synchronizeAll(descriptor)
        } catch {
            throw LedgerError.io(operation: "writing", path: path, errno: (error as? SystemError)?.code ?? EIO)
        }
    }
}
