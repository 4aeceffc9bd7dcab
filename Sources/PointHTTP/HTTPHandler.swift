/// Turns a request into a response. Called once per request, in its own Task; a connection's
/// next request is not read until the previous response has been written.
public protocol HTTPHandler: Sendable {
    /// The response for `request`; the server adds Content-Length and Connection.
    func handle(_ request: HTTPRequest) async -> HTTPResponse

    /// Called on the event loop for each response the server generates itself (a malformed
    /// request, a limit, a timeout, a connection over capacity), so a handler can add the headers
    /// it puts on every response, such as a request id. Keep it cheap; the default adds nothing.
    func decorateGeneratedResponse(_ response: inout HTTPResponse)
}

extension HTTPHandler {
    public func decorateGeneratedResponse(_ response: inout HTTPResponse) {}
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
