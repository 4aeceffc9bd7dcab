/// The request parser, exposed to the fuzzing harness (`Sources/PointFuzzTargets`) only.
///
/// `@_spi(Fuzzing)` keeps it out of the module's public interface: nothing but the harness and
/// its regression tests import it. It forwards to ``HTTPRequestParser`` without adding behaviour.
@_spi(Fuzzing) public struct HTTPRequestParserProbe {
    /// What one call to ``next()`` produced.
    public enum Event: Equatable, Sendable {
        case needMoreData
        case continueRequested
        case request(Request)
        case failure(status: Int, code: String, message: String)
    }

    /// A complete request as the parser handed it over.
    public struct Request: Equatable, Sendable {
        public var method: HTTPMethod
        public var target: String
        public var version: HTTPVersion
        public var headers: HTTPHeaders
        public var keepAlive: Bool
        public var expectsContinue: Bool
        public var body: [UInt8]
    }

    private var parser: HTTPRequestParser

    public init(limits: HTTPServerLimits) {
        parser = HTTPRequestParser(limits: limits)
    }

    public var limits: HTTPServerLimits { parser.limits }

    /// Bytes received but not yet consumed by a complete request.
    public var unconsumedByteCount: Int { parser.unconsumedByteCount }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        parser.append(bytes)
    }

    public mutating func next() -> Event {
        switch parser.next() {
        case .needMoreData: return .needMoreData
        case .continueRequested: return .continueRequested
        case .request(let head, let body):
            return .request(Request(method: head.method, target: head.target, version: head.version, headers: head.headers,
                                    keepAlive: head.keepAlive, expectsContinue: head.expectsContinue, body: body))
        case .failure(let error):
            return .failure(status: error.status.code, code: error.code, message: error.message)
        }
    }
}
