/// Parsed `--name value` options and bare positional words of a command line.
struct CommandLineOptions {
    private(set) var positional: [String] = []
    private var values: [String: String] = [:]
    private var flags: Set<String> = []

    /// Options that take no value.
    static let booleanFlags: Set<String> = ["help", "json", "quiet", "long", "curl"]

    init(_ arguments: ArraySlice<String>) throws(UsageError) {
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            if argument.hasPrefix("--") {
                var name = String(argument.dropFirst(2))
                if let equals = name.firstIndex(of: "=") {
                    values[String(name[..<equals])] = String(name[name.index(after: equals)...])
                    name = ""
                } else if Self.booleanFlags.contains(name) {
                    flags.insert(name)
                } else {
                    let next = arguments.index(after: index)
                    guard next < arguments.endIndex else { throw UsageError("option --\(name) needs a value") }
                    values[name] = arguments[next]
                    index = next
                }
            } else {
                positional.append(argument)
            }
            index = arguments.index(after: index)
        }
    }

    /// The value of `--name`, if given.
    func value(_ name: String) -> String? { values[name] }

    /// The value of `--name`, or a usage error naming the option.
    func required(_ name: String) throws(UsageError) -> String {
        guard let value = values[name] else { throw UsageError("missing --\(name)") }
        return value
    }

    /// An integer option with a default and an allowed range.
    func integer(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws(UsageError) -> Int {
        guard let text = values[name] else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw UsageError("--\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), not \"\(text)\"")
        }
        return value
    }

    /// True when `--name` was given as a flag.
    func flag(_ name: String) -> Bool { flags.contains(name) }

    /// Refuses any option `command` does not take, so that a mistyped name (`--data-dri`) is
    /// an error instead of a default silently used.
    func refuseUnknown(for command: String, accepted: Set<String>) throws(UsageError) {
        let unknown = Set(values.keys).union(flags).subtracting(accepted).sorted()
        guard let first = unknown.first else { return }
        throw UsageError("\(command) takes no option --\(first)\(unknown.count > 1 ? " (nor --" + unknown.dropFirst().joined(separator: ", --") + ")" : ""); its options are listed below")
    }
}

/// A mistake on the command line: printed with the usage text, exit status 2.
struct UsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
