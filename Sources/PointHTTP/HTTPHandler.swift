/// Turns a request into a response. A connection's next request is not read until the previous
/// response has been written.
///
/// Each request is first offered to ``answerOnEventLoop(_:responder:)`` on the event loop thread
/// that owns its connection; when that declines (the default), ``handle(_:)`` runs in a Task.
public protocol HTTPHandler: Sendable {
    /// The response for `request`; the server adds Content-Length and Connection.
    func handle(_ request: HTTPRequest) async -> HTTPResponse

    /// Called on the event loop thread for every request. A handler may answer here requests
    /// whose work is short and never blocks (no file or network I/O, no waiting beyond brief
    /// locks) — at once, or later through `responder` — and so spare them two thread hand-offs;
    /// everything else answers ``HTTPEventLoopAnswer/runInTask``. The loop serves its other
    /// connections only after this returns. The default runs every request in a Task.
    func answerOnEventLoop(_ request: HTTPRequest, responder: HTTPResponder) -> HTTPEventLoopAnswer

    /// Called on the event loop for each response the server generates itself (a malformed
    /// request, a limit, a timeout, a connection over capacity), so a handler can add the headers
    /// it puts on every response, such as a request id. Keep it cheap; the default adds nothing.
    func decorateGeneratedResponse(_ response: inout HTTPResponse)
}

extension HTTPHandler {
    public func answerOnEventLoop(_ request: HTTPRequest, responder: HTTPResponder) -> HTTPEventLoopAnswer { .runInTask }
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
