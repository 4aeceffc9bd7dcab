import Foundation
import PointCrypto

/// The service's secrets on disk: API credentials and LINE Login channel secrets, in
/// `DATA/keys/credentials.json` (mode 0600). They never enter the ledger. Every change rewrites
/// the file atomically (temporary file, fsync, rename, directory fsync).
public final class CredentialVault: @unchecked Sendable {
    /// One stored API credential.
    public struct StoredCredential: Sendable, Equatable {
        /// An earlier secret still accepted after a rotation, until `validUntil` (Unix ms).
        public struct PreviousSecret: Sendable, Equatable {
            public var secret: String
            public var validUntil: Int64
            public init(secret: String, validUntil: Int64) {
                self.secret = secret
                self.validUntil = validUntil
            }
        }

        public var keyID: String
        public var secret: String
        public var role: CallerRole
        public var merchantID: String?
        /// Earlier secrets of a rotation's overlap, oldest first (kept across restarts).
        public var previous: [PreviousSecret]

        public init(keyID: String, secret: String, role: CallerRole, merchantID: String?, previous: [PreviousSecret] = []) {
            self.keyID = keyID
            self.secret = secret
            self.role = role
            self.merchantID = merchantID
            self.previous = previous
        }
    }

    /// The nonce of a request whose answer carried a secret (a credential rotation), kept
    /// until its replay window ends so that a restart, which empties the in-memory replay cache,
    /// does not let the captured request be accepted once more.
    public struct RememberedNonce: Sendable, Equatable {
        /// The key id that signed the request (a reviewer's).
        public var keyID: String
        /// The nonce as the replay cache keys it (``RequestNonce/replayKey``).
        public var nonce: String
        /// Unix ms after which the nonce is refused as stale anyway.
        public var until: Int64
        public init(keyID: String, nonce: String, until: Int64) {
            self.keyID = keyID
            self.nonce = nonce
            self.until = until
        }
    }

    private let lock = NSLock()
    private let path: String
    private var credentials: [String: StoredCredential] = [:]
    private var loginSecrets: [String: String] = [:]
    private var rememberedNonces: [RememberedNonce] = []

    /// Most entries the vault holds.
    public static let maxEntries = 100_000
    /// Most remembered nonces kept; the oldest go first (a window holds far fewer rotations).
    public static let maxRememberedNonces = 1_000

