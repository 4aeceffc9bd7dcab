import PointCore
import PointCrypto
import PointHTTP

/// Why a request's signature headers were refused. Messages never contain a secret or the expected signature.
public enum AuthenticationFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The header is absent or empty.
    case missingHeader(String)
    /// The header appears more than once.
    case duplicateHeader(String)
    /// The key id names no active credential.
    case unknownKeyId
    /// The nonce is neither a UUID v1/v4 nor a 10- or 13-digit Unix timestamp.
    case malformedNonce
    /// The nonce's time is further than the window from the server's clock (all in Unix milliseconds).
    case staleNonce(nonceTime: Int64, serverTime: Int64, windowMilliseconds: Int64)
    /// The nonce was used before with this key id.
    case replayedNonce
    /// The signature header is not Base64 of 32 bytes.
    case malformedSignature
    /// The signature does not match the request.
    case signatureMismatch
    /// The replay cache is full; the request cannot be checked safely now.
    case replayProtectionUnavailable(retryAfterSeconds: Int)

    /// The error to answer with: 401 for every refusal except a saturated replay cache (503).
    public var apiError: APIError {
        switch self {
        case .missingHeader(let name):
            return APIError(
                status: .unauthorized, code: .unauthenticated,
                message: "The \(name) header is missing. Sign every request with \(RequestSignature.keyIdHeader), \(RequestSignature.nonceHeader) and \(RequestSignature.signatureHeader).",
                details: [APIErrorDetail(property: name, message: "is required")]
            )
        case .duplicateHeader(let name):
            return APIError(
                status: .unauthorized, code: .unauthenticated,
                message: "The \(name) header appears more than once; send it exactly once.",
                details: [APIErrorDetail(property: name, message: "must appear once")]
            )
        case .unknownKeyId:
            return APIError(
                status: .unauthorized, code: .unknownKeyId,
                message: "\(RequestSignature.keyIdHeader) names no active credential. Check the channel ID, or whether its credential was revoked."
            )
        case .malformedNonce:
            return APIError(
                status: .unauthorized, code: .malformedNonce,
                message: "\(RequestSignature.nonceHeader) must be a UUID v1 or v4 (8-4-4-4-12 hex) or a Unix timestamp in seconds (10 digits) or milliseconds (13 digits)."
            )
        case .staleNonce(let nonceTime, let serverTime, let window):
            let seconds = (nonceTime > serverTime ? nonceTime - serverTime : serverTime - nonceTime) / 1_000
            return APIError(
                status: .unauthorized, code: .staleNonce,
                message: "The time in \(RequestSignature.nonceHeader), \(CivilTime.formatUTC(nonceTime * 1_000)), is \(seconds) s "
                    + "\(nonceTime > serverTime ? "ahead of" : "behind") the server's clock, \(CivilTime.formatUTC(serverTime * 1_000)); "
                    + "it must be within \(window / 1_000) s of it. Take the nonce's time from a synchronised clock (a sandbox "
                    + "started with --now runs on its own clock: GET /readyz answers it as now) and sign again.",
                details: [APIErrorDetail(property: RequestSignature.nonceHeader,
                                         message: "must be within \(window / 1_000) s of \(CivilTime.formatUTC(serverTime * 1_000))")]
            )
        case .replayedNonce:
            return APIError(
                status: .unauthorized, code: .nonceReplayed,
                message: "This nonce was already used with this channel. Sign every request with a new nonce."
            )
        case .malformedSignature:
            return APIError(
                status: .unauthorized, code: .signatureMismatch,
                message: "\(RequestSignature.signatureHeader) must be the Base64 of an HMAC-SHA256 (44 characters)."
            )
        case .signatureMismatch:
            return APIError(
                status: .unauthorized, code: .signatureMismatch,
                message: "\(RequestSignature.signatureHeader) does not match the request. Sign secret + path + (query string for GET/DELETE, exact body for POST/PUT/PATCH) + nonce with the channel secret."
            )
        case .replayProtectionUnavailable(let retryAfterSeconds):
            var error = APIError.unavailable(
                "The service cannot check request nonces right now because too many are outstanding. Retry shortly.",
                retryAfterSeconds: retryAfterSeconds
            )
            error.code = .unavailable
            return error
        }
    }

    public var description: String { apiError.message }
}

