/// An invariant a fuzz target found broken: what should hold and what happened instead.
public struct FuzzViolation: Error, CustomStringConvertible, Equatable {
    public let target: String
    public let invariant: String

    public init(_ target: String, _ invariant: String) {
        self.target = target
        self.invariant = invariant
    }

    public var description: String { "\(target): invariant broken: \(invariant)" }
}

/// The fuzz targets. Each takes arbitrary bytes, drives one input-facing part of PointConnect
/// with them and checks invariants (not only "does not crash"); a broken invariant is returned
/// as a ``FuzzViolation``. A crash (trap, sanitizer report) is the other kind of finding.
///
/// The same functions back the libFuzzer entry point (`pointconnect-fuzz`, built with
/// `-sanitize=fuzzer -DFUZZING`), the corpus replay of the plain build and the regression tests.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `HTTPRequestParser`: split-independence, limits and framing of every accepted request.
    case httpParser = "http-parser"
    /// `JSONParser`, `CanonicalJSON`, the canonical validator and the grant/revocation readers.
    case jsonBody = "json-body"
    /// `LineIDTokenVerifier.verify` with a fixed HS256 secret and a one-key JWKS.
    case idToken = "id-token"
    /// `LedgerRecordFormat.parseView`/`parse` of one record line.
    case ledgerRecord = "ledger-record"

    /// Runs the target on one input.
    public func run(_ data: [UInt8]) -> FuzzViolation? {
        switch self {
        case .httpParser: return HTTPParserTarget.run(data)
        case .jsonBody: return JSONBodyTarget.run(data)
        case .idToken: return IDTokenTarget.run(data)
        case .ledgerRecord: return LedgerRecordTarget.run(data)
        }
    }

    /// The target named by `POINTCONNECT_FUZZ_TARGET`.
    public static func fromEnvironment(_ value: String?) -> FuzzTarget? {
        guard let value else { return nil }
        return FuzzTarget(rawValue: value)
    }
}

/// Collects the first broken invariant of one run.
struct Checker {
    let target: String
    private(set) var violation: FuzzViolation?

    init(_ target: String) { self.target = target }

    mutating func check(_ condition: @autoclosure () -> Bool, _ invariant: @autoclosure () -> String) {
        guard violation == nil, !condition() else { return }
        violation = FuzzViolation(target, invariant())
    }

    mutating func fail(_ invariant: String) {
        if violation == nil { violation = FuzzViolation(target, invariant) }
    }
}
