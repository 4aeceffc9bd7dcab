/// A merchant's member bound to a LINE user, created only from a verified LINE Login ID token.
/// One LINE user ↔ one member per merchant; unbinding ends it, its history stays in the ledger.
public struct Binding: Sendable, Equatable {
    public let merchantID: String
    public let memberID: String
    public let lineUserID: String
    /// Ledger seq and time of the binding.
    public let seq: UInt64
    public let boundAt: Int64
    /// Set when the binding was removed.
    public var unboundAt: Int64?

    public var isActive: Bool { unboundAt == nil }
}
