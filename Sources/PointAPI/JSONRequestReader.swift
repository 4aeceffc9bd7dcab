import PointJSON

/// Which characters a JSON string field may contain.
public struct JSONCharset: Sendable {
    /// Words for error messages: "must contain only <description>".
    public let description: String
    private let allows: @Sendable (Unicode.Scalar) -> Bool

    /// A charset admitting the scalars for which `allows` is true.
    public init(description: String, allows: @escaping @Sendable (Unicode.Scalar) -> Bool) {
        self.description = description
        self.allows = allows
    }

    /// Whether every scalar of `text` is admitted.
    public func admits(_ text: String) -> Bool { text.unicodeScalars.allSatisfy(allows) }

    /// Any character except control characters (C0, DEL, C1) and line/paragraph separators.
    public static let printable = JSONCharset(description: "printable characters (no control characters)") { scalar in
        !(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029)
    }

    /// Every character: for values a later check judges (the items of a grant batch).
    public static let anything = JSONCharset(description: "any characters") { _ in true }

    /// ASCII letters, digits, `-`, `_`, `.` and `:` (order ids, member ids, scenario ids).
    public static let identifier = JSONCharset(description: "ASCII letters, digits, '-', '_', '.' and ':'") { scalar in
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".", ":": return true
        default: return false
        }
    }

    /// ASCII decimal digits.
    public static let digits = JSONCharset(description: "the digits 0-9") { ("0"..."9").contains($0) }

    /// The Base64url alphabet plus `.` (compact JWS such as LINE Login ID tokens).
    public static let compactJWS = JSONCharset(description: "Base64url characters and '.'") { scalar in
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".": return true
        default: return false
        }
    }
}

/// Reads one JSON value at a known property path, recording a detail for every problem.
///
/// Getters return nil when the value is invalid (the detail is already recorded).
public struct JSONElementReader {
    /// The value read.
    public let value: JSONValue
    /// Its path, e.g. `items[3].points`.
    public let path: String
    let collector: JSONDetailCollector

    /// Records a problem with this value; use for rules the getters do not cover.
    public func reject(_ message: String) { collector.record(path, message) }

    /// A string of `minLength...maxLength` Unicode scalars drawn from `charset`, optionally also passing
    /// `validate` (which returns an error message, or nil when the text is acceptable).
    public func string(
        maxLength: Int, minLength: Int = 1, charset: JSONCharset = .printable,
        validate: ((String) -> String?)? = nil
    ) -> String? {
        guard case .string(let text) = value else { return wrongKind("a string") }
        let length = text.unicodeScalars.count
        if length < minLength {
            reject(minLength == 1 ? "must not be empty" : "must be at least \(minLength) characters")
            return nil
        }
        if length > maxLength {
            reject("must be at most \(maxLength) characters")
            return nil
        }
        guard charset.admits(text) else {
            reject("must contain only \(charset.description)")
            return nil
        }
        if let validate, let message = validate(text) {
            reject(message)
            return nil
        }
        return text
    }

    /// An integer within `range`.
    /// - Parameter documented: the range to name when the number sent is not a whole 64-bit
    ///   integer, when it is narrower than `range` (whose values a later check judges).
    public func integer(in range: ClosedRange<Int64>, documented: ClosedRange<Int64>? = nil) -> Int64? {
        if let reason = mistypedNumber {
            let named = documented ?? range
            reject(named.upperBound == .max ? "must be a whole number, at least \(named.lowerBound): \(reason)"
                                            : "must be a whole number from \(named.lowerBound) to \(named.upperBound): \(reason)")
            return nil
        }
        guard case .int(let number) = value else { return wrongKind("an integer") }
        guard range.contains(number) else {
            if range.upperBound == .max {
                reject("must be at least \(range.lowerBound)")
            } else {
                reject("must be between \(range.lowerBound) and \(range.upperBound)")
            }
            return nil
        }
        return number
    }

    /// `true` or `false`.
    public func bool() -> Bool? {
        guard case .bool(let flag) = value else { return wrongKind("true or false") }
        return flag
    }

