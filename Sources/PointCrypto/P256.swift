import Foundation
import COpenSSL

/// An ECDSA P-256 (secp256r1) public key, for verifying ES256 signatures (JWS, RFC 7518 §3.4).
public struct P256PublicKey: Sendable {
    /// The uncompressed SEC1 point: 0x04 ‖ x ‖ y (65 bytes).
    public let uncompressedPoint: [UInt8]
    let key: EVPKey

    /// Loads a key from its SEC1 uncompressed point; refuses points that are not on the curve.
    public init(uncompressedPoint point: [UInt8]) throws(CryptoError) {
        guard point.count == 65, point[0] == 0x04 else {
            throw CryptoError("a P-256 public key is a 65-byte uncompressed point starting with 0x04, not \(point.count) bytes")
        }
        // OSSL_PARAM_BLD keeps pointers to the pushed buffers until OSSL_PARAM_BLD_to_param
        // copies them, so both buffers stay pinned across the whole build.
        let loaded: OpaquePointer? = "prime256v1".withCString { group in
            point.withUnsafeBytes { raw -> OpaquePointer? in
                guard let builder = OSSL_PARAM_BLD_new() else { return nil }
                defer { OSSL_PARAM_BLD_free(builder) }
                guard OSSL_PARAM_BLD_push_utf8_string(builder, pc_ossl_pkey_param_group_name(), group, 0) == 1,
                    OSSL_PARAM_BLD_push_octet_string(builder, pc_ossl_pkey_param_pub_key(), raw.baseAddress, 65) == 1,
                    let parameters = OSSL_PARAM_BLD_to_param(builder)
                else { return nil }
                defer { OSSL_PARAM_free(parameters) }
                guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { return nil }
                defer { EVP_PKEY_CTX_free(context) }
                var pointer: OpaquePointer?
                guard EVP_PKEY_fromdata_init(context) == 1,
                    EVP_PKEY_fromdata(context, &pointer, pc_evp_pkey_public_key_selection(), parameters) == 1
                else { return nil }
                return pointer
            }
        }
        guard let pointer = loaded else { throw CryptoError.openSSL("loading a P-256 public key (is the point on the curve?)") }
        let key = EVPKey(taking: pointer)
        // Belt and braces: OpenSSL decodes the point onto the curve; check the key explicitly too.
        guard let check = EVP_PKEY_CTX_new_from_pkey(nil, key.pointer, nil) else { throw CryptoError.openSSL("EVP_PKEY_CTX_new_from_pkey") }
        defer { EVP_PKEY_CTX_free(check) }
        guard EVP_PKEY_public_check(check) == 1 else { throw CryptoError.openSSL("checking a P-256 public key") }
        self.uncompressedPoint = point
        self.key = key
    }

    /// Loads a key from its affine coordinates (32 bytes each, as in a JWK's `x` and `y`).
    public init(x: [UInt8], y: [UInt8]) throws(CryptoError) {
        guard x.count == 32, y.count == 32 else { throw CryptoError("P-256 coordinates are 32 bytes each, not \(x.count) and \(y.count)") }
        try self.init(uncompressedPoint: [0x04] + x + y)
    }

    /// Reads a `-----BEGIN PUBLIC KEY-----` PEM document holding a P-256 key.
    public init(pem: String) throws(CryptoError) {
        let key = try EVPKey.readPEM(pem, isPublic: true)
        try self.init(uncompressedPoint: try Self.point(of: key))
    }

    /// The key as a SubjectPublicKeyInfo PEM document.
    public func pemRepresentation() throws(CryptoError) -> String {
        try key.writePEM(isPublic: true)
    }

    /// True when `signature` (r ‖ s, 32 bytes each, as in JWS) is a valid ECDSA signature of
    /// SHA-256(`message`) by this key.
    public func isValidSignature<Message: ContiguousBytes>(raw signature: [UInt8], for message: Message) -> Bool {
        guard signature.count == 64, let der = Self.derSignature(fromRaw: signature) else { return false }
        return isValidSignature(der: der, for: message)
    }

