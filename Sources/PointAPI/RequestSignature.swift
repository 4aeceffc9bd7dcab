import PointCrypto
import PointHTTP

/// The LINE Pay v3 request signature shared by ``RequestSigner`` and ``RequestAuthenticator``.
///
/// `X-LINE-Authorization` = Base64(HMAC-SHA256(secret, secret + path + payload + nonce)), where
/// `path` is the request path exactly as sent (raw, percent-escapes not decoded, no query),
/// and `payload` is the query string without `?` for GET, HEAD, DELETE and OPTIONS, or the exact
/// body bytes for POST, PUT and PATCH. All parts are concatenated as bytes (UTF-8 for text).
public enum RequestSignature {
    /// The key id header: a merchant's POINT Connect channel ID, or a staff key id.
    public static let keyIdHeader = "X-LINE-ChannelId"
    /// The nonce header: a UUID v1/v4 or a Unix timestamp (see ``RequestNonce``).
    public static let nonceHeader = "X-LINE-Authorization-Nonce"
    /// The signature header.
    public static let signatureHeader = "X-LINE-Authorization"

    /// Whether requests with `method` sign their body (true) or their query string (false).
    public static func signsBody(_ method: HTTPMethod) -> Bool {
        switch method {
        case .post, .put, .patch: return true
        case .get, .head, .delete, .options: return false
        }
    }

    /// The bytes that are MACed: secret + path + (query or body) + nonce.
    public static func message(
        secret: [UInt8], method: HTTPMethod, path: String, query: String?, body: [UInt8], nonce: String
    ) -> [UInt8] {
        var message: [UInt8] = []
        let payloadCount = signsBody(method) ? body.count : (query?.utf8.count ?? 0)
        message.reserveCapacity(secret.count + path.utf8.count + payloadCount + nonce.utf8.count)
        message.append(contentsOf: secret)
        message.append(contentsOf: path.utf8)
        if signsBody(method) {
            message.append(contentsOf: body)
        } else if let query {
            message.append(contentsOf: query.utf8)
        }
        message.append(contentsOf: nonce.utf8)
        return message
    }

    /// The raw 32-byte MAC for the given request parts: the MAC of ``message(secret:method:path:query:body:nonce:)``,
    /// computed over the parts in place instead of a copy of them all.
    public static func mac(
        secret: [UInt8], method: HTTPMethod, path: String, query: String?, body: [UInt8], nonce: String
    ) -> [UInt8] {
        macDigest(secret: secret, method: method, path: path, query: query, body: body, nonce: nonce).bytes
    }

    /// ``mac(secret:method:path:query:body:nonce:)`` held inline, without allocating (what a
    /// request's signature is checked against).
    public static func macDigest(
        secret: [UInt8], method: HTTPMethod, path: String, query: String?, body: [UInt8], nonce: String
    ) -> SHA256Digest {
        secret.withUnsafeBytes { secretBytes in
            withUTF8(path) { pathBytes in
                withUTF8(nonce) { nonceBytes in
                    if signsBody(method) {
                        return body.withUnsafeBytes { bodyBytes in
                            HMACSHA256.authenticationDigest(key: secretBytes, concatenating: secretBytes, pathBytes, bodyBytes, nonceBytes)
                        }
                    }
                    return withUTF8(query ?? "") { queryBytes in
                        HMACSHA256.authenticationDigest(key: secretBytes, concatenating: secretBytes, pathBytes, queryBytes, nonceBytes)
                    }
                }
            }
        }
    }

    /// Runs `body` over the text's UTF-8 bytes in place (a bridged string is copied first).
    private static func withUTF8<Result>(_ text: String, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        if let result = text.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return result }
        var copy = text
        return copy.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }
}
