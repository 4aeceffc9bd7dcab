import Foundation
import COpenSSL

/// A SHA-256 digest: 32 bytes held inline (no heap allocation).
public struct SHA256Digest: Hashable, Sendable, CustomStringConvertible {
    @usableFromInline var storage: (UInt64, UInt64, UInt64, UInt64)

    /// The all-zero digest (used as `prev` of the first ledger record).
    public static let zero = SHA256Digest(storage: (0, 0, 0, 0))

    @usableFromInline init(storage: (UInt64, UInt64, UInt64, UInt64)) {
        self.storage = storage
    }

    /// Wraps exactly 32 bytes; `nil` for any other length.
    public init?<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        guard bytes.count == 32 else { return nil }
        var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &storage) { raw in
            var index = 0
            for byte in bytes {
                raw[index] = byte
                index += 1
            }
        }
        self.storage = storage
    }

    /// Copies exactly 32 bytes from raw memory; `nil` for any other length.
    @inlinable
    public init?(raw: UnsafeRawBufferPointer) {
        guard raw.count == 32 else { return nil }
        var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: raw) }
        self.storage = storage
    }

    /// Parses 64 lowercase or uppercase hex characters; `nil` otherwise.
    public init?(hex: some StringProtocol) {
        guard let bytes = Hex.decode(hex), bytes.count == 32 else { return nil }
        self.init(bytes: bytes)
    }

    /// Parses the padded Base64 of 32 bytes (44 characters, canonical: the last character's
    /// unused bits zero); `nil` otherwise. Decodes in place, without allocating.
    public init?(base64 text: some StringProtocol) {
        var text = String(text)
        guard let digest = text.withUTF8({ Base64.decodeDigest($0) }) else { return nil }
        self = digest
    }

    /// Calls `body` with the 32 digest bytes, to write them.
    mutating func withUnsafeMutableBytes<Result>(_ body: (UnsafeMutableRawBufferPointer) throws -> Result) rethrows -> Result {
        try Swift.withUnsafeMutableBytes(of: &storage, body)
    }

    /// Calls `body` with the 32 digest bytes.
    @inlinable
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try Swift.withUnsafeBytes(of: storage, body)
    }

    /// The digest as a byte array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Lowercase hex, 64 characters.
    public var hex: String { withUnsafeBytes { Hex.encode($0) } }

    public var description: String { hex }

    public static func == (left: SHA256Digest, right: SHA256Digest) -> Bool {
        left.storage.0 == right.storage.0 && left.storage.1 == right.storage.1
            && left.storage.2 == right.storage.2 && left.storage.3 == right.storage.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
        hasher.combine(storage.2)
        hasher.combine(storage.3)
    }
}

/// SHA-256 (FIPS 180-4) through OpenSSL's EVP interface.
public enum SHA256 {
    /// The algorithm, fetched once; OpenSSL 3 otherwise re-fetches it on every implicit use.
    nonisolated(unsafe) static let algorithm: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    /// The digest of `bytes`.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> SHA256Digest {
        oneShot(prefix: -1, bytes)
    }

    /// One-shot hashing on a stack context (``COpenSSL`` `pc_sha256`): no allocation, so there
    /// is no context worth reusing between digests.
    private static func oneShot(prefix: Int32, _ bytes: UnsafeRawBufferPointer) -> SHA256Digest {
        var digest = SHA256Digest.zero
        let ok = digest.withUnsafeMutableBytes { raw in
            pc_sha256(prefix, bytes.baseAddress, bytes.count, raw.baseAddress?.assumingMemoryBound(to: UInt8.self))
        }
        // Fails only if OpenSSL cannot run SHA-256 at all; a wrong digest must never be returned.
        guard ok == 1 else { fatalError("SHA-256 failed in OpenSSL") }
        return digest
    }

    /// The digest of `bytes`.
    public static func hash<Bytes: ContiguousBytes>(_ bytes: Bytes) -> SHA256Digest {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// The digest of a string's UTF-8 bytes.
    public static func hash(_ text: String) -> SHA256Digest {
        var text = text
        return text.withUTF8 { hash(UnsafeRawBufferPointer($0)) }
    }

    /// The digest of `prefix` followed by `bytes` (RFC 6962 leaf and node hashing).
    public static func hash(prefix: UInt8, _ bytes: UnsafeRawBufferPointer) -> SHA256Digest {
        oneShot(prefix: Int32(prefix), bytes)
    }
}

/// Incremental SHA-256. Reusable after ``finalize()``.
public struct SHA256Hasher: ~Copyable {
    private let context: OpaquePointer

    public init() {
        // EVP_MD_CTX_new only fails when memory is exhausted; there is no useful recovery.
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new: out of memory") }
        self.context = context
        guard EVP_DigestInit_ex2(context, SHA256.algorithm, nil) == 1 else { fatalError("SHA-256 is unavailable in this OpenSSL") }
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// Adds `bytes` to the running digest.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
    }

    /// Adds `bytes` to the running digest.
    public mutating func update<Bytes: ContiguousBytes>(_ bytes: Bytes) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest of everything added so far followed by `bytes`; resets the hasher.
    public mutating func hash(_ bytes: UnsafeRawBufferPointer) -> SHA256Digest {
        update(bytes)
        return finalize()
    }

    /// The digest of everything added so far, then `prefix`, then `bytes`; resets the hasher.
    public mutating func hash(prefix: UInt8, _ bytes: UnsafeRawBufferPointer) -> SHA256Digest {
        var prefix = prefix
        Swift.withUnsafeBytes(of: &prefix) { update($0) }
        update(bytes)
        return finalize()
    }

    /// Returns the digest and resets the hasher for reuse.
    public mutating func finalize() -> SHA256Digest {
        var digest = SHA256Digest.zero
        var length: UInt32 = 32
        digest.withUnsafeMutableBytes { raw in
            _ = EVP_DigestFinal_ex(context, raw.baseAddress?.assumingMemoryBound(to: UInt8.self), &length)
        }
        EVP_DigestInit_ex2(context, nil, nil)
        return digest
    }
}