    /// True when `signature` (DER `ECDSA-Sig-Value`) is a valid ECDSA signature of SHA-256(`message`).
    public func isValidSignature<Message: ContiguousBytes>(der signature: [UInt8], for message: Message) -> Bool {
        guard !signature.isEmpty, signature.count <= 80, let context = EVP_MD_CTX_new() else { return false }
        defer {
            EVP_MD_CTX_free(context)
            ERR_clear_error()
        }
        guard EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, key.pointer) == 1 else { return false }
        // OpenSSL wants a non-null pointer even for an empty message.
        var zero: UInt8 = 0
        let status = message.withUnsafeBytes { messageBytes in
            signature.withUnsafeBufferPointer { signatureBytes in
                withUnsafePointer(to: &zero) { empty in
                    EVP_DigestVerify(context, signatureBytes.baseAddress, signatureBytes.count,
                                     messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? empty, messageBytes.count)
                }
            }
        }
        return status == 1
    }

    /// DER-encodes r ‖ s; nil when either half is zero (never a valid signature).
    static func derSignature(fromRaw raw: [UInt8]) -> [UInt8]? {
        guard raw.count == 64, let signature = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(signature) }
        let halves: (OpaquePointer?, OpaquePointer?) = raw.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return (nil, nil) }
            return (BN_bin2bn(base, 32, nil), BN_bin2bn(base + 32, 32, nil))
        }
        guard let r = halves.0, let s = halves.1 else {
            BN_free(halves.0)
            BN_free(halves.1)
            return nil
        }
        guard BN_is_zero(r) == 0, BN_is_zero(s) == 0, ECDSA_SIG_set0(signature, r, s) == 1 else {
            BN_free(r)
            BN_free(s)
            return nil
        }
        var output: UnsafeMutablePointer<UInt8>?
        let length = i2d_ECDSA_SIG(signature, &output)
        guard length > 0, let output else { return nil }
        defer { pc_openssl_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: Int(length)))
    }

    /// r ‖ s (32 bytes each) of a DER signature.
    static func rawSignature(fromDER der: [UInt8]) -> [UInt8]? {
        let decoded: OpaquePointer? = der.withUnsafeBufferPointer { bytes in
            var cursor: UnsafePointer<UInt8>? = bytes.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, bytes.count)
        }
        guard let decoded else { return nil }
        defer { ECDSA_SIG_free(decoded) }
        guard let r = ECDSA_SIG_get0_r(decoded), let s = ECDSA_SIG_get0_s(decoded) else { return nil }
        var raw = [UInt8](repeating: 0, count: 64)
        let written = raw.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return BN_bn2binpad(r, base, 32) == 32 && BN_bn2binpad(s, base + 32, 32) == 32
        }
        return written ? raw : nil
    }

    static func point(of key: EVPKey) throws(CryptoError) -> [UInt8] {
        guard key.typeName == "EC" else { throw CryptoError("the key is \(key.typeName), not an EC P-256 key") }
        var name = [CChar](repeating: 0, count: 64)
        var nameLength = 0
        guard EVP_PKEY_get_utf8_string_param(key.pointer, pc_ossl_pkey_param_group_name(), &name, name.count, &nameLength) == 1 else {
            throw CryptoError.openSSL("reading the EC group")
        }
        let group = String(decoding: name.prefix(nameLength).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard group == "prime256v1" || group == "P-256" || group == "secp256r1" else { throw CryptoError("the EC key is on \(group), not P-256") }
        var point = [UInt8](repeating: 0, count: 65)
        var length = 0
        guard EVP_PKEY_get_octet_string_param(key.pointer, pc_ossl_pkey_param_pub_key(), &point, 65, &length) == 1, length == 65 else {
            throw CryptoError.openSSL("reading the P-256 public point")
        }
        return point
    }
}

/// An ECDSA P-256 private key: signs ES256 (used to mint test tokens; the service only verifies).
public struct P256PrivateKey: Sendable {
    let key: EVPKey
    public let publicKey: P256PublicKey

    /// A fresh random key.
    public init() throws(CryptoError) {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { throw CryptoError.openSSL("EVP_PKEY_CTX_new_from_name") }
        defer { EVP_PKEY_CTX_free(context) }
        var pointer: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_group_name(context, "P-256") == 1,
            EVP_PKEY_generate(context, &pointer) == 1, let pointer
        else { throw CryptoError.openSSL("generating a P-256 key") }
        try self.init(key: EVPKey(taking: pointer))
    }

    /// Reads a PKCS#8 or SEC1 PEM private key on P-256.
    public init(pem: String) throws(CryptoError) {
        try self.init(key: try EVPKey.readPEM(pem, isPublic: false))
    }

    private init(key: EVPKey) throws(CryptoError) {
        self.key = key
        self.publicKey = try P256PublicKey(uncompressedPoint: try P256PublicKey.point(of: key))
    }

    public func pemRepresentation() throws(CryptoError) -> String {
        try key.writePEM(isPublic: false)
    }

    /// Signs SHA-256(`message`): r ‖ s, 32 bytes each.
    public func signature<Message: ContiguousBytes>(for message: Message) throws(CryptoError) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw CryptoError.openSSL("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key.pointer) == 1 else { throw CryptoError.openSSL("EVP_DigestSignInit") }
        var der = [UInt8](repeating: 0, count: 80)
        var length = der.count
        let status = message.withUnsafeBytes { messageBytes in
            EVP_DigestSign(context, &der, &length, messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), messageBytes.count)
        }
        guard status == 1, let raw = P256PublicKey.rawSignature(fromDER: Array(der.prefix(length))) else {
            throw CryptoError.openSSL("signing with P-256")
        }
        return raw
    }
}
