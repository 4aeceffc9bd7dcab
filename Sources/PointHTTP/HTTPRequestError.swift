/// Why a request was refused before reaching the handler: the status, a stable machine-readable
/// code and a specific human-readable message. Rendered with `HTTPResponse.error`.
struct HTTPRequestError: Error, Sendable, Equatable {
    var status: HTTPStatus
    var code: String
    var message: String

    var response: HTTPResponse {
        HTTPResponse.error(status: status, code: code, message: message)
    }

    static func badRequest(_ message: String) -> HTTPRequestError {
        HTTPRequestError(status: .badRequest, code: "bad_request", message: message)
    }

    static func requestTimeout(_ message: String) -> HTTPRequestError {
        HTTPRequestError(status: .requestTimeout, code: "request_timeout", message: message)
    }

    static let lengthRequired = HTTPRequestError(
        status: .lengthRequired, code: "length_required",
        message: "a request with this method needs Content-Length or Transfer-Encoding: chunked")

    static func contentTooLarge(limit: Int) -> HTTPRequestError {
        HTTPRequestError(status: .contentTooLarge, code: "content_too_large",
                         message: "request body exceeds \(limit) bytes")
    }

    static func uriTooLong(limit: Int) -> HTTPRequestError {
        HTTPRequestError(status: .uriTooLong, code: "uri_too_long",
                         message: "request line exceeds \(limit) bytes")
    }

    static func headerFieldsTooLarge(_ message: String) -> HTTPRequestError {
        HTTPRequestError(status: .requestHeaderFieldsTooLarge, code: "request_header_fields_too_large",
                         message: message)
    }

    static func notImplemented(_ message: String) -> HTTPRequestError {
        HTTPRequestError(status: .notImplemented, code: "not_implemented", message: message)
    }

    static let expectationFailed = HTTPRequestError(
        status: .expectationFailed, code: "expectation_failed",
        message: "only the 100-continue expectation is supported")

    static let versionNotSupported = HTTPRequestError(
        status: .httpVersionNotSupported, code: "http_version_not_supported",
        message: "only HTTP/1.0 and HTTP/1.1 are supported")

    static let serviceUnavailable = HTTPRequestError(
        status: .serviceUnavailable, code: "service_unavailable",
        message: "the server is at its connection limit")
}
