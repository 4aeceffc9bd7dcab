/// Every bound the server enforces on a client. Each limit names the status it produces.
public struct HTTPServerLimits: Sendable, Equatable {
    /// Longest request line (method, target and version, without CRLF) → 414.
    public var maxRequestLineBytes: Int = 8 * 1024
    /// Total bytes of the header section after the request line, CRLFs included → 431.
    public var maxHeaderBytes: Int = 16 * 1024
    /// Most header fields in one request → 431.
    public var maxHeaderCount: Int = 100
    /// Largest request body, declared or chunked → 413.
    public var maxBodyBytes: Int = 1024 * 1024
    /// Longest chunk-size line of a chunked body, extensions included → 400.
    public var maxChunkLineBytes: Int = 1024
    /// Total bytes of the trailer section of a chunked body → 431.
    public var maxTrailerBytes: Int = 4 * 1024
    /// Most open client connections; the next one gets 503 and is closed.
    public var maxConnections: Int = 1024
    /// Most requests served on one connection; the last response carries `Connection: close`.
    public var maxRequestsPerConnection: Int = 1000
    /// Time allowed to receive a complete request head, from its first byte (or from accept) → 408.
    public var headerTimeout: Duration = .seconds(10)
    /// Time allowed to receive a complete body once the head is in → 408.
    public var bodyTimeout: Duration = .seconds(30)
    /// Time a keep-alive connection may sit between requests before it is closed silently.
    public var idleTimeout: Duration = .seconds(60)
    /// Time allowed for the client to take a whole response before the connection is dropped.
    public var writeTimeout: Duration = .seconds(30)
    /// After `shutdown()`, how long in-flight requests may take before connections are cut.
    public var drainTimeout: Duration = .seconds(10)
    /// Bytes read from a socket in one call (the size of the loop's single reusable read buffer).
    public var readChunkBytes: Int = 16 * 1024
    /// Backlog passed to listen(2).
    public var listenBacklog: Int = 511

    /// Defaults suitable for a public-facing API server.
    public init() {}
}

extension Duration {
    /// Whole nanoseconds, saturating at `UInt64.max`; negative durations count as zero.
    var clampedNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        let (wholeSeconds, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        let (total, overflow2) = wholeSeconds.addingReportingOverflow(UInt64(max(0, attoseconds) / 1_000_000_000))
        return overflow2 ? .max : total
    }
}
