/// What the server reports about one finished request (handled or refused).
public struct HTTPRequestMetrics: Sendable, Equatable {
    /// The method, or nil when the request was refused before a valid request line was read.
    public var method: HTTPMethod?
    /// The raw path, or nil when the request was refused before a valid request line was read.
    public var path: String?
    /// The response status code.
    public var status: Int
    /// From the moment the request was complete until its response was queued for writing; for a
    /// refused request, from the start of the part being read (head or body) until the refusal.
    public var latency: Duration
    /// Bytes of request body received.
    public var requestBodyBytes: Int
    /// Bytes of response body sent (0 for HEAD).
    public var responseBodyBytes: Int

    public init(method: HTTPMethod?, path: String?, status: Int, latency: Duration,
                requestBodyBytes: Int, responseBodyBytes: Int) {
        self.method = method
        self.path = path
        self.status = status
        self.latency = latency
        self.requestBodyBytes = requestBodyBytes
        self.responseBodyBytes = responseBodyBytes
    }
}

/// Receives server metrics. Called on the event loop threads (the connection count under the
/// lock that orders its changes): implementations must be quick and must not block (update
/// counters, nothing more).
public protocol HTTPServerObserver: Sendable {
    /// The number of open client connections changed.
    func openConnectionsChanged(to count: Int)
    /// A response was queued for a request (including error responses the server generated).
    func requestCompleted(_ metrics: HTTPRequestMetrics)
}

extension HTTPServerObserver {
    public func openConnectionsChanged(to count: Int) {}
    public func requestCompleted(_ metrics: HTTPRequestMetrics) {}
}