/// Checks a request's LINE Pay v3 signature headers against a ``CredentialStore``.
///
/// Order of checks: the three headers are present exactly once → the key id is known → the nonce is
/// well-formed → a timed nonce lies within ±`timestampWindow` → the signature matches (constant-time,
/// against the current and any still-valid previous secret) → the nonce is recorded in the replay
/// cache. The nonce is recorded only after the signature verifies, so nobody without the secret can
/// fill the cache or burn a caller's nonces.
///
/// Use in the service: `let credential = try authenticator.authenticate(request)` and on failure
/// answer `failure.apiError.response`.
public final class RequestAuthenticator: Sendable {
    /// The credentials requests are checked against.
    public let credentials: CredentialStore
    /// Where used nonces are remembered.
    public let replayCache: NonceReplayCache
    /// How far a timed nonce may be from the server's clock (clamped to the replay window, so a
    /// timestamped nonce is always remembered for as long as it could be accepted).
    public let timestampWindow: Duration

    /// ``timestampWindow`` in milliseconds.
    let timestampWindowMilliseconds: Int64
    private let clock: any APIClock

    /// An authenticator; `timestampWindow` defaults to 5 minutes.
    public init(
        credentials: CredentialStore, replayCache: NonceReplayCache,
        timestampWindow: Duration = .seconds(300), clock: any APIClock = SystemAPIClock()
    ) {
        let milliseconds = max(0, min(timestampWindow.wholeMilliseconds, replayCache.window.wholeMilliseconds))
        self.credentials = credentials
        self.replayCache = replayCache
        self.timestampWindow = .milliseconds(milliseconds)
        self.timestampWindowMilliseconds = milliseconds
        self.clock = clock
    }

    /// The credential that signed `request`, or the reason it is refused.
    public func authenticate(_ request: HTTPRequest) throws(AuthenticationFailure) -> Credential {
        let keyId = try Self.singleHeader(RequestSignature.keyIdHeader, in: request.headers)
        let nonceText = try Self.singleHeader(RequestSignature.nonceHeader, in: request.headers)
        let signatureText = try Self.singleHeader(RequestSignature.signatureHeader, in: request.headers)

        let now = clock.unixMilliseconds()
        guard keyId.utf8.count <= Credential.maxKeyIdLength,
              let (credential, secrets) = credentials.verificationSecrets(forKeyId: keyId, at: now) else {
            throw .unknownKeyId
        }
        guard let nonce = RequestNonce(nonceText) else { throw .malformedNonce }
        if let nonceTime = nonce.unixMilliseconds {
            let distance = nonceTime > now ? nonceTime - now : now - nonceTime
            guard distance <= timestampWindowMilliseconds else {
                throw .staleNonce(nonceTime: nonceTime, serverTime: now, windowMilliseconds: timestampWindowMilliseconds)
            }
        }
        guard signatureText.utf8.count == 44, let provided = SHA256Digest(base64: signatureText) else {
            throw .malformedSignature
        }
        let signs = { (secret: [UInt8]) in
            ConstantTime.equals(provided, RequestSignature.macDigest(secret: secret, method: request.method, path: request.path,
                                                                     query: request.query, body: request.body, nonce: nonceText))
        }
        // Every accepted secret is tried, whichever matches.
        var matched = signs(secrets.current)
        for secret in secrets.earlier where signs(secret) { matched = true }
        guard matched else { throw .signatureMismatch }

        let retainUntil = nonce.unixMilliseconds.map { $0 + timestampWindowMilliseconds }
        do throws(NonceReplayError) {
            try replayCache.record(keyId: keyId, nonce: nonce.replayKey, retainUntil: retainUntil)
        } catch {
            switch error {
            case .replayed: throw .replayedNonce
            case .capacityExhausted: throw .replayProtectionUnavailable(retryAfterSeconds: replayCache.retryAfterSeconds)
            }
        }
        return credential
    }

    private static func singleHeader(_ name: String, in headers: HTTPHeaders) throws(AuthenticationFailure) -> String {
        let (value, count) = headers.occurrences(of: name)
        guard count <= 1 else { throw .duplicateHeader(name) }
        guard let value, !value.isEmpty else { throw .missingHeader(name) }
        return value
    }
}
