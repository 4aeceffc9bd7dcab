import PointHTTP
import PointJSON

/// One field-level problem: which property (a path such as `items[3].points`) and what is wrong.
public struct APIErrorDetail: Sendable, Hashable {
    /// The JSON path or parameter name the problem is about.
    public var property: String
    /// What is wrong with it and what is expected instead.
    public var message: String

    public init(property: String, message: String) {
        self.property = property
        self.message = message
    }
}

/// An error answered to the caller as `{"code":…,"message":…,"details":[{"property":…,"message":…}]}`.
///
/// `message` tells the caller what to do; it never contains secrets, expected signatures or
/// internal state. `headers` carries extras such as `Allow` (405) or `Retry-After` (503).
public struct APIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Most details rendered in one body; further ones are summarised in a final detail.
    public static let maxRenderedDetails = 100

    /// The HTTP status to answer with.
    public var status: HTTPStatus
    /// The stable machine code.
    public var code: APIErrorCode
    /// A human sentence saying what went wrong and what to do.
    public var message: String
    /// Field-level problems, possibly empty.
    public var details: [APIErrorDetail]
    /// Extra response headers.
    public var headers: HTTPHeaders

    public init(
        status: HTTPStatus, code: APIErrorCode, message: String,
        details: [APIErrorDetail] = [], headers: HTTPHeaders = HTTPHeaders()
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    public var description: String { "\(status.code) \(code.rawValue): \(message)" }

    /// The JSON body `{"code":…,"message":…,"details":[…]}`.
    public var body: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(64 + message.utf8.count + details.count * 48)
        output.append(contentsOf: #"{"code":"#.utf8)
        CanonicalJSON.appendString(code.rawValue, to: &output)
        output.append(contentsOf: #","message":"#.utf8)
        CanonicalJSON.appendString(message, to: &output)
        output.append(contentsOf: #","details":["#.utf8)
        for (index, detail) in details.prefix(APIError.maxRenderedDetails).enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            Self.append(detail, to: &output)
        }
        if details.count > APIError.maxRenderedDetails {
            output.append(UInt8(ascii: ","))
            let omitted = details.count - APIError.maxRenderedDetails
            Self.append(APIErrorDetail(property: "", message: "\(omitted) more problems not shown"), to: &output)
        }
        output.append(contentsOf: "]}".utf8)
        return output
    }

    /// The complete response: status, `Content-Type: application/json`, `headers`, and `body`.
    public var response: HTTPResponse {
        var response = HTTPResponse.json(body, status: status)
        for field in headers { response.headers.add(name: field.name, value: field.value) }
        return response
    }

    private static func append(_ detail: APIErrorDetail, to output: inout [UInt8]) {
        output.append(contentsOf: #"{"property":"#.utf8)
        CanonicalJSON.appendString(detail.property, to: &output)
        output.append(contentsOf: #","message":"#.utf8)
        CanonicalJSON.appendString(detail.message, to: &output)
        output.append(UInt8(ascii: "}"))
    }
}

extension APIError {
    /// 404 `not_found`. Also used for another merchant's resources, so their existence is not revealed.
    public static func notFound(_ message: String = "No resource exists at this path. Check the path and identifiers.") -> APIError {
        APIError(status: .notFound, code: .notFound, message: message)
    }

    /// 405 `method_not_allowed` with an `Allow` header listing `allowed`.
    public static func methodNotAllowed(_ method: HTTPMethod, allowed: [HTTPMethod]) -> APIError {
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        return APIError(
            status: .methodNotAllowed, code: .methodNotAllowed,
            message: "\(method.rawValue) is not supported on this path; use one of: \(list).",
            headers: ["Allow": list]
        )
    }

    /// 400 `bad_request` with optional details (e.g. a query parameter).
    public static func badRequest(_ message: String, details: [APIErrorDetail] = []) -> APIError {
        APIError(status: .badRequest, code: .badRequest, message: message, details: details)
    }

    /// 422 `validation_failed` listing every field problem.
    public static func validationFailed(_ details: [APIErrorDetail]) -> APIError {
        let count = details.count
        return APIError(
            status: .unprocessableContent, code: .validationFailed,
            message: "The request body has \(count) invalid field\(count == 1 ? "" : "s") (\(details.map(\.property).joined(separator: ", "))); correct the properties listed in details and retry.",
            details: details
        )
    }

    /// 403 `forbidden_role`.
    public static func forbiddenRole(_ message: String) -> APIError {
        APIError(status: .forbidden, code: .forbiddenRole, message: message)
    }

    /// 409 `conflict`.
    public static func conflict(_ message: String, details: [APIErrorDetail] = []) -> APIError {
        APIError(status: .conflict, code: .conflict, message: message, details: details)
    }

    /// 503 `unavailable`, with `Retry-After` when `retryAfterSeconds` is given.
    public static func unavailable(_ message: String, retryAfterSeconds: Int? = nil) -> APIError {
        var headers = HTTPHeaders()
        if let retryAfterSeconds { headers.add(name: "Retry-After", value: String(retryAfterSeconds)) }
        return APIError(status: .serviceUnavailable, code: .unavailable, message: message, headers: headers)
    }

    /// 500 `internal_error`; the message points at the request id rather than saying what broke.
    public static func internalError(requestId: String) -> APIError {
        APIError(
            status: .internalServerError, code: .internalError,
            message: "An unexpected error occurred. Retry later; if it persists, report request id \(requestId)."
        )
    }
}
