import PointJSON

/// The claims of a verified LINE Login ID token (LINE Login v2.1).
public struct LineIDTokenClaims: Sendable, Equatable {
    /// The LINE user ID: `U` + 32 lowercase hex digits.
    public let subject: String
    /// The LINE Login channel ID the token was issued for.
    public let audience: String
    public let issuer: String
    /// Seconds since the epoch.
    public let issuedAt: Int64
    public let expiresAt: Int64
    public let nonce: String?
    public let authenticationMethods: [String]
    public let name: String?
}

/// Why an ID token was refused. The message never repeats the token or a secret.
public struct LineIDTokenError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable machine code (`id_token_…`).
    public let code: String
    /// What is wrong and what to do.
    public let message: String

    init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

/// Verifies LINE Login ID tokens for one LINE Login channel: HS256 signed with the channel
/// secret, and/or ES256 with keys from a JWKS. Only the configured algorithms are accepted, so
/// `alg: none` and algorithm confusion (an HS256 token "signed" with a public key) fail.
public struct LineIDTokenVerifier: Sendable {
    public static let issuer = "https://access.line.me"
    /// Oldest token accepted, by its `iat`: LINE Login's ID tokens live an hour, so an older
    /// one (whatever its `exp` says) was not issued for this login.
    public static let maxAgeSeconds: Int64 = 3_600
    /// The Unix times (seconds) a token's `exp` and `iat` may take: 1970-01-01 to 9999-12-31.
    static let plausibleTimes: ClosedRange<Int64> = 0...253_402_300_799
    /// The largest clock skew a verifier may be configured with.
    public static let maxClockSkewSeconds: Int64 = 300

    public let channelID: String
    private let channelSecret: [UInt8]?
    private let keySet: JSONWebKeySet?
    public let clockSkewSeconds: Int64

    /// - Parameters:
    ///   - channelID: the LINE Login channel ID tokens must be issued for (`aud`).
    ///   - channelSecret: accept HS256 tokens signed with this secret (nil: refuse HS256).
    ///   - keySet: accept ES256 tokens signed by these keys (nil: refuse ES256).
    ///   - clockSkewSeconds: tolerance for `exp` and `iat`, 0…300 s.
    public init(channelID: String, channelSecret: [UInt8]?, keySet: JSONWebKeySet?, clockSkewSeconds: Int64 = 60) throws(CryptoError) {
        guard (0...Self.maxClockSkewSeconds).contains(clockSkewSeconds) else {
            throw CryptoError("the ID token clock skew must be 0–\(Self.maxClockSkewSeconds) seconds, not \(clockSkewSeconds)")
        }
        guard channelSecret != nil || keySet != nil else { throw CryptoError("an ID token verifier needs a channel secret or a JWKS") }
        if let channelSecret, channelSecret.isEmpty { throw CryptoError("the LINE Login channel secret is empty") }
        self.channelID = channelID
        self.channelSecret = channelSecret
        self.keySet = keySet
        self.clockSkewSeconds = clockSkewSeconds
    }

    /// Verifies `token` at `now` (seconds since the epoch). When `expectedNonce` is given the
    /// token must carry exactly that nonce.
    public func verify(_ token: String, expectedNonce: String?, now: Int64) throws(LineIDTokenError) -> LineIDTokenClaims {
        let parsed: JSONWebToken
        do { parsed = try JSONWebToken(compact: token) } catch {
            throw LineIDTokenError("id_token_malformed", "The ID token is not a JWS compact token (\(Self.describe(error))); send the id_token LINE Login returned, unchanged.")
        }
        if parsed.header["crit"] != nil {
            throw LineIDTokenError("id_token_malformed", "The ID token's header has critical extensions (crit), which are not supported.")
        }
        try verifySignature(parsed)
        return try checkClaims(parsed.payload, expectedNonce: expectedNonce, now: now)
    }

