import Synchronization

/// Why a ``CredentialStore`` change was refused.
public enum CredentialStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A credential with this key id exists already.
    case duplicateKeyId(String)
    /// No credential has this key id.
    case unknownKeyId(String)
    /// The store holds its maximum number of credentials.
    case full(capacity: Int)
    /// The new secret is invalid.
    case invalidCredential(CredentialError)

    public var description: String {
        switch self {
        case .duplicateKeyId(let keyId): return "a credential with key id \(keyId) exists already"
        case .unknownKeyId(let keyId): return "no credential has key id \(keyId)"
        case .full(let capacity): return "the credential store is full (\(capacity) credentials)"
        case .invalidCredential(let error): return error.message
        }
    }
}

/// The active credentials, looked up by key id; thread-safe.
///
/// Rotation can keep the previous secret valid for an overlap period so callers can switch
/// without downtime; a second rotation within that period keeps the earlier secrets valid until
/// their own ends (at most ``maxPreviousSecrets``). Revocation takes effect for the next request.
public final class CredentialStore: Sendable {
    /// Most credentials held unless configured otherwise.
    public static let defaultCapacity = 100_000

    /// Most credentials held.
    public let capacity: Int

    /// Most earlier secrets kept valid at once (each until its own end of validity).
    public static let maxPreviousSecrets = 3

    private struct Entry {
        var credential: Credential
        /// Earlier secrets still accepted, oldest first, each until its Unix ms.
        var previous: [(secret: [UInt8], validUntil: Int64)] = []
    }

    private let entries: Mutex<[String: Entry]>

    /// A store holding `credentials` (which must have distinct key ids).
    public init(_ credentials: [Credential] = [], capacity: Int = CredentialStore.defaultCapacity) throws(CredentialStoreError) {
        self.capacity = max(1, capacity)
        var initial: [String: Entry] = [:]
        for credential in credentials {
            guard initial[credential.keyId] == nil else { throw .duplicateKeyId(credential.keyId) }
            guard initial.count < self.capacity else { throw .full(capacity: self.capacity) }
            initial[credential.keyId] = Entry(credential: credential)
        }
        entries = Mutex(initial)
    }

    /// Adds a credential with a new key id.
    public func add(_ credential: Credential) throws(CredentialStoreError) {
        let capacity = self.capacity
        let failure: CredentialStoreError? = entries.withLock { entries in
            if entries[credential.keyId] != nil { return .duplicateKeyId(credential.keyId) }
            if entries.count >= capacity { return .full(capacity: capacity) }
            entries[credential.keyId] = Entry(credential: credential)
            return nil
        }
        if let failure { throw failure }
    }

    /// Replaces the secret of `keyId`. The old secret keeps working until `previousSecretValidUntil`
    /// (Unix ms) when given, beside earlier ones still within theirs; without it every earlier
    /// secret stops at once. Returns the updated credential.
    @discardableResult
    public func rotate(keyId: String, newSecret: [UInt8], previousSecretValidUntil: Int64? = nil) throws(CredentialStoreError) -> Credential {
        let result: Result<Credential, CredentialStoreError> = entries.withLock { entries in
            guard var entry = entries[keyId] else { return .failure(.unknownKeyId(keyId)) }
            let rotated: Credential
            do throws(CredentialError) {
                rotated = try entry.credential.replacingSecret(with: newSecret)
            } catch {
                return .failure(.invalidCredential(error))
            }
            if let previousSecretValidUntil {
                // Earlier secrets keep the validity they were given. Beyond the limit the oldest
                // stays (after lost answers it is the one deployed) and the next oldest goes.
                entry.previous.append((entry.credential.secret, previousSecretValidUntil))
                while entry.previous.count > Self.maxPreviousSecrets { entry.previous.remove(at: 1) }
            } else {
                entry.previous = []
            }
            entry.credential = rotated
            entries[keyId] = entry
            return .success(rotated)
        }
        return try result.get()
    }

    /// Restores the earlier secrets of a rotation's overlap (from the vault, at start), oldest
    /// first, each accepted until its Unix ms; at most ``maxPreviousSecrets`` are kept.
    public func restorePrevious(keyId: String, secrets: [(secret: [UInt8], validUntil: Int64)]) throws(CredentialStoreError) {
        let found = entries.withLock { entries -> Bool in
            guard var entry = entries[keyId] else { return false }
            entry.previous = Array(secrets.suffix(Self.maxPreviousSecrets))
            entries[keyId] = entry
            return true
        }
        if !found { throw .unknownKeyId(keyId) }
    }

    /// The earlier secrets of `keyId` still kept (oldest first), as the vault stores them.
    public func previousSecrets(keyId: String) -> [(secret: [UInt8], validUntil: Int64)] {
        entries.withLock { $0[keyId]?.previous ?? [] }
    }

    /// Removes `keyId`; its requests are refused as an unknown key id from now on.
    public func revoke(keyId: String) throws(CredentialStoreError) {
        let removed = entries.withLock { $0.removeValue(forKey: keyId) }
        if removed == nil { throw .unknownKeyId(keyId) }
    }

    /// The active credential for `keyId`, or nil.
    public func credential(forKeyId keyId: String) -> Credential? {
        entries.withLock { $0[keyId]?.credential }
    }

    /// The credential for `keyId` and every secret accepted at `unixMilliseconds`.
    public func verificationSecrets(forKeyId keyId: String, at unixMilliseconds: Int64) -> (credential: Credential, secrets: VerificationSecrets)? {
        entries.withLock { entries in
            guard let entry = entries[keyId] else { return nil }
            var earlier: [[UInt8]] = []
            for previous in entry.previous.reversed() where unixMilliseconds <= previous.validUntil { earlier.append(previous.secret) }
            return (entry.credential, VerificationSecrets(current: entry.credential.secret, earlier: earlier))
        }
    }

    /// How many credentials are active.
    public var count: Int { entries.withLock { $0.count } }
}

/// The secrets a request may be signed with at one moment: the credential's own and, during a
/// rotation's grace period, earlier ones (an empty list otherwise, which costs no allocation).
public struct VerificationSecrets: Sendable {
    /// The credential's current secret.
    public let current: [UInt8]
    /// Earlier secrets still accepted, newest first.
    public let earlier: [[UInt8]]

    /// Every accepted secret, current first.
    public var all: [[UInt8]] { [current] + earlier }
}
