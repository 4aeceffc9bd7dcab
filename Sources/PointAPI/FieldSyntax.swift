import PointCore

/// Syntax checks of request fields, run while the body is read so that one answer lists every
/// bad field: the domain repeats them (it is also used without this layer) with the same words,
/// but it only sees a command whose body read cleanly. Each returns nil when the value is fine,
/// or the problem (`validate:` of ``JSONObjectReader/requiredString(_:maxLength:minLength:charset:validate:)``).
enum FieldSyntax {
    /// An order, member, revocation or reference ID.
    static func externalID(_ value: String) -> String? {
        Identifiers.isValidExternalID(value) ? nil : "must be \(Identifiers.externalIDRule)"
    }

    /// A LINE user ID.
    static func lineUserID(_ value: String) -> String? {
        Identifiers.isValidLineUserID(value) ? nil : "must be U followed by 32 lowercase hex digits"
    }

    /// An RFC 3339 time with an offset.
    static func time(_ value: String) -> String? {
        CivilTime.parseRFC3339(value) == nil ? "must be an RFC 3339 time with offset" : nil
    }

    /// One of an enumeration's raw values.
    static func oneOf<Value: RawRepresentable & CaseIterable>(_ type: Value.Type) -> (String) -> String? where Value.RawValue == String {
        { value in
            Value(rawValue: value) != nil ? nil : "must be one of \(Value.allCases.map(\.rawValue).joined(separator: ", "))"
        }
    }
}
