#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, as dual-stack sockets
/// report IPv4 peers) are normalised to IPv4, so `127.0.0.1` allowlists match them.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address family.
    public enum Family: Sendable, Hashable {
        case ipv4
        case ipv6
    }

    /// Longest textual form examined.
    public static let maxTextLength = 45

    /// The family.
    public let family: Family
    /// The address bits, left-aligned: IPv4 uses the top 32 bits of `high`.
    let high: UInt64
    let low: UInt64

    /// The number of bits in the address (32 or 128).
    public var bitCount: Int { family == .ipv4 ? 32 : 128 }

    /// Parses dotted-decimal IPv4 (exactly four parts, no leading zeros) or RFC 4291 IPv6 text.
    /// Zone ids (`%eth0`), brackets and ports are refused.
    public init?(_ text: some StringProtocol) {
        var text = String(text)
        let count = text.utf8.count
        guard count > 0, count <= IPAddress.maxTextLength else { return nil }
        // `inet_pton` reads a NUL-terminated copy made on the stack: passing the string itself
        // would have Swift make a C string of it on the heap (every request parses its peer).
        let parsed: IPAddress?? = text.withUTF8 { bytes in
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: IPAddress.maxTextLength + 1) { cText -> IPAddress?? in
                guard let cBase = cText.baseAddress, let base = bytes.baseAddress else { return .some(nil) }
                guard !bytes.contains(0) else { return .some(nil) }
                UnsafeMutableRawPointer(cBase).copyMemory(from: base, byteCount: count)
                cText[count] = 0
                var v4 = in_addr()
                if inet_pton(AF_INET, cBase, &v4) == 1 { return IPAddress(ipv4: UInt32(bigEndian: v4.s_addr)) }
                var v6 = in6_addr()
                guard bytes.contains(UInt8(ascii: ":")), inet_pton(AF_INET6, cBase, &v6) == 1 else { return .some(nil) }
                return withUnsafeBytes(of: &v6) { IPAddress(ipv6Bytes: $0) }
            }
        }
        guard let parsed, let address = parsed else { return nil }
        self = address
    }

    /// An IPv4 address from its 32-bit value (host order).
    public init(ipv4 value: UInt32) {
        self.init(family: .ipv4, high: UInt64(value) << 32, low: 0)
    }

    private init(family: Family, high: UInt64, low: UInt64) {
        self.family = family
        self.high = high
        self.low = low
    }

    /// An IPv6 address from its 16 bytes (network order); IPv4-mapped ones become IPv4.
    public init?(ipv6Bytes bytes: [UInt8]) {
        guard let address = bytes.withUnsafeBytes({ IPAddress(ipv6Bytes: $0) }) else { return nil }
        self = address
    }

    /// ``init(ipv6Bytes:)-([UInt8])`` over bytes in place.
    init?(ipv6Bytes bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 { high = high << 8 | UInt64(bytes[index]) }
        for index in 8..<16 { low = low << 8 | UInt64(bytes[index]) }
        if high == 0, low >> 32 == 0xFFFF {
            self.init(ipv4: UInt32(truncatingIfNeeded: low))
            return
        }
        self.init(family: .ipv6, high: high, low: low)
    }

    /// Canonical text: dotted decimal, or RFC 5952 IPv6.
    public var description: String {
        switch family {
        case .ipv4:
            let value = UInt32(truncatingIfNeeded: high >> 32)
            return "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
        case .ipv6:
            var address = in6_addr()
            var bytes: [UInt8] = []
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
            withUnsafeMutableBytes(of: &address) { raw in
                for (index, byte) in bytes.enumerated() where index < raw.count { raw[index] = byte }
            }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return "::" }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// The address with all but the first `prefixLength` bits cleared.
    func masked(to prefixLength: Int) -> (high: UInt64, low: UInt64) {
        let length = max(0, min(prefixLength, bitCount))
        let highMask: UInt64 = length >= 64 ? .max : (length == 0 ? 0 : ~(UInt64.max >> UInt64(length)))
        let lowMask: UInt64 = length <= 64 ? 0 : (length >= 128 ? .max : ~(UInt64.max >> UInt64(length - 64)))
        return (high & highMask, low & lowMask)
    }
}
