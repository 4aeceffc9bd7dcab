import PointHTTP

/// Why a route could not be added (a programming error in the route table).
public struct RouterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The pattern concerned.
    public let pattern: String
    /// What is wrong.
    public let reason: String

    public var description: String { "route \(pattern): \(reason)" }
}

/// The `{param}` values of a matched route, percent-decoded.
public struct RouteParameters: Sendable, Hashable {
    /// Name/value pairs in path order.
    public private(set) var pairs: [(name: String, value: String)] = []

    init(pairs: [(name: String, value: String)]) { self.pairs = pairs }

    /// The value of `{name}`, or nil.
    public subscript(name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    public static func == (left: RouteParameters, right: RouteParameters) -> Bool {
        left.pairs.elementsEqual(right.pairs) { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for pair in pairs {
            hasher.combine(pair.name)
            hasher.combine(pair.value)
        }
    }
}

/// What ``Router/match(method:path:)`` found.
public enum RouteMatch<Handler: Sendable>: Sendable {
    /// A route: its handler, its pattern (the metrics label) and its parameters.
    case found(handler: Handler, pattern: String, parameters: RouteParameters)
    /// No route has this path (404).
    case notFound
    /// Routes have this path but not this method (405 with `Allow`).
    case methodNotAllowed(allowed: [HTTPMethod])
    /// The path matches a route but a parameter is malformed or too long (400).
    case invalidParameter(APIError)

    /// The label for metrics and logs: the pattern, or a fixed word for the unmatched cases, so
    /// label cardinality stays bounded whatever paths clients send.
    public var routeLabel: String {
        switch self {
        case .found(_, let pattern, _): return pattern
        case .notFound: return "unmatched"
        case .methodNotAllowed: return "method_not_allowed"
        case .invalidParameter: return "invalid_parameter"
        }
    }
}

/// Matches a method and raw path against patterns such as `/v1/grants/{orderId}/revocations`.
///
/// Literal segments match the raw path segment exactly (no decoding); a `{param}` matches one
/// non-empty segment, which is percent-decoded and must be valid UTF-8 without control characters
/// and at most `maxParameterBytes` long. Literal segments win over parameters (so
/// `POST /v1/grants/batch` beats `/v1/grants/{orderId}`), with fallback to the parameter route
/// when the literal route lacks the method. `HEAD` is served by a `GET` route. Empty segments
/// (`//`, a trailing `/`) match nothing.
///
/// ```swift
/// var router = Router<Endpoint>()
/// try router.add(.get, "/v1/grants/{orderId}", .getGrant)
/// switch router.match(method: request.method, path: request.path) { … }
/// ```
public struct Router<Handler: Sendable>: Sendable {
    /// Longest decoded parameter, in bytes.
    public let maxParameterBytes: Int
    /// Most segments in a path considered; longer paths are not found.
    public static var maxSegments: Int { 32 }

    private var root = Node()
    /// The routes of patterns without parameters, by exact path: the common case matched with one
    /// lookup instead of a walk (a literal route wins over a parameter one anyway).
    private var literalRoutes: [String: [HTTPMethod: Entry]] = [:]
    /// Every (method, pattern) added, in order.
    public private(set) var routes: [(method: HTTPMethod, pattern: String)] = []

    /// An empty router.
    public init(maxParameterBytes: Int = 128) {
        self.maxParameterBytes = max(1, maxParameterBytes)
    }

    /// Adds a route. Patterns start with `/`; segments are literals of unreserved URI characters
    /// or `{name}` with a name of letters, digits and `_` starting with a letter.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, _ handler: Handler) throws(RouterError) {
        guard pattern.hasPrefix("/"), pattern.utf8.count <= 512 else {
            throw RouterError(pattern: pattern, reason: "a pattern starts with / and is at most 512 bytes")
        }
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard segments.count <= Router.maxSegments else {
            throw RouterError(pattern: pattern, reason: "more than \(Router.maxSegments) segments")
        }
        var parsed: [Segment] = []
        var names: Set<String> = []
        for segment in segments {
            if segment.hasPrefix("{") {
                let name = String(segment.dropFirst().dropLast())
                guard segment.hasSuffix("}"), Self.isParameterName(name) else {
                    throw RouterError(pattern: pattern, reason: "\(segment) is not a valid {parameter}")
                }
                guard names.insert(name).inserted else {
                    throw RouterError(pattern: pattern, reason: "parameter {\(name)} appears twice")
                }
                parsed.append(.parameter(name))
            } else {
                guard segment.utf8.allSatisfy(Self.isUnreserved), !(segment.isEmpty && segments.count > 1) else {
                    throw RouterError(pattern: pattern, reason: "segment \"\(segment)\" must be non-empty unreserved characters")
                }
                parsed.append(.literal(String(segment)))
            }
        }
        let entry = Entry(handler: handler, pattern: pattern)
        try root.insert(parsed[...], method: method, entry: entry, pattern: pattern)
        if parsed.allSatisfy({ if case .literal = $0 { return true } else { return false } }) {
            literalRoutes[pattern, default: [:]][method] = entry
        }
        routes.append((method, pattern))
    }

    /// Finds the route for `method` and a raw `path` (as in ``HTTPRequest/path``).
    public func match(method: HTTPMethod, path: String) -> RouteMatch<Handler> {
        // The walk would find the same entry first: literals are tried before parameters. Without
        // this method here, the walk decides (a parameter route may have it, or the answer is 405).
        if let entries = literalRoutes[path], let entry = entries[method] ?? (method == .head ? entries[.get] : nil) {
            return .found(handler: entry.handler, pattern: entry.pattern, parameters: RouteParameters(pairs: []))
        }
        guard path.hasPrefix("/") else { return .notFound }
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            guard segments.count < Router.maxSegments else { return .notFound }
            segments.append(segment)
        }
        var search = Search(method: method, maxParameterBytes: maxParameterBytes)
        if let found = search.walk(root, segments: segments, index: 0) {
            if let problem = found.problem {
                return .invalidParameter(APIError.badRequest(
                    "The path parameter \(problem.name) is invalid: \(problem.message).",
                    details: [APIErrorDetail(property: problem.name, message: problem.message)]
                ))
            }
            return .found(handler: found.entry.handler, pattern: found.entry.pattern,
                          parameters: RouteParameters(pairs: found.parameters))
        }
        if !search.allowed.isEmpty {
            var allowed = search.allowed
            if allowed.contains(.get) { allowed.insert(.head) }
            return .methodNotAllowed(allowed: HTTPMethod.allCases.filter { allowed.contains($0) })
        }
        return .notFound
    }

