/// Who is calling: decides which parts of the API a credential may use.
public enum CallerRole: String, Sendable, Hashable, CaseIterable, Codable {
    /// A merchant channel: its own bindings, grants, revocations and scenarios only.
    case merchant
    /// Staff reviewing merchants, scenarios, compliance findings and credential rotation.
    case reviewer
    /// Staff closing periods and issuing invoices.
    case finance
    /// Read-only access for audit; every write is refused.
    case auditor
}

/// The deployment a credential belongs to, e.g. `sandbox` or `production`; named in IP refusals.
public struct ServiceEnvironment: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    /// The sandbox a newcomer runs locally.
    public static let sandbox = ServiceEnvironment(rawValue: "sandbox")
    /// Real merchants and real points.
    public static let production = ServiceEnvironment(rawValue: "production")
}