    /// One of the raw values of `type`.
    public func enumeration<Value: RawRepresentable & CaseIterable>(_ type: Value.Type) -> Value? where Value.RawValue == String {
        guard case .string(let text) = value else { return wrongKind("a string") }
        guard let choice = Value(rawValue: text) else {
            reject("must be one of: \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return choice
    }

    /// An object read by `body`; members `body` does not read are reported as unknown.
    public func object<Result>(_ body: (JSONObjectReader) -> Result) -> Result? {
        guard case .object(let members) = value else { return wrongKind("an object") }
        let reader = JSONObjectReader(members: members, path: path, collector: collector)
        let result = body(reader)
        reader.reportUnknownMembers()
        return result
    }

    /// An array of `minCount...maxCount` elements, each read by `element` (elements it returns nil
    /// for are left out; they have recorded their detail).
    public func array<Element>(maxCount: Int, minCount: Int = 0, _ element: (JSONElementReader) -> Element?) -> [Element]? {
        guard case .array(let elements) = value else { return wrongKind("an array") }
        if elements.count < minCount {
            reject(minCount == 1 ? "must not be empty" : "must have at least \(minCount) items")
            return nil
        }
        if elements.count > maxCount {
            reject("must have at most \(maxCount) items")
            return nil
        }
        var results: [Element] = []
        results.reserveCapacity(elements.count)
        for (index, item) in elements.enumerated() {
            if let result = element(JSONElementReader(value: item, path: "\(path)[\(index)]", collector: collector)) {
                results.append(result)
            }
        }
        return results
    }

    private func wrongKind<T>(_ expected: String) -> T? {
        if let reason = mistypedNumber {
            reject("must be \(expected), not a number (\(reason))")
        } else {
            reject("must be \(expected), not \(value.kindName)")
        }
        return nil
    }

    /// Why the number sent here was not accepted (see ``JSONObjectReader/parse(_:limits:)``); nil
    /// for every value that was read as sent.
    private var mistypedNumber: String? {
        guard case .null = value else { return nil }
        return collector.mistypedNumbers[path]
    }
}

/// Reads a JSON request body that must be an object, collecting every field problem so the caller
/// gets them all at once.
///
/// ```swift
/// let body = try JSONObjectReader.parse(request.body)          // 400 malformed_json if not a JSON object
/// let orderId = body.requiredString("orderId", maxLength: 64, charset: .identifier)
/// let points = body.requiredInteger("points", in: 1...1_000_000)
/// let items = body.optionalArray("items", maxCount: 1000) { $0.object { item in item.requiredString("sku", maxLength: 32) } }
/// try body.finish()                                             // 422 validation_failed with every detail
/// ```
///
/// **Statuses.** A body that is not JSON, or not an object, is 400 `malformed_json` (the message
/// gives the byte offset); JSON whose fields are missing, unknown or invalid is 422
/// `validation_failed` with one detail per problem. Members nobody read are reported as
/// "is not a recognised field". `null` counts as absent. Values returned by `required…` getters
/// are placeholders when invalid: use them only after ``finish()`` returns.
public final class JSONObjectReader {
    /// The members of the object.
    public let members: [String: JSONValue]
    /// The object's path ("" for the body itself).
    public let path: String
    let collector: JSONDetailCollector
    /// Names read so far: as many as the code asks for (a handful), so a list beats hashing.
    private var consumed: [String] = []
    private var reportedUnknown = false

    init(members: [String: JSONValue], path: String, collector: JSONDetailCollector) {
        self.members = members
        self.path = path
        self.collector = collector
    }

    /// Parses `body` as a JSON object, or throws 400 `malformed_json` saying what and where.
    public static func parse(_ body: [UInt8], limits: JSONLimits = .standard) throws(APIError) -> JSONObjectReader {
        let value: JSONValue
        let collector = JSONDetailCollector()
        // An object's numbers the parser does not take (a fraction, an exponent, past 64 bits) are
        // mistyped fields: read as null, remembered by path, and reported by whichever reader reads
        // them — with that field's own range — so that every other bad field is reported in the
        // same answer; one nobody reads is reported by finish(). One parse, one path walk.
        let isObject = body.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{")
        var mistyped: [JSONParseError] = []
        do throws(JSONParseError) {
            value = try JSONParser.parse(body, limits: limits, unacceptedNumbers: &mistyped,
                                         maxUnacceptedNumbers: isObject ? Self.maxMistypedNumbers : 0)
        } catch {
            guard isObject, error.isUnacceptedNumber else {
                throw APIError(
                    status: .badRequest, code: .malformedJSON,
                    message: "The body is not valid JSON: \(error.reason) at byte \(error.offset). Send one JSON object encoded as UTF-8.",
                    details: [APIErrorDetail(property: "", message: "invalid JSON at byte \(error.offset): \(error.reason)")]
                )
            }
            // More mistyped numbers than are looked past: name those found; the rest of the body is not read.
            note(mistyped + [error], in: body, to: collector)
            collector.reportUnreadMistypedNumbers()
            throw collector.error
        }
        note(mistyped, in: body, to: collector)
        guard case .object(let members) = value else {
            throw APIError(
                status: .badRequest, code: .malformedJSON,
                message: "The body must be a JSON object, not \(value.kindName)."
            )
        }
        return JSONObjectReader(members: members, path: "", collector: collector)
    }

    /// Mistyped numbers read past in one body (their paths are kept until the body is read, at
    /// most a few KiB each); more are refused with those found named.
    public static let maxMistypedNumbers = 1_000

    private static func note(_ mistyped: [JSONParseError], in body: [UInt8], to collector: JSONDetailCollector) {
        guard !mistyped.isEmpty else { return }
        for (error, path) in zip(mistyped, JSONPath.paths(at: mistyped.map(\.offset), in: body)) {
            collector.noteMistypedNumber(path: path ?? "", reason: error.reason)
        }
    }

    /// Reports unknown members and throws 422 `validation_failed` if any problem was recorded.
    public func finish() throws(APIError) {
        reportUnknownMembers()
        collector.reportUnreadMistypedNumbers()
        if !collector.details.isEmpty { throw collector.error }
    }

    /// Every problem recorded so far (capped at ``JSONDetailCollector/maxDetails``).
    public var details: [APIErrorDetail] { collector.details }

    /// Records a problem with member `name` (for cross-field rules).
    public func reject(_ name: String, _ message: String) { collector.record(memberPath(name), message) }

    /// The reader for member `name`, or nil when absent or null (marks it as read).
    public func member(_ name: String) -> JSONElementReader? {
        if !consumed.contains(name) { consumed.append(name) }
        guard let value = members[name], !value.isNull || collector.mistypedNumbers[memberPath(name)] != nil else { return nil }
        return JSONElementReader(value: value, path: memberPath(name), collector: collector)
    }

    /// Whether member `name` is present and not null.
    public func contains(_ name: String) -> Bool {
        if let value = members[name] { return !value.isNull || collector.mistypedNumbers[memberPath(name)] != nil }
        return false
    }

    // MARK: Strings

    /// A required string (see ``JSONElementReader/string(maxLength:minLength:charset:validate:)``); "" when invalid.
    public func requiredString(
        _ name: String, maxLength: Int, minLength: Int = 1, charset: JSONCharset = .printable,
        validate: ((String) -> String?)? = nil
    ) -> String {
        required(name)?.string(maxLength: maxLength, minLength: minLength, charset: charset, validate: validate) ?? ""
    }

    /// An optional string; nil when absent, null or invalid.
    public func optionalString(
        _ name: String, maxLength: Int, minLength: Int = 1, charset: JSONCharset = .printable,
        validate: ((String) -> String?)? = nil
    ) -> String? {
        member(name)?.string(maxLength: maxLength, minLength: minLength, charset: charset, validate: validate)
    }

    // MARK: Integers and booleans

    /// A required integer in `range`; `range.lowerBound` when invalid. `documented`: see
    /// ``JSONElementReader/integer(in:documented:)``.
    public func requiredInteger(_ name: String, in range: ClosedRange<Int64>, documented: ClosedRange<Int64>? = nil) -> Int64 {
        required(name)?.integer(in: range, documented: documented) ?? range.lowerBound
    }

    /// An optional integer in `range`.
    public func optionalInteger(_ name: String, in range: ClosedRange<Int64>) -> Int64? {
        member(name)?.integer(in: range)
    }

    /// A required boolean; false when invalid.
    public func requiredBool(_ name: String) -> Bool {
        required(name)?.bool() ?? false
    }

    /// An optional boolean.
    public func optionalBool(_ name: String) -> Bool? {
        member(name)?.bool()
    }

    // MARK: Enumerations

    /// A required string naming a case of `type`; nil only when a detail was recorded.
    public func requiredEnum<Value: RawRepresentable & CaseIterable>(_ name: String, as type: Value.Type) -> Value? where Value.RawValue == String {
        required(name)?.enumeration(type)
    }

    /// An optional string naming a case of `type`.
    public func optionalEnum<Value: RawRepresentable & CaseIterable>(_ name: String, as type: Value.Type) -> Value? where Value.RawValue == String {
        member(name)?.enumeration(type)
    }

    // MARK: Objects and arrays

    /// A required nested object read by `body`; nil only when a detail was recorded.
    public func requiredObject<Result>(_ name: String, _ body: (JSONObjectReader) -> Result) -> Result? {
        required(name)?.object(body)
    }

    /// An optional nested object read by `body`.
    public func optionalObject<Result>(_ name: String, _ body: (JSONObjectReader) -> Result) -> Result? {
        member(name)?.object(body)
    }

    /// A required array of `minCount...maxCount` elements; [] when invalid.
    public func requiredArray<Element>(
        _ name: String, maxCount: Int, minCount: Int = 1, _ element: (JSONElementReader) -> Element?
    ) -> [Element] {
        required(name)?.array(maxCount: maxCount, minCount: minCount, element) ?? []
    }

    /// An optional array of at most `maxCount` elements.
    public func optionalArray<Element>(
        _ name: String, maxCount: Int, minCount: Int = 0, _ element: (JSONElementReader) -> Element?
    ) -> [Element]? {
        member(name)?.array(maxCount: maxCount, minCount: minCount, element)
    }

    // MARK: Internals

    private func required(_ name: String) -> JSONElementReader? {
        guard let reader = member(name) else {
            collector.record(memberPath(name), "is required")
            return nil
        }
        return reader
    }

    private func memberPath(_ name: String) -> String {
        path.isEmpty ? name : "\(path).\(name)"
    }

    func reportUnknownMembers() {
        guard !reportedUnknown else { return }
        reportedUnknown = true
        guard members.keys.contains(where: { !consumed.contains($0) }) else { return }
        for name in members.keys.sorted() where !consumed.contains(name) {
            collector.record(memberPath(JSONPath.shown(name)), "is not a recognised field")
        }
    }
}

/// Accumulates details for one request body, keeping at most ``maxDetails``.
public final class JSONDetailCollector {
    /// Most details kept; further problems are only counted.
    public static let maxDetails = APIError.maxRenderedDetails - 1

    /// The details kept, in the order found.
    public private(set) var details: [APIErrorDetail] = []
    /// Problems found beyond ``maxDetails``.
    public private(set) var omitted = 0

    init() {}

    /// Numbers sent where the parser takes none (fractions, exponents, past 64 bits), by path, with
    /// why; read as null. ``mistypedNumberOrder`` keeps the order found.
    private(set) var mistypedNumbers: [String: String] = [:]
    private(set) var mistypedNumberOrder: [String] = []
    private var reportedPaths: Set<String> = []

    func noteMistypedNumber(path: String, reason: String) {
        mistypedNumbers[path] = reason
        mistypedNumberOrder.append(path)
    }

    /// Reports each mistyped number no reader has reported, so none is ever taken for null.
    func reportUnreadMistypedNumbers() {
        for path in mistypedNumberOrder where !reportedPaths.contains(path) {
            guard let reason = mistypedNumbers[path] else { continue }
            record(path, "must be a whole number from -9223372036854775808 to 9223372036854775807: \(reason)")
        }
    }

    func record(_ property: String, _ message: String) {
        if mistypedNumbers[property] != nil { reportedPaths.insert(property) }
        guard details.count < JSONDetailCollector.maxDetails else {
            omitted += 1
            return
        }
        details.append(APIErrorDetail(property: property, message: message))
    }

    /// The 422 error listing every detail (and a final note of omitted ones).
    var error: APIError {
        var error = APIError.validationFailed(details)
        if omitted > 0 {
            error.message = "The request body has more than \(details.count) invalid fields; correct the properties listed in details and retry."
            error.details.append(APIErrorDetail(property: "", message: "\(omitted) more problems not shown"))
        }
        return error
    }
}
