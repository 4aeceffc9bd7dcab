import Foundation
import PointCrypto
import PointHTTP

/// The three authentication headers of one signed request.
public struct SignedRequestHeaders: Sendable, Hashable {
    /// `X-LINE-ChannelId`.
    public var keyId: String
    /// `X-LINE-Authorization-Nonce`.
    public var nonce: String
    /// `X-LINE-Authorization`: Base64 of the HMAC-SHA256.
    public var signature: String

    public init(keyId: String, nonce: String, signature: String) {
        self.keyId = keyId
        self.nonce = nonce
        self.signature = signature
    }

    /// The headers as name/value pairs, in the order above.
    public var fields: [HTTPHeaderField] {
        [
            HTTPHeaderField(name: RequestSignature.keyIdHeader, value: keyId),
            HTTPHeaderField(name: RequestSignature.nonceHeader, value: nonce),
            HTTPHeaderField(name: RequestSignature.signatureHeader, value: signature),
        ]
    }

    /// Adds (replacing any present) the three headers to `headers`.
    public func apply(to headers: inout HTTPHeaders) {
        for field in fields { headers.set(name: field.name, value: field.value) }
    }
}

/// Signs requests the LINE Pay v3 way for one key; used by `pointconnect sign`, the load generator and tests.
///
/// ```swift
/// let signer = RequestSigner(keyId: "1234567890", secret: Array(channelSecret.utf8))
/// let headers = signer.sign(method: .post, path: "/v1/grants", body: body)
/// ```
public struct RequestSigner: Sendable {
    /// The key id sent as `X-LINE-ChannelId`.
    public let keyId: String
    private let secret: [UInt8]

    /// A signer for `keyId` with the shared `secret` bytes (a channel secret's UTF-8 bytes).
    public init(keyId: String, secret: [UInt8]) {
        self.keyId = keyId
        self.secret = secret
    }

    /// Headers for a request. `path` is the raw path as it will be sent; `query` is the query string
    /// without `?` (ignored for body methods); `nonce` defaults to a fresh random UUID v4.
    public func sign(
        method: HTTPMethod, path: String, query: String? = nil, body: [UInt8] = [],
        nonce: String = UUID().uuidString.lowercased()
    ) -> SignedRequestHeaders {
        let mac = RequestSignature.mac(secret: secret, method: method, path: path, query: query, body: body, nonce: nonce)
        return SignedRequestHeaders(keyId: keyId, nonce: nonce, signature: Base64.encode(mac))
    }

    /// Headers for a request given by its target (`/path?query`), splitting off the query itself.
    public func sign(
        method: HTTPMethod, target: String, body: [UInt8] = [], nonce: String = UUID().uuidString.lowercased()
    ) -> SignedRequestHeaders {
        if let mark = target.firstIndex(of: "?") {
            let query = String(target[target.index(after: mark)...])
            return sign(method: method, path: String(target[..<mark]), query: query, body: body, nonce: nonce)
        }
        return sign(method: method, path: target, query: nil, body: body, nonce: nonce)
    }

    /// A copy of `request` carrying the three headers for its method, path, query and body.
    public func signing(_ request: HTTPRequest, nonce: String = UUID().uuidString.lowercased()) -> HTTPRequest {
        var signed = request
        sign(method: request.method, path: request.path, query: request.query, body: request.body, nonce: nonce)
            .apply(to: &signed.headers)
        return signed
    }
}
