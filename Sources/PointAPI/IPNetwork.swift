/// Why an address range could not be parsed; names the entry exactly as given.
public struct IPNetworkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The offending entry.
    public let entry: String
    /// What is wrong with it.
    public let reason: String

    public init(entry: String, reason: String) {
        self.entry = entry
        self.reason = reason
    }

    public var description: String { "invalid address range \"\(entry)\": \(reason)" }
}

/// An IPv4 or IPv6 CIDR range such as `203.0.113.0/24` or `2001:db8::/32`; a bare address is a
/// single-host range (/32 or /128).
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    /// The first address of the range (host bits zero).
    public let address: IPAddress
    /// How many leading bits are fixed.
    public let prefixLength: Int

    /// Parses CIDR text strictly: no spaces, a decimal prefix without leading zeros within the
    /// family's range, and no host bits set (`10.0.0.1/8` is refused, suggesting `10.0.0.0/8`).
    public init(_ text: String) throws(IPNetworkError) {
        guard text.utf8.count <= IPAddress.maxTextLength + 4 else {
            throw IPNetworkError(entry: String(text.prefix(64)), reason: "too long to be an address range")
        }
        let parts = text.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw IPNetworkError(entry: text, reason: "more than one '/'") }
        guard let address = IPAddress(parts[0]) else {
            throw IPNetworkError(entry: text, reason: "\"\(parts[0])\" is not an IPv4 or IPv6 address")
        }
        var prefixLength = address.bitCount
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.utf8.count <= 3, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  !(digits.utf8.count > 1 && digits.hasPrefix("0")), let value = Int(digits),
                  value <= address.bitCount else {
                throw IPNetworkError(entry: text, reason: "the prefix length must be a number from 0 to \(address.bitCount)")
            }
            prefixLength = value
        }
        let masked = address.masked(to: prefixLength)
        guard masked.high == address.high, masked.low == address.low else {
            let network = IPNetwork(uncheckedAddress: address, prefixLength: prefixLength)
            throw IPNetworkError(entry: text, reason: "host bits are set; did you mean \(network)?")
        }
        self.address = address
        self.prefixLength = prefixLength
    }

    private init(uncheckedAddress address: IPAddress, prefixLength: Int) {
        let masked = address.masked(to: prefixLength)
        switch address.family {
        case .ipv4: self.address = IPAddress(ipv4: UInt32(truncatingIfNeeded: masked.high >> 32))
        case .ipv6: self.address = IPAddress(rawIPv6High: masked.high, low: masked.low)
        }
        self.prefixLength = prefixLength
    }

    /// Whether `candidate` lies in this range (families must match).
    public func contains(_ candidate: IPAddress) -> Bool {
        guard candidate.family == address.family else { return false }
        let masked = candidate.masked(to: prefixLength)
        return masked.high == address.high && masked.low == address.low
    }

    /// `address/prefixLength`.
    public var description: String { "\(address)/\(prefixLength)" }
}

extension IPAddress {
    /// An IPv6 address from raw halves (used for masked networks, which are never IPv4-mapped here).
    init(rawIPv6High high: UInt64, low: UInt64) {
        var bytes: [UInt8] = []
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
        // 16 bytes always parse; the fallback is unreachable.
        self = IPAddress(ipv6Bytes: bytes) ?? IPAddress(ipv4: 0)
    }
}
