import Foundation
import COpenSSL

/// An Ed25519 public key (RFC 8032): 32 raw bytes.
public struct Ed25519PublicKey: Sendable, Equatable {
    /// The 32-byte encoded point.
    public let rawRepresentation: [UInt8]
    let key: EVPKey

    /// Wraps a 32-byte raw public key.
    public init(rawRepresentation: [UInt8]) throws(CryptoError) {
        guard rawRepresentation.count == 32 else {
            throw CryptoError("an Ed25519 public key is 32 bytes, not \(rawRepresentation.count)")
        }
        let pointer = rawRepresentation.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_public_key(pc_evp_pkey_ed25519(), nil, $0.baseAddress, 32)
        }
        guard let pointer else { throw CryptoError.openSSL("loading an Ed25519 public key") }
        self.rawRepresentation = rawRepresentation
        self.key = EVPKey(taking: pointer)
    }

    /// Reads a `-----BEGIN PUBLIC KEY-----` PEM document holding an Ed25519 key.
    public init(pem: String) throws(CryptoError) {
        let key = try EVPKey.readPEM(pem, isPublic: true)
        guard key.typeName == "ED25519" else { throw CryptoError("the PEM key is \(key.typeName), not ED25519") }
        try self.init(rawRepresentation: try Ed25519PublicKey.rawPublicKey(of: key))
    }

    /// The key as a SubjectPublicKeyInfo PEM document (`openssl pkey -pubin` reads it).
    public func pemRepresentation() throws(CryptoError) -> String {
        try key.writePEM(isPublic: true)
    }

    /// True when `signature` is a valid Ed25519 signature of `message` by this key.
    public func isValidSignature<Message: ContiguousBytes>(_ signature: [UInt8], for message: Message) -> Bool {
        guard signature.count == 64, let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, key.pointer) == 1 else {
            ERR_clear_error()
            return false
        }
        let status = message.withUnsafeBytes { messageBytes in
            signature.withUnsafeBufferPointer { signatureBytes in
                EVP_DigestVerify(context, signatureBytes.baseAddress, 64,
                                 messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? Ed25519PublicKey.emptyMessage,
                                 messageBytes.count)
            }
        }
        ERR_clear_error()
        return status == 1
    }

    public static func == (left: Ed25519PublicKey, right: Ed25519PublicKey) -> Bool {
        left.rawRepresentation == right.rawRepresentation
    }

    static func rawPublicKey(of key: EVPKey) throws(CryptoError) -> [UInt8] {
        var raw = [UInt8](repeating: 0, count: 32)
        var length = 32
        guard EVP_PKEY_get_raw_public_key(key.pointer, &raw, &length) == 1, length == 32 else {
            throw CryptoError.openSSL("reading an Ed25519 public key")
        }
        return raw
    }

    nonisolated(unsafe) static let emptyMessage: UnsafePointer<UInt8> = {
        let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        pointer.initialize(to: 0)
        return UnsafePointer(pointer)
    }()
}

/// An Ed25519 private key (RFC 8032) held by OpenSSL.
public struct Ed25519PrivateKey: Sendable {
    let key: EVPKey
    /// The matching public key.
    public let publicKey: Ed25519PublicKey

    /// A new random key.
    public init() throws(CryptoError) {
        guard let context = EVP_PKEY_CTX_new_id(pc_evp_pkey_ed25519(), nil) else { throw CryptoError.openSSL("EVP_PKEY_CTX_new_id") }
        defer { EVP_PKEY_CTX_free(context) }
        var pointer: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_keygen(context, &pointer) == 1, let pointer else {
            throw CryptoError.openSSL("generating an Ed25519 key")
        }
        try self.init(key: EVPKey(taking: pointer))
    }

    /// A key from its 32-byte seed (the RFC 8032 "secret key").
    public init(seed: [UInt8]) throws(CryptoError) {
        guard seed.count == 32 else { throw CryptoError("an Ed25519 seed is 32 bytes, not \(seed.count)") }
        let pointer = seed.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_private_key(pc_evp_pkey_ed25519(), nil, $0.baseAddress, 32)
        }
        guard let pointer else { throw CryptoError.openSSL("loading an Ed25519 seed") }
        try self.init(key: EVPKey(taking: pointer))
    }

    /// Reads a PKCS#8 `-----BEGIN PRIVATE KEY-----` PEM document holding an Ed25519 key
    /// (as written by ``pemRepresentation()`` or `openssl genpkey -algorithm ed25519`).
    public init(pem: String) throws(CryptoError) {
        let key = try EVPKey.readPEM(pem, isPublic: false)
        guard key.typeName == "ED25519" else { throw CryptoError("the PEM key is \(key.typeName), not ED25519") }
        try self.init(key: key)
    }

    private init(key: EVPKey) throws(CryptoError) {
        self.key = key
        self.publicKey = try Ed25519PublicKey(rawRepresentation: try Ed25519PublicKey.rawPublicKey(of: key))
    }

    /// The key as a PKCS#8 PEM document (`openssl pkey` reads it).
    public func pemRepresentation() throws(CryptoError) -> String {
        try key.writePEM(isPublic: false)
    }

    /// The 64-byte Ed25519 signature of `message`.
    public func signature<Message: ContiguousBytes>(for message: Message) throws(CryptoError) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw CryptoError.openSSL("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, nil, nil, key.pointer) == 1 else { throw CryptoError.openSSL("EVP_DigestSignInit") }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        let status = message.withUnsafeBytes { messageBytes in
            EVP_DigestSign(context, &signature, &length,
                           messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? Ed25519PublicKey.emptyMessage,
                           messageBytes.count)
        }
        guard status == 1, length == 64 else { throw CryptoError.openSSL("signing with Ed25519") }
        return signature
    }
}
