import Foundation
import COpenSSL

/// HMAC-SHA256 (RFC 2104) over OpenSSL's SHA-256 (``COpenSSL`` `pc_hmac_sha256`).
public enum HMACSHA256 {
    /// The 32-byte authentication code of `message` under `key`.
    public static func authenticationCode<Key: ContiguousBytes, Message: ContiguousBytes>(key: Key, message: Message) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 32)
        let ok = key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { messageBytes in
                output.withUnsafeMutableBytes { out in
                    pc_hmac_sha256(keyBytes.baseAddress, keyBytes.count, messageBytes.baseAddress, messageBytes.count,
                                   out.baseAddress?.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        // Fails only if OpenSSL cannot run SHA-256 at all; a wrong code must never be returned.
        guard ok == 1 else { fatalError("HMAC-SHA256 failed in OpenSSL") }
        return output
    }

    /// The 32-byte authentication code under `key` of `first`, `second`, `third` and `fourth`
    /// one after the other, without building their concatenation (a signed request's parts).
    public static func authenticationCode(
        key: UnsafeRawBufferPointer, concatenating first: UnsafeRawBufferPointer,
        _ second: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        _ third: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        _ fourth: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
    ) -> [UInt8] {
        authenticationDigest(key: key, concatenating: first, second, third, fourth).bytes
    }

    /// ``authenticationCode(key:concatenating:_:_:_:)`` held inline, without allocating.
    public static func authenticationDigest(
        key: UnsafeRawBufferPointer, concatenating first: UnsafeRawBufferPointer,
        _ second: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        _ third: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        _ fourth: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
    ) -> SHA256Digest {
        var digest = SHA256Digest.zero
        let ok = digest.withUnsafeMutableBytes { out in
            pc_hmac_sha256_parts(key.baseAddress, key.count, first.baseAddress, first.count, second.baseAddress, second.count,
                                 third.baseAddress, third.count, fourth.baseAddress, fourth.count,
                                 out.baseAddress?.assumingMemoryBound(to: UInt8.self))
        }
        guard ok == 1 else { fatalError("HMAC-SHA256 failed in OpenSSL") }
        return digest
    }

    /// The authentication code of a UTF-8 `message` under a UTF-8 `key`.
    public static func authenticationCode(key: String, message: String) -> [UInt8] {
        authenticationCode(key: Array(key.utf8), message: Array(message.utf8))
    }
}
