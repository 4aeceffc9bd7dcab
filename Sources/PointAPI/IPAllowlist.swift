/// A list of address ranges a caller may connect from.
public struct IPAllowlist: Sendable, Hashable, CustomStringConvertible {
    /// Most ranges in one list.
    public static let maxEntries = 1024

    /// The ranges, in the order given.
    public let networks: [IPNetwork]

    /// Parses each entry as CIDR (see ``IPNetwork``); the error names the first bad entry.
    public init(_ entries: [String]) throws(IPNetworkError) {
        guard entries.count <= IPAllowlist.maxEntries else {
            throw IPNetworkError(entry: "(\(entries.count) entries)", reason: "an allowlist holds at most \(IPAllowlist.maxEntries) ranges")
        }
        var networks: [IPNetwork] = []
        networks.reserveCapacity(entries.count)
        for entry in entries { networks.append(try IPNetwork(entry)) }
        self.networks = networks
    }

    /// An allowlist of already-parsed ranges.
    public init(networks: [IPNetwork]) {
        self.networks = Array(networks.prefix(IPAllowlist.maxEntries))
    }

    /// Whether `address` lies in any range.
    public func contains(_ address: IPAddress) -> Bool {
        networks.contains { $0.contains(address) }
    }

    /// Throws 403 `ip_not_allowed` unless `address` is listed. The message names the address,
    /// the channel and the environment, so the merchant knows exactly what to add where.
    public func check(_ address: IPAddress?, channelId: String, environment: ServiceEnvironment) throws(APIError) {
        if let address, contains(address) { return }
        let shown = address.map(\.description) ?? "an unknown address"
        throw APIError(
            status: .forbidden, code: .ipNotAllowed,
            message: "Requests from \(shown) are not allowed for channel \(channelId) in the \(environment.rawValue) environment. Add this address to the channel's \(environment.rawValue) IP allowlist."
        )
    }

    public var description: String { networks.map(\.description).joined(separator: ", ") }
}
