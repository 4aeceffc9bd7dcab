/// Turns a request into a response. Called once per request, in its own Task; a connection's
/// next request is not read until the previous response has been written.
public protocol HTTPHandler: Sendable {
    /// The response for `request`; the server adds Content-Length and Connection.
    func handle(_ request: HTTPRequest) async -> HTTPResponse
}

/// An `HTTPHandler` backed by a closure.
public struct HTTPClosureHandler: HTTPHandler {
    private let body: @Sendable (HTTPRequest) async -> HTTPResponse

    public init(_ body: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) {
        self.body = body
    }

    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        await body(request)
    }
}
