/// A response produced by an `HTTPHandler`. The server sets `Content-Length` and `Connection`
/// itself (any such fields given here are replaced) and drops fields containing CR, LF or NUL.
public struct HTTPResponse: Sendable {
    /// The status line's code and reason.
    public var status: HTTPStatus
    /// Header fields, sent in order.
    public var headers: HTTPHeaders
    /// The body; not sent for HEAD requests or for 1xx/204/304 statuses.
    public var body: [UInt8]

    public init(status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with a UTF-8 text body and `Content-Type: text/plain; charset=utf-8`.
    public static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: contentType("text/plain; charset=utf-8"), body: Array(text.utf8))
    }

    /// A response whose body is already-encoded JSON, with `Content-Type: application/json`.
    public static func json(_ body: [UInt8], status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: contentType("application/json"), body: body)
    }

    /// Fields that start with `Content-Type`, with room for the few a handler adds (a request
    /// id, a replay mark) without growing.
    private static func contentType(_ value: String) -> HTTPHeaders {
        var headers = HTTPHeaders(reservingCapacity: 4)
        headers.add(name: "Content-Type", value: value)
        return headers
    }

    /// The uniform error body `{"code":"…","message":"…","details":[…]}` as `application/json`.
    /// `details` are written as JSON strings.
    public static func error(
        status: HTTPStatus, code: String, message: String, details: [String] = []
    ) -> HTTPResponse {
        var body: [UInt8] = []
        body.reserveCapacity(48 + code.utf8.count + message.utf8.count)
        body.append(contentsOf: #"{"code":"#.utf8)
        JSONStringWriter.append(code, to: &body)
        body.append(contentsOf: #","message":"#.utf8)
        JSONStringWriter.append(message, to: &body)
        body.append(contentsOf: #","details":["#.utf8)
        for (index, detail) in details.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            JSONStringWriter.append(detail, to: &body)
        }
        body.append(contentsOf: "]}".utf8)
        return json(body, status: status)
    }
}

/// Minimal JSON string escaping for error bodies (PointHTTP has no JSON dependency).
enum JSONStringWriter {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func append(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): output.append(contentsOf: #"\\"#.utf8)
            case 0x0A: output.append(contentsOf: #"\n"#.utf8)
            case 0x0D: output.append(contentsOf: #"\r"#.utf8)
            case 0x09: output.append(contentsOf: #"\t"#.utf8)
            case 0x00..<0x20, 0x7F:
                output.append(contentsOf: #"\u00"#.utf8)
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