    private func verifySignature(_ token: JSONWebToken) throws(LineIDTokenError) {
        switch token.algorithm {
        case "HS256":
            guard let channelSecret else {
                throw LineIDTokenError("id_token_algorithm_not_allowed", "HS256 ID tokens are not accepted for channel \(channelID); only ES256 is configured.")
            }
            let expected = HMACSHA256.authenticationCode(key: channelSecret, message: token.signingInput)
            guard token.signature.count == 32, ConstantTime.equals(expected, token.signature) else {
                throw LineIDTokenError("id_token_bad_signature", "The ID token's signature does not verify with the channel secret of LINE Login channel \(channelID).")
            }
        case "ES256":
            guard let keySet else {
                throw LineIDTokenError("id_token_algorithm_not_allowed", "ES256 ID tokens are not accepted for channel \(channelID); only HS256 is configured.")
            }
            guard let keyID = token.keyID, let key = keySet.keys[keyID] else {
                throw LineIDTokenError("id_token_unknown_kid", "The ID token names a signing key (kid) that is not in the configured JWKS; refresh the JWKS if LINE rotated its keys.")
            }
            guard token.signature.count == 64, key.isValidSignature(raw: token.signature, for: token.signingInput) else {
                throw LineIDTokenError("id_token_bad_signature", "The ID token's ES256 signature does not verify with key \(keyID).")
            }
        default:
            throw LineIDTokenError("id_token_algorithm_not_allowed",
                                   "The ID token's algorithm \(Self.clip(token.algorithm ?? "(none)")) is not accepted; LINE Login tokens are HS256 or ES256.")
        }
    }

    private func checkClaims(_ payload: JSONValue, expectedNonce: String?, now: Int64) throws(LineIDTokenError) -> LineIDTokenClaims {
        guard let issuer = payload["iss"]?.stringValue, issuer == Self.issuer else {
            throw LineIDTokenError("id_token_wrong_issuer", "The ID token was not issued by \(Self.issuer).")
        }
        guard let audience = payload["aud"]?.stringValue, audience == channelID else {
            throw LineIDTokenError("id_token_wrong_audience",
                                   "The ID token was issued for another LINE Login channel, not \(channelID); log the user in with the channel linked to your POINT Connect Official Account.")
        }
        guard let expiresAt = payload["exp"]?.intValue, let issuedAt = payload["iat"]?.intValue else {
            throw LineIDTokenError("id_token_malformed", "The ID token lacks integer exp and iat claims.")
        }
        // Times as Unix seconds within 1970…9999 and a `now` in range too, so the arithmetic
        // below can't overflow whatever a token claims.
        guard Self.plausibleTimes.contains(expiresAt), Self.plausibleTimes.contains(issuedAt), Self.plausibleTimes.contains(now) else {
            throw LineIDTokenError("id_token_malformed", "The ID token's exp or iat is not a Unix time in seconds between 1970 and 9999.")
        }
        guard now <= expiresAt + clockSkewSeconds else {
            throw LineIDTokenError("id_token_expired", "The ID token expired \(now - expiresAt) s ago; have the user log in again and send the new token at once.")
        }
        guard issuedAt <= now + clockSkewSeconds else {
            throw LineIDTokenError("id_token_issued_in_future", "The ID token is issued \(issuedAt - now) s in the future; check the clocks.")
        }
        guard expiresAt > issuedAt else {
            throw LineIDTokenError("id_token_malformed", "The ID token expires (exp \(expiresAt)) before it was issued (iat \(issuedAt)).")
        }
        guard now - issuedAt <= Self.maxAgeSeconds + clockSkewSeconds else {
            throw LineIDTokenError("id_token_too_old",
                                   "The ID token was issued \(now - issuedAt) s ago; a binding needs one issued within the last \(Self.maxAgeSeconds) s. Have the user log in again and send the new token at once.")
        }
        let nonce = payload["nonce"]?.stringValue
        if let expectedNonce {
            guard let nonce, ConstantTime.equals(Array(nonce.utf8), Array(expectedNonce.utf8)) else {
                throw LineIDTokenError("id_token_nonce_mismatch", "The ID token's nonce is missing or differs from the nonce sent with the login request; start the login again.")
            }
        }
        guard let subject = payload["sub"]?.stringValue, Self.isLineUserID(subject) else {
            throw LineIDTokenError("id_token_bad_subject", "The ID token's subject is not a LINE user ID (U followed by 32 lowercase hex digits).")
        }
        let methods = payload["amr"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return LineIDTokenClaims(subject: subject, audience: audience, issuer: issuer, issuedAt: issuedAt, expiresAt: expiresAt,
                                 nonce: nonce, authenticationMethods: methods, name: payload["name"]?.stringValue)
    }

    static func isLineUserID(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard utf8.count == 33, utf8.first == UInt8(ascii: "U") else { return false }
        return utf8.dropFirst().allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    private static func describe(_ failure: JSONWebToken.ParseFailure) -> String {
        switch failure {
        case .tooLong: return "longer than \(JSONWebToken.maxTokenBytes) bytes"
        case .notThreeParts: return "it needs three non-empty dot-separated parts"
        case .badBase64(let part): return "the \(part) is not base64url"
        case .badJSON(let part): return "the \(part) is not a JSON object"
        }
    }

    private static func clip(_ text: String) -> String { text.count <= 16 ? text : String(text.prefix(16)) + "…" }
}
