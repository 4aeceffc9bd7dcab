import PointJSON

/// Reads the fields of one ledger event's data object, failing with the path of the first
/// missing or mistyped field. Replay refuses a ledger whose events don't decode.
struct EventFieldReader {
    let object: [String: JSONValue]
    let path: String

    init(_ value: JSONValue, path: String) throws(DomainError) {
        guard case .object(let object) = value else { throw Self.failure(path, "is not an object") }
        self.object = object
        self.path = path
    }

    static func failure(_ property: String, _ message: String) -> DomainError {
        DomainError(.invalid, code: "ledger_event_invalid",
                    message: "A ledger event does not decode: \(property) \(message).",
                    details: [DomainError.Detail(property: property, message: message)])
    }

    func string(_ key: String) throws(DomainError) -> String {
        guard case .string(let value)? = object[key] else { throw Self.failure(path + "." + key, "is missing or not a string") }
        return value
    }

    func optionalString(_ key: String) throws(DomainError) -> String? {
        guard let value = object[key], !value.isNull else { return nil }
        guard case .string(let text) = value else { throw Self.failure(path + "." + key, "is not a string") }
        return text
    }

    func int(_ key: String) throws(DomainError) -> Int {
        guard case .int(let value)? = object[key], let int = Int(exactly: value) else {
            throw Self.failure(path + "." + key, "is missing or not an integer")
        }
        return int
    }

    func optionalInt(_ key: String) throws(DomainError) -> Int? {
        guard let value = object[key], !value.isNull else { return nil }
        guard case .int(let int) = value else { throw Self.failure(path + "." + key, "is not an integer") }
        return Int(int)
    }

    func int64(_ key: String) throws(DomainError) -> Int64 {
        guard case .int(let value)? = object[key] else { throw Self.failure(path + "." + key, "is missing or not an integer") }
        return value
    }

    func bool(_ key: String) throws(DomainError) -> Bool {
        guard case .bool(let value)? = object[key] else { throw Self.failure(path + "." + key, "is missing or not a boolean") }
        return value
    }

    func billingMonth(_ key: String) throws(DomainError) -> BillingMonth {
        let text = try string(key)
        do throws(BillingError) { return try BillingMonth(parsing: text) } catch { throw Self.failure(path + "." + key, "is not a YYYY-MM month") }
    }

    func optionalInvoiceNumber(_ key: String) throws(DomainError) -> InvoiceNumber? {
        guard let text = try optionalString(key) else { return nil }
        do throws(BillingError) { return try InvoiceNumber(parsing: text) } catch { throw Self.failure(path + "." + key, "is not PC-YYYY-NNNNNN") }
    }

    func has(_ key: String) -> Bool {
        guard let value = object[key] else { return false }
        return !value.isNull
    }

    func time(_ key: String) throws(DomainError) -> Int64 {
        let text = try string(key)
        guard let micros = CivilTime.parseRFC3339(text) else { throw Self.failure(path + "." + key, "is not an RFC 3339 time") }
        return micros
    }

    func enumeration<Value: RawRepresentable>(_ key: String, as type: Value.Type) throws(DomainError) -> Value
    where Value.RawValue == String {
        let text = try string(key)
        guard let value = Value(rawValue: text) else { throw Self.failure(path + "." + key, "has an unknown value \"\(text)\"") }
        return value
    }

    func array(_ key: String) throws(DomainError) -> [JSONValue] {
        guard case .array(let values)? = object[key] else { throw Self.failure(path + "." + key, "is missing or not an array") }
        return values
    }

    func nested(_ key: String) throws(DomainError) -> EventFieldReader {
        guard let value = object[key] else { throw Self.failure(path + "." + key, "is missing") }
        return try EventFieldReader(value, path: path + "." + key)
    }

    func strings(_ key: String) throws(DomainError) -> [String] {
        var result: [String] = []
        for (position, value) in try array(key).enumerated() {
            guard case .string(let text) = value else { throw Self.failure("\(path).\(key)[\(position)]", "is not a string") }
            result.append(text)
        }
        return result
    }
}

extension JSONValue {
    /// An optional string as JSON (`null` when absent).
    static func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    /// An optional integer as JSON (`null` when absent).
    static func optional(_ value: Int?) -> JSONValue { value.map { .int(Int64($0)) } ?? .null }
    /// A time as an RFC 3339 UTC string with microseconds.
    static func time(_ micros: Int64) -> JSONValue { .string(CivilTime.formatUTC(micros)) }
    static func int(_ value: Int) -> JSONValue { .int(Int64(value)) }
}
