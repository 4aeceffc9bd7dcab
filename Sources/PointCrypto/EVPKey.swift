import COpenSSL

/// Owns one OpenSSL `EVP_PKEY`. OpenSSL key objects are reference counted and safe to use for
/// signing and verification from several threads, each with its own context.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(pointer)
    }

    /// Reads a PEM document (private key, or public key when `isPublic`).
    static func readPEM(_ pem: String, isPublic: Bool) throws(CryptoError) -> EVPKey {
        let bytes = Array(pem.utf8)
        let key: OpaquePointer? = bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return isPublic ? PEM_read_bio_PUBKEY(bio, nil, nil, nil) : PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let key else { throw CryptoError.openSSL(isPublic ? "reading a PEM public key" : "reading a PEM private key") }
        return EVPKey(taking: key)
    }

    /// Writes the key as PEM: PKCS#8 `PRIVATE KEY`, or SubjectPublicKeyInfo `PUBLIC KEY`.
    func writePEM(isPublic: Bool) throws(CryptoError) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw CryptoError.openSSL("BIO_new") }
        defer { BIO_free(bio) }
        let status = isPublic
            ? PEM_write_bio_PUBKEY(bio, pointer)
            : PEM_write_bio_PrivateKey(bio, pointer, nil, nil, 0, nil, nil)
        guard status == 1 else { throw CryptoError.openSSL("writing a PEM key") }
        var data: UnsafeMutablePointer<CChar>?
        let length = pc_bio_get_mem_data(bio, &data)
        guard let data, length > 0 else { throw CryptoError("writing a PEM key produced no output") }
        let bytes = UnsafeRawBufferPointer(start: data, count: length)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// OpenSSL's key type name ("ED25519", "EC", …).
    var typeName: String {
        guard let name = EVP_PKEY_get0_type_name(pointer) else { return "unknown" }
        return String(cString: name)
    }
}
