/// Why the domain refused a command: a stable machine code, a message that says what to do,
/// and field-level details. A refused command changes nothing.
public struct DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of refusal this is; the API maps it to an HTTP status.
    public enum Kind: String, Sendable, Equatable {
        /// The command itself is malformed or incomplete (422, with the fields in `details`).
        case invalid
        /// The command is well formed but breaks a rule (422).
        case rejected
        /// A referenced thing does not exist, or is not the caller's (404).
        case notFound
        /// The command contradicts an earlier one (409).
        case conflict
        /// The merchant's state does not allow this now (403).
        case forbidden
    }

    /// One problem with one field of the command.
    public struct Detail: Sendable, Equatable {
        /// The field, as a JSON path (`items[3].points`).
        public let property: String
        /// What is wrong with it and what is expected.
        public let message: String

        public init(property: String, message: String) {
            self.property = property
            self.message = message
        }
    }

    public let kind: Kind
    /// Stable machine-readable code, catalogued in `docs/errors.md`.
    public let code: String
    /// What went wrong and what to do about it.
    public let message: String
    public let details: [Detail]

    public init(_ kind: Kind, code: String, message: String, details: [Detail] = []) {
        self.kind = kind
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String {
        let fields = details.map { "\($0.property): \($0.message)" }.joined(separator: "; ")
        return fields.isEmpty ? "\(code): \(message)" : "\(code): \(message) [\(fields)]"
    }

    /// A ledger record that contradicts the records before it (replaying a ledger not written
    /// by these rules): `ledger_event_inconsistent`, naming the record and what it contradicts.
    static func inconsistent(_ seq: UInt64, _ what: String) -> DomainError {
        DomainError(.conflict, code: "ledger_event_inconsistent",
                    message: "Ledger record \(seq) contradicts the records before it (\(what)); the ledger was not written by these rules — verify it and restore from a good copy.")
    }

    /// A validation failure listing every bad field at once.
    public static func invalid(_ details: [Detail]) -> DomainError {
        let fields = details.map(\.property).joined(separator: ", ")
        let count = details.count
        return DomainError(
            .invalid, code: "validation_failed",
            message: "The request has \(count) invalid field\(count == 1 ? "" : "s") (\(fields)); correct the properties listed in details and retry.",
            details: details)
    }
}

/// Collects field problems while a command is checked, then throws them all at once.
public struct FieldProblems: Sendable {
    public private(set) var details: [DomainError.Detail] = []

    public init() {}

    public mutating func add(_ property: String, _ message: String) {
        details.append(DomainError.Detail(property: property, message: message))
    }

    public var isEmpty: Bool { details.isEmpty }

    /// Throws a `validation_failed` error if any problem was recorded.
    public func throwIfAny() throws(DomainError) {
        if !details.isEmpty { throw DomainError.invalid(details) }
    }
}
