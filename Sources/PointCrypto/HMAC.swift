import Foundation
import COpenSSL

/// HMAC-SHA256 (RFC 2104) through OpenSSL's EVP_MAC interface.
public enum HMACSHA256 {
    /// The 32-byte authentication code of `message` under `key`.
    public static func authenticationCode<Key: ContiguousBytes, Message: ContiguousBytes>(key: Key, message: Message) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 32)
        var length = 0
        key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { messageBytes in
                output.withUnsafeMutableBytes { out in
                    // A non-NULL dummy pointer keeps OpenSSL happy with empty inputs.
                    var empty: UInt8 = 0
                    withUnsafeMutablePointer(to: &empty) { emptyPointer in
                        let keyPointer = keyBytes.count > 0 ? keyBytes.baseAddress! : UnsafeRawPointer(emptyPointer)
                        let messagePointer = messageBytes.count > 0 ? messageBytes.baseAddress! : UnsafeRawPointer(emptyPointer)
                        let result = EVP_Q_mac(nil, "HMAC", nil, "SHA256", nil, keyPointer, keyBytes.count,
                                               messagePointer.assumingMemoryBound(to: UInt8.self), messageBytes.count,
                                               out.baseAddress?.assumingMemoryBound(to: UInt8.self), 32, &length)
                        precondition(result != nil && length == 32, "HMAC-SHA256 is unavailable in this OpenSSL")
                    }
                }
            }
        }
        return output
    }

    /// The authentication code of a UTF-8 `message` under a UTF-8 `key`.
    public static func authenticationCode(key: String, message: String) -> [UInt8] {
        authenticationCode(key: Array(key.utf8), message: Array(message.utf8))
    }
}
