/// Where the response to one request goes when its handler answers later, from another thread
/// (see ``HTTPHandler/answerOnEventLoop(_:responder:)``). Send exactly once; a connection
/// closed meanwhile drops the response.
public struct HTTPResponder: Sendable {
    private enum Destination {
        case eventLoop(EventLoopMailbox, connectionID: UInt64)
        case closure(@Sendable (HTTPResponse) -> Void)
    }

    private let destination: Destination

    init(mailbox: EventLoopMailbox, connectionID: UInt64) {
        destination = .eventLoop(mailbox, connectionID: connectionID)
    }

    /// A responder that hands the response to `deliver` (to drive a handler without a server).
    public init(_ deliver: @escaping @Sendable (HTTPResponse) -> Void) {
        destination = .closure(deliver)
    }

    /// Queues `response` for the connection's event loop and wakes it (one wake-up serves every
    /// post queued before the loop takes them). Any thread; never blocks on I/O.
    public func send(_ response: HTTPResponse) {
        switch destination {
        case .eventLoop(let mailbox, let id): mailbox.deliver(EventLoopMailbox.Delivery(connectionID: id, content: .response(response)))
        case .closure(let deliver): deliver(response)
        }
    }

    /// Like ``send(_:)``, but the response is made by `deferred` on the event loop's thread when
    /// the loop takes the post: for work that should not run on the thread that completes the
    /// request (a storage thread finishing a commit). Without a server, it is made at once.
    /// A class conforming to ``HTTPDeferredResponse`` travels as one reference: nothing is
    /// allocated for the post.
    public func send(deferred: any HTTPDeferredResponse) {
        switch destination {
        case .eventLoop(let mailbox, let id): mailbox.deliver(EventLoopMailbox.Delivery(connectionID: id, content: .deferred(deferred)))
        case .closure(let deliver): deliver(deferred.makeResponse())
        }
    }

    /// ``send(deferred:)`` with the response made by `build`.
    public func send(building build: @escaping @Sendable () -> HTTPResponse) {
        send(deferred: ClosureDeferredResponse(build: build))
    }
}

/// A response made later, on the event loop's thread, when the loop takes it from its mailbox
/// (see ``HTTPResponder/send(deferred:)``).
public protocol HTTPDeferredResponse: Sendable {
    /// The response; called once, on the event loop's thread (or at once without a server).
    func makeResponse() -> HTTPResponse
}

/// A deferred response made by a closure.
private struct ClosureDeferredResponse: HTTPDeferredResponse {
    let build: @Sendable () -> HTTPResponse

    func makeResponse() -> HTTPResponse { build() }
}

/// How a handler takes a request on the event loop thread.
public enum HTTPEventLoopAnswer: Sendable {
    /// Answered at once; the loop writes it without leaving its thread.
    case answered(HTTPResponse)
    /// Accepted; the handler will send through the responder exactly once, from any thread.
    case willSend
    /// Not for the event loop: `handle(_:)` runs in its own Task.
    case runInTask
}
