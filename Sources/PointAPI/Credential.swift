import PointCore

/// Why a ``Credential`` could not be built.
public struct CredentialError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, in words.
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// One caller's key: the key id sent as `X-LINE-ChannelId`, the shared secret, and what it may do.
///
/// The secret never appears in `description`, `debugDescription` or reflection (`dump`).
public struct Credential: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Longest accepted key id, in bytes.
    public static let maxKeyIdLength = 64
    /// Shortest accepted secret, in bytes.
    public static let minSecretLength = 16
    /// Longest accepted secret, in bytes.
    public static let maxSecretLength = 256

    /// The key id (a merchant's POINT Connect channel ID).
    public let keyId: String
    /// The shared HMAC secret.
    public let secret: [UInt8]
    /// What the caller may do.
    public let role: CallerRole
    /// The merchant this credential acts for; set exactly when `role == .merchant`.
    public let merchantId: String?
    /// The deployment the credential is valid in.
    public let environment: ServiceEnvironment
    /// Addresses requests may come from (merchants); nil means no address restriction.
    public let ipAllowlist: IPAllowlist?

    /// A validated credential. Key ids are 1–64 visible ASCII characters; secrets 16–256 bytes;
    /// merchants need a `merchantId`, other roles must not have one.
    public init(
        keyId: String, secret: [UInt8], role: CallerRole, merchantId: String? = nil,
        environment: ServiceEnvironment, ipAllowlist: IPAllowlist? = nil
    ) throws(CredentialError) {
        guard !keyId.isEmpty, keyId.utf8.count <= Credential.maxKeyIdLength,
              keyId.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw CredentialError("a key id must be 1 to \(Credential.maxKeyIdLength) visible ASCII characters")
        }
        guard (Credential.minSecretLength...Credential.maxSecretLength).contains(secret.count) else {
            throw CredentialError("the secret for key id \(keyId) must be \(Credential.minSecretLength) to \(Credential.maxSecretLength) bytes")
        }
        if role == .merchant {
            guard let merchantId, !merchantId.isEmpty else {
                throw CredentialError("merchant key id \(keyId) needs a merchant id")
            }
        } else if merchantId != nil {
            throw CredentialError("\(role.rawValue) key id \(keyId) must not have a merchant id")
        }
        self.keyId = keyId
        self.secret = secret
        self.role = role
        self.merchantId = merchantId
        self.environment = environment
        self.ipAllowlist = ipAllowlist
    }

    /// Why `keyId` can't be a staff (reviewer, finance, auditor) key id, or nil. Merchants and
    /// staff share one key-id namespace and a merchant's key id is its channel ID (10 digits),
    /// so a staff key id of that form would be refused as a merchant id: new staff keys may not
    /// have it (the API refuses to register or rotate a merchant over an older one).
    public static func staffKeyIdProblem(_ keyId: String) -> String? {
        guard Identifiers.isValidChannelID(keyId) else { return nil }
        return "key id \(keyId) has the form of a merchant's channel ID (10 digits), which only merchants' key ids may have; choose another key id"
    }

    /// The same credential with another secret.
    func replacingSecret(with newSecret: [UInt8]) throws(CredentialError) -> Credential {
        try Credential(keyId: keyId, secret: newSecret, role: role, merchantId: merchantId,
                       environment: environment, ipAllowlist: ipAllowlist)
    }

    public var description: String {
        var text = "Credential(keyId: \(keyId), role: \(role.rawValue)"
        if let merchantId { text += ", merchantId: \(merchantId)" }
        return text + ", environment: \(environment.rawValue), secret: <redacted>)"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: [
            "keyId": keyId, "role": role, "merchantId": merchantId as Any,
            "environment": environment, "secret": "<redacted>",
        ])
    }
}
