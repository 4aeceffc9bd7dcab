import PointHTTP

/// Decides which address a request comes from.
///
/// The socket peer is the client, unless the peer is one of the configured trusted proxies: then
/// `X-Forwarded-For` is read from the right, skipping trusted proxies, and the first untrusted
/// address is the client. Without trusted proxies `X-Forwarded-For` is ignored entirely, so
/// clients cannot choose their own address. If every listed hop is trusted, the left-most one is
/// the client; if an unparsable entry is reached first, the nearest hop examined so far is used.
public struct ClientAddressResolver: Sendable {
    /// Most `X-Forwarded-For` entries examined (from the right).
    public static let maxForwardedEntries = 32
    /// Most bytes of `X-Forwarded-For` examined.
    public static let maxForwardedBytes = 2048

    /// Proxies whose `X-Forwarded-For` is believed.
    public let trustedProxies: IPAllowlist

    /// A resolver trusting `trustedProxies` (empty: trust nobody, ignore `X-Forwarded-For`).
    public init(trustedProxies: IPAllowlist = IPAllowlist(networks: [])) {
        self.trustedProxies = trustedProxies
    }

    /// The client's address, or nil if even the socket peer address cannot be parsed.
    public func clientAddress(of request: HTTPRequest) -> IPAddress? {
        clientAddress(peer: request.remoteAddress, forwardedFor: request.headers.values(for: "X-Forwarded-For"))
    }

    /// The client's address from the socket peer text and the `X-Forwarded-For` field values in order.
    public func clientAddress(peer: String, forwardedFor: [String]) -> IPAddress? {
        guard let peerAddress = IPAddress(peer) else { return nil }
        guard !trustedProxies.networks.isEmpty, trustedProxies.contains(peerAddress), !forwardedFor.isEmpty else {
            return peerAddress
        }
        let joined = forwardedFor.joined(separator: ",")
        var nearest = peerAddress
        var examined = 0
        var byteBudget = ClientAddressResolver.maxForwardedBytes
        for entry in joined.split(separator: ",", omittingEmptySubsequences: false).reversed() {
            examined += 1
            byteBudget -= entry.utf8.count + 1
            guard examined <= ClientAddressResolver.maxForwardedEntries, byteBudget >= 0 else { return nearest }
            let trimmed = entry.trimmingCharacters(in: " \t")
            guard let hop = IPAddress(trimmed) else { return nearest }
            if !trustedProxies.contains(hop) { return hop }
            nearest = hop
        }
        return nearest
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var result = self
        while let first = result.first, set.contains(first) { result = result.dropFirst() }
        while let last = result.last, set.contains(last) { result = result.dropLast() }
        return result
    }
}