    /// The match, or the ``APIError`` to answer (404, 405 with `Allow`, or 400).
    public func resolve(method: HTTPMethod, path: String) throws(APIError) -> (handler: Handler, pattern: String, parameters: RouteParameters) {
        switch match(method: method, path: path) {
        case .found(let handler, let pattern, let parameters): return (handler, pattern, parameters)
        case .notFound: throw APIError.notFound()
        case .methodNotAllowed(let allowed): throw APIError.methodNotAllowed(method, allowed: allowed)
        case .invalidParameter(let error): throw error
        }
    }

    // MARK: - Internals

    private enum Segment {
        case literal(String)
        case parameter(String)
    }

    private struct Entry: Sendable {
        let handler: Handler
        let pattern: String
    }

    private struct Node: Sendable {
        var literals: [String: Node] = [:]
        var parameterName: String?
        /// Zero or one node (an array gives the recursive struct its indirection).
        var parameterChild: [Node] = []
        var entries: [HTTPMethod: Entry] = [:]

        mutating func insert(_ segments: ArraySlice<Segment>, method: HTTPMethod, entry: Entry, pattern: String) throws(RouterError) {
            guard let first = segments.first else {
                guard entries[method] == nil else {
                    throw RouterError(pattern: pattern, reason: "\(method.rawValue) is already routed to \(entries[method]?.pattern ?? pattern)")
                }
                entries[method] = entry
                return
            }
            let rest = segments.dropFirst()
            switch first {
            case .literal(let text):
                var child = literals[text] ?? Node()
                try child.insert(rest, method: method, entry: entry, pattern: pattern)
                literals[text] = child
            case .parameter(let name):
                if let existing = parameterName, existing != name {
                    throw RouterError(pattern: pattern, reason: "{\(name)} conflicts with {\(existing)} at the same position")
                }
                parameterName = name
                var child = parameterChild.first ?? Node()
                try child.insert(rest, method: method, entry: entry, pattern: pattern)
                parameterChild = [child]
            }
        }
    }

    private struct Found {
        let entry: Entry
        let parameters: [(name: String, value: String)]
        let problem: (name: String, message: String)?
    }

    private struct Search {
        let method: HTTPMethod
        let maxParameterBytes: Int
        var allowed: Set<HTTPMethod> = []
        var parameters: [(name: String, value: String)] = []
        var problem: (name: String, message: String)?

        mutating func walk(_ node: Node, segments: [Substring], index: Int) -> Found? {
            if index == segments.count {
                guard !node.entries.isEmpty else { return nil }
                if let entry = node.entries[method] ?? (method == .head ? node.entries[.get] : nil) {
                    return Found(entry: entry, parameters: parameters, problem: problem)
                }
                allowed.formUnion(node.entries.keys)
                return nil
            }
            let segment = segments[index]
            if let child = node.literals[String(segment)], let found = walk(child, segments: segments, index: index + 1) {
                return found
            }
            guard let name = node.parameterName, let child = node.parameterChild.first, !segment.isEmpty else { return nil }
            let savedProblem = problem
            let value: String
            switch RouteParameterDecoding.decode(segment, maxBytes: maxParameterBytes) {
            case .success(let decoded): value = decoded
            case .failure(let message):
                value = ""
                if problem == nil { problem = (name, message) }
            }
            parameters.append((name, value))
            if let found = walk(child, segments: segments, index: index + 1) { return found }
            parameters.removeLast()
            problem = savedProblem
            return nil
        }
    }

    private static func isParameterName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (0x41...0x5A).contains(first) || (0x61...0x7A).contains(first) else { return false }
        return name.utf8.count <= 64 && name.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
    }
}

/// Percent-decoding of one path parameter.
enum RouteParameterDecoding {
    enum Outcome {
        case success(String)
        case failure(String)
    }

    static func decode(_ segment: Substring, maxBytes: Int) -> Outcome {
        guard segment.utf8.count <= maxBytes * 3 else { return .failure("must be at most \(maxBytes) bytes") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(segment.utf8.count)
        var iterator = segment.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return .failure("contains a malformed percent-escape")
            }
            bytes.append(high << 4 | low)
        }
        guard bytes.count <= maxBytes else { return .failure("must be at most \(maxBytes) bytes") }
        guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return .failure("must not contain control characters") }
        guard let text = String(validating: bytes, as: UTF8.self) else { return .failure("is not valid UTF-8") }
        return .success(text)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - 0x30
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - 0x61 + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - 0x41 + 10
        default: return nil
        }
    }
}
