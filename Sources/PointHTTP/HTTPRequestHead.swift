/// The validated request line and header section, with the framing decisions taken from them.
struct HTTPRequestHead: Sendable, Equatable {
    var method: HTTPMethod
    var target: String
    var version: HTTPVersion
    var headers: HTTPHeaders
    /// Whether the client wants the connection kept open after the response.
    var keepAlive: Bool
    /// Whether the client sent `Expect: 100-continue` (HTTP/1.1 only).
    var expectsContinue: Bool
}

/// What the parser produced from the bytes so far.
enum HTTPParseEvent: Sendable, Equatable {
    /// Nothing complete yet; feed more bytes.
    case needMoreData
    /// A valid head asked for `100 Continue` and its body has not started; send it, then keep parsing.
    case continueRequested
    /// A complete request; call `next()` again later for any pipelined request after it.
    case request(HTTPRequestHead, body: [UInt8])
    /// The request is invalid; answer with the error and close the connection.
    case failure(HTTPRequestError)
}

/// Which part of a request the parser is waiting for (drives the connection's timeouts).
enum HTTPParsePhase: Sendable, Equatable {
    /// No byte of the next request has arrived.
    case idle
    /// Inside the request line or header section.
    case head
    /// Inside the body (fixed-length or chunked, trailers included).
    case body
}
