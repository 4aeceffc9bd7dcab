/// One name/value pair from a request's query string, percent-decoded.
public struct HTTPQueryItem: Sendable, Hashable {
    /// The decoded name.
    public var name: String
    /// The decoded value ("" when the item has no `=`).
    public var value: String

    /// A query item with already-decoded text.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A complete, validated request as handed to an `HTTPHandler`.
public struct HTTPRequest: Sendable {
    /// The request method.
    public var method: HTTPMethod
    /// The request target exactly as received (origin-form, absolute-form or `*`).
    public var target: String
    /// The raw path of the target, without query; percent-escapes are NOT decoded.
    public var path: String
    /// The raw query string after `?`, or nil when the target has none.
    public var query: String?
    /// The protocol version of the request.
    public var version: HTTPVersion
    /// The header fields in received order.
    public var headers: HTTPHeaders
    /// The complete body (de-chunked when it was sent chunked).
    public var body: [UInt8]
    /// The peer's numeric IP address.
    public var remoteAddress: String
    /// The peer's TCP port.
    public var remotePort: UInt16

    /// A request, mainly for tests of handlers; `path` and `query` are derived from `target`.
    public init(
        method: HTTPMethod, target: String, version: HTTPVersion = .http1_1,
        headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
        remoteAddress: String = "127.0.0.1", remotePort: UInt16 = 0
    ) {
        self.method = method
        self.target = target
        let (path, query) = HTTPRequest.splitTarget(target)
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
    }

    /// The path with percent-escapes decoded; nil if an escape is malformed or decodes to invalid UTF-8.
    /// `+` stays `+`. Note that `%2F` becomes `/`, so route on `path` when that matters.
    public var decodedPath: String? {
        PercentDecoding.decode(path, plusIsSpace: false)
    }

    /// The query string split on `&` and `=`, each side percent-decoded with `+` as space.
    /// A component whose escapes are malformed is kept verbatim; empty pairs are skipped.
    public var queryItems: [HTTPQueryItem] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let rawName = parts[0]
            let rawValue = parts.count > 1 ? parts[1] : ""
            return HTTPQueryItem(
                name: PercentDecoding.decode(rawName, plusIsSpace: true) ?? String(rawName),
                value: PercentDecoding.decode(rawValue, plusIsSpace: true) ?? String(rawValue)
            )
        }
    }

    /// The first value of the query item named `name`, decoded.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// Splits a target into raw path and query. Absolute-form targets yield their path ("/" when empty).
    static func splitTarget(_ target: String) -> (path: String, query: String?) {
        // The usual origin-form target: split on the bytes, sharing the target's storage for the path.
        let bytes = target.utf8
        if bytes.first == UInt8(ascii: "/") {
            guard let mark = bytes.firstIndex(of: UInt8(ascii: "?")) else { return (target, nil) }
            return (String(target[..<mark]), String(target[target.index(after: mark)...]))
        }
        var pathAndQuery = Substring(target)
        if !target.hasPrefix("/"), target != "*", let colon = target.firstIndex(of: ":"),
           target[colon...].hasPrefix("://") {
            let afterAuthority = target[target.index(colon, offsetBy: 3)...]
            if let slash = afterAuthority.firstIndex(where: { $0 == "/" || $0 == "?" }) {
                pathAndQuery = afterAuthority[slash...]
            } else {
                pathAndQuery = ""
            }
        }
        let path: Substring
        let query: String?
        if let mark = pathAndQuery.firstIndex(of: "?") {
            path = pathAndQuery[..<mark]
            query = String(pathAndQuery[pathAndQuery.index(after: mark)...])
        } else {
            path = pathAndQuery
            query = nil
        }
        return (path.isEmpty ? "/" : String(path), query)
    }
}
