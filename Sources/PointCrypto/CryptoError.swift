import COpenSSL

/// A failure inside the cryptographic layer, with OpenSSL's own reason when there is one.
public struct CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What failed, in words.
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    /// An error for a failed OpenSSL call, draining OpenSSL's thread-local error queue into the message.
    static func openSSL(_ operation: String) -> CryptoError {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        if reasons.isEmpty { return CryptoError("\(operation) failed") }
        return CryptoError("\(operation) failed: \(reasons.joined(separator: "; "))")
    }

    public var description: String { message }
}
