/// A stable, machine-readable error code carried in every error body's `code` field.
///
/// Clients branch on the code, never on the message. The transport-layer catalogue lives here as
/// constants; the service layer may define more with `APIErrorCode("…")` (lower snake case).
public struct APIErrorCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// A code with the given spelling.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    // MARK: Authentication (401)

    /// A required authentication header is absent, empty or repeated.
    public static let unauthenticated = APIErrorCode("unauthenticated")
    /// `X-LINE-ChannelId` names no active credential.
    public static let unknownKeyId = APIErrorCode("unknown_key_id")
    /// `X-LINE-Authorization-Nonce` is neither a UUID v1/v4 nor a Unix timestamp.
    public static let malformedNonce = APIErrorCode("malformed_nonce")
    /// The nonce's timestamp lies outside the accepted clock window.
    public static let staleNonce = APIErrorCode("stale_nonce")
    /// The nonce was already used with this key id inside the replay window.
    public static let nonceReplayed = APIErrorCode("nonce_replayed")
    /// A request whose answer carries a secret (credential rotation) was signed with a nonce
    /// without a time (UUID v4), which could be replayed once the replay window passed.
    public static let nonceWithoutTime = APIErrorCode("nonce_without_time")
    /// `X-LINE-Authorization` does not match the request.
    public static let signatureMismatch = APIErrorCode("signature_mismatch")

    // MARK: Authorisation (403)

    /// The caller's address is outside the allowlist for its channel and environment.
    public static let ipNotAllowed = APIErrorCode("ip_not_allowed")
    /// The caller's role may not perform this operation.
    public static let forbiddenRole = APIErrorCode("forbidden_role")

    // MARK: Request shape (4xx)

    /// The request is malformed in a way no more specific code covers (e.g. a bad query parameter).
    public static let badRequest = APIErrorCode("bad_request")
    /// The body is not a JSON document (the message gives the byte offset).
    public static let malformedJSON = APIErrorCode("malformed_json")
    /// The body is JSON but fields are missing, unknown or invalid; see `details`.
    public static let validationFailed = APIErrorCode("validation_failed")
    /// The body's `Content-Type` is not `application/json`.
    public static let unsupportedMediaType = APIErrorCode("unsupported_media_type")
    /// The body or a batch is larger than allowed.
    public static let payloadTooLarge = APIErrorCode("payload_too_large")
    /// No resource at this path (or it belongs to another merchant).
    public static let notFound = APIErrorCode("not_found")
    /// The path exists but not with this method; see the `Allow` header.
    public static let methodNotAllowed = APIErrorCode("method_not_allowed")
    /// The request conflicts with the current state (e.g. an orderId reused with other content).
    public static let conflict = APIErrorCode("conflict")
    /// An environment opening sent again carries another LINE Login channel secret than the one stored.
    public static let loginChannelSecretConflict = APIErrorCode("login_channel_secret_conflict")
    /// The caller sent too many requests.
    public static let rateLimited = APIErrorCode("rate_limited")

    // MARK: Server (5xx)

    /// The service cannot take this request now (disk full, replay protection saturated, shutting down).
    public static let unavailable = APIErrorCode("unavailable")
    /// An unexpected failure; the request id identifies it in the logs.
    public static let internalError = APIErrorCode("internal_error")
}