    /// Opens (or starts) the vault file at `path`.
    public init(path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { return }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let document = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CredentialVaultError("\(path) is not a JSON object")
        }
        for (index, entry) in (document["credentials"] as? [[String: Any]] ?? []).enumerated() {
            guard let keyID = entry["keyId"] as? String, let secret = entry["secret"] as? String,
                let roleName = entry["role"] as? String, let role = CallerRole(rawValue: roleName)
            else { throw CredentialVaultError("\(path): credentials[\(index)] needs keyId, secret and role") }
            var previous: [StoredCredential.PreviousSecret] = []
            for (position, earlier) in (entry["previous"] as? [[String: Any]] ?? []).enumerated() {
                guard let earlierSecret = earlier["secret"] as? String, let validUntil = (earlier["validUntil"] as? NSNumber)?.int64Value else {
                    throw CredentialVaultError("\(path): credentials[\(index)].previous[\(position)] needs secret and validUntil")
                }
                previous.append(.init(secret: earlierSecret, validUntil: validUntil))
            }
            credentials[keyID] = StoredCredential(keyID: keyID, secret: secret, role: role, merchantID: entry["merchantId"] as? String,
                                                  previous: previous)
        }
        for (channel, secret) in document["loginChannelSecrets"] as? [String: String] ?? [:] { loginSecrets[channel] = secret }
        for (index, entry) in (document["rememberedNonces"] as? [[String: Any]] ?? []).enumerated() {
            guard let keyID = entry["keyId"] as? String, let nonce = entry["nonce"] as? String,
                  let until = (entry["until"] as? NSNumber)?.int64Value else {
                throw CredentialVaultError("\(path): rememberedNonces[\(index)] needs keyId, nonce and until")
            }
            rememberedNonces.append(RememberedNonce(keyID: keyID, nonce: nonce, until: until))
        }
    }

    /// Nonces of secret-carrying requests, kept until their `until` (see ``RememberedNonce``).
    public var allRememberedNonces: [RememberedNonce] { lock.withLock { rememberedNonces } }

    public var allCredentials: [StoredCredential] { lock.withLock { credentials.values.sorted { $0.keyID < $1.keyID } } }

    public func loginChannelSecret(_ channelID: String) -> String? { lock.withLock { loginSecrets[channelID] } }

    public var allLoginChannelSecrets: [String: String] { lock.withLock { loginSecrets } }

    /// Stores (or replaces) a credential and writes the file; when the write fails, the vault
    /// keeps what it held (a later write must not put an undelivered secret on disk). With
    /// `nonce`, the request that issued the secret is remembered in the same write (see
    /// ``RememberedNonce``); nonces whose window ended before it began are dropped.
    public func store(_ credential: StoredCredential, remembering nonce: RememberedNonce? = nil) throws {
        try lock.withLock {
            guard credentials.count < Self.maxEntries || credentials[credential.keyID] != nil else {
                throw CredentialVaultError("the vault holds its maximum of \(Self.maxEntries) credentials")
            }
            let previous = credentials[credential.keyID]
            let nonces = rememberedNonces
            credentials[credential.keyID] = credential
            if let nonce {
                // A nonce whose `until` is an hour before this one's has been stale for long.
                rememberedNonces.removeAll { $0.until < nonce.until - 3_600_000 }
                rememberedNonces.append(nonce)
                if rememberedNonces.count > Self.maxRememberedNonces {
                    rememberedNonces.removeFirst(rememberedNonces.count - Self.maxRememberedNonces)
                }
            }
            do { try write() } catch {
                credentials[credential.keyID] = previous
                rememberedNonces = nonces
                throw error
            }
        }
    }

    /// Stores a LINE Login channel secret and writes the file (keeping the previous one when the
    /// write fails).
    public func storeLoginChannelSecret(_ secret: String, channelID: String) throws {
        try lock.withLock {
            let previous = loginSecrets[channelID]
            loginSecrets[channelID] = secret
            do { try write() } catch {
                loginSecrets[channelID] = previous
                throw error
            }
        }
    }

    /// A fresh random secret: 32 bytes, base64url.
    public static func newSecret() throws -> String {
        Base64.encodeURL(try SecureRandom.bytes(32))
    }

    private func write() throws {
        let document: [String: Any] = [
            "credentials": credentials.values.sorted { $0.keyID < $1.keyID }.map { credential -> [String: Any] in
                var entry: [String: Any] = ["keyId": credential.keyID, "secret": credential.secret, "role": credential.role.rawValue]
                if let merchantID = credential.merchantID { entry["merchantId"] = merchantID }
                if !credential.previous.isEmpty {
                    entry["previous"] = credential.previous.map { ["secret": $0.secret, "validUntil": NSNumber(value: $0.validUntil)] as [String: Any] }
                }
                return entry
            },
            "loginChannelSecrets": loginSecrets,
            "rememberedNonces": rememberedNonces.map { ["keyId": $0.keyID, "nonce": $0.nonce, "until": NSNumber(value: $0.until)] as [String: Any] },
        ]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw CredentialVaultError("can't write \(temporary): errno \(errno)") }
        let written = data.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == data.count, synced == 0 else { throw CredentialVaultError("writing \(temporary) failed: errno \(errno)") }
        guard rename(temporary, path) == 0 else { throw CredentialVaultError("renaming \(temporary) failed: errno \(errno)") }
        let directoryDescriptor = open(directory, O_RDONLY)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }
}

/// Why the credential vault could not be read or written.
public struct CredentialVaultError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
