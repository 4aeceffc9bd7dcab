/// One header field as received or to be sent.
public struct HTTPHeaderField: Sendable, Hashable {
    /// The field name, with the case it was received or given in.
    public var name: String
    /// The field value, without surrounding whitespace (received bytes that are not UTF-8 become U+FFFD).
    public var value: String

    /// A field; names are matched case-insensitively, values are sent as given.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// An ordered list of header fields with case-insensitive name lookup.
public struct HTTPHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    private var fields: [HTTPHeaderField] = []

    /// An empty header list.
    public init() {}

    /// An empty list with room for `capacity` fields (one allocation for a request's fields).
    init(reservingCapacity capacity: Int) {
        fields.reserveCapacity(capacity)
    }

    /// Headers in the given order.
    public init(_ fields: [HTTPHeaderField]) {
        self.fields = fields
    }

    /// Headers in literal order: `["Content-Type": "text/plain"]`.
    public init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { HTTPHeaderField(name: $0.0, value: $0.1) }
    }

    /// How many fields there are (repeated names counted each time).
    public var count: Int { fields.count }

    /// The first value for `name` (case-insensitive), or nil.
    public subscript(name: String) -> String? {
        for field in fields where HTTPHeaders.namesMatch(field.name, name) { return field.value }
        return nil
    }

    /// Every value for `name` (case-insensitive), in order.
    public func values(for name: String) -> [String] {
        var found: [String] = []
        for field in fields where HTTPHeaders.namesMatch(field.name, name) { found.append(field.value) }
        return found
    }

    /// The first value for `name` (case-insensitive) and how many fields carry that name, in one
    /// pass without allocating.
    public func occurrences(of name: String) -> (first: String?, count: Int) {
        var first: String?
        var count = 0
        for field in fields where HTTPHeaders.namesMatch(field.name, name) {
            if count == 0 { first = field.value }
            count += 1
        }
        return (first, count)
    }

    /// Whether a field named `name` (case-insensitive) exists.
    public func contains(_ name: String) -> Bool {
        for field in fields where HTTPHeaders.namesMatch(field.name, name) { return true }
        return false
    }

    /// Appends a field, keeping any existing ones with the same name.
    public mutating func add(name: String, value: String) {
        fields.append(HTTPHeaderField(name: name, value: value))
    }

    /// Replaces every field named `name` with a single one.
    public mutating func set(name: String, value: String) {
        if contains(name) { remove(name: name) }
        add(name: name, value: value)
    }

    /// Removes every field named `name` (case-insensitive).
    public mutating func remove(name: String) {
        fields.removeAll { HTTPHeaders.namesMatch($0.name, name) }
    }

    /// Iterates the fields in order.
    public func makeIterator() -> IndexingIterator<[HTTPHeaderField]> {
        fields.makeIterator()
    }

    /// Whether the comma-separated tokens of every `name` field include `token` (case-insensitive).
    /// Scans the values in place: no arrays or substrings are made.
    func containsToken(_ token: String, inFieldsNamed name: String) -> Bool {
        for field in fields where HTTPHeaders.namesMatch(field.name, name) {
            let value = field.value.utf8
            var start = value.startIndex
            while start < value.endIndex {
                let end = value[start...].firstIndex(of: UInt8(ascii: ",")) ?? value.endIndex
                var first = start
                var last = end
                while first < last, HTTPSyntax.isSpaceOrTab(value[first]) { first = value.index(after: first) }
                while first < last, HTTPSyntax.isSpaceOrTab(value[value.index(before: last)]) { last = value.index(before: last) }
                if value[first..<last].elementsEqual(token.utf8, by: { HTTPSyntax.lowercased($0) == HTTPSyntax.lowercased($1) }) {
                    return true
                }
                start = end < value.endIndex ? value.index(after: end) : end
            }
        }
        return false
    }

    /// ASCII case-insensitive comparison without allocating.
    static func namesMatch<A: StringProtocol, B: StringProtocol>(_ lhs: A, _ rhs: B) -> Bool {
        lhs.utf8.elementsEqual(rhs.utf8) { HTTPSyntax.lowercased($0) == HTTPSyntax.lowercased($1) }
    }

    /// The same comparison for two `String`s, cheaper: different UTF-8 lengths never match (an
    /// O(1) check for native strings), and equal-length names are compared over their
    /// contiguous bytes, folding only A–Z to a–z exactly as ``HTTPSyntax/lowercased(_:)`` does.
    @inline(__always)
    static func namesMatch(_ lhs: String, _ rhs: String) -> Bool {
        let left = lhs.utf8
        let right = rhs.utf8
        guard left.count == right.count else { return false }
        let compared = left.withContiguousStorageIfAvailable { leftBytes in
            right.withContiguousStorageIfAvailable { rightBytes in bytesMatch(leftBytes, rightBytes) }
        }
        if let compared, let result = compared { return result }
        return left.elementsEqual(right) { HTTPSyntax.lowercased($0) == HTTPSyntax.lowercased($1) }
    }

    /// Equal-length byte buffers equal up to ASCII letter case.
    @inline(__always)
    private static func bytesMatch(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Bool {
        for index in 0..<left.count {
            let a = left[index]
            let b = right[index]
            if a == b { continue }
            // Only an ASCII letter and its other case differ in exactly bit 0x20.
            let folded = a | 0x20
            guard a ^ b == 0x20, folded >= 0x61, folded <= 0x7A else { return false }
        }
        return true
    }
}

extension StringProtocol {
    /// The string without leading or trailing spaces and tabs.
    func trimmingASCIIWhitespace() -> Substring {
        let text = Substring(self)
        guard let first = text.firstIndex(where: { $0 != " " && $0 != "\t" }),
              let last = text.lastIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        return text[first...last]
    }
}
