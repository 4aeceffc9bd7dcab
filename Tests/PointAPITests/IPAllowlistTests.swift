import PointHTTP
import Testing
@testable import PointAPI

@Suite struct IPAllowlistTests {
    @Test func parsesAndMatchesIPv4AndIPv6Ranges() throws {
        let list = try IPAllowlist(["127.0.0.1", "10.0.0.0/8", "2001:db8::/32", "::1"])
        #expect(list.contains(try #require(IPAddress("127.0.0.1"))))
        #expect(list.contains(try #require(IPAddress("10.255.3.4"))))
        #expect(!list.contains(try #require(IPAddress("11.0.0.1"))))
        #expect(list.contains(try #require(IPAddress("2001:db8:ffff::1"))))
        #expect(!list.contains(try #require(IPAddress("2001:db9::1"))))
        #expect(list.contains(try #require(IPAddress("::1"))))
        // Dual-stack sockets report IPv4 peers as IPv4-mapped IPv6.
        #expect(list.contains(try #require(IPAddress("::ffff:127.0.0.1"))))
        #expect(try IPNetwork("0.0.0.0/0").contains(try #require(IPAddress("203.0.113.9"))))
        #expect(try IPNetwork("::/0").contains(try #require(IPAddress("fe80::1"))))
        #expect(!(try IPNetwork("::/0").contains(try #require(IPAddress("1.2.3.4")))))
        #expect(try IPNetwork("2001:db8::/127").contains(try #require(IPAddress("2001:db8::1"))))
        #expect(try IPNetwork("2001:db8:0:0:8000::/65").description == "2001:db8:0:0:8000::/65")
        #expect(throws: IPNetworkError.self) { try IPNetwork("2001:db8:0:0:c000::/65") }
    }

    @Test(arguments: [
        ("10.0.0.1/8", "host bits are set; did you mean 10.0.0.0/8?"),
        ("10.0.0.0/33", "prefix length"),
        ("10.0.0.0/08", "prefix length"),
        ("10.0.0.0/", "prefix length"),
        ("10.0.0/8", "not an IPv4 or IPv6 address"),
        ("010.0.0.0/8", "not an IPv4 or IPv6 address"),
        ("10.0.0.0/8/8", "more than one"),
        (" 10.0.0.0/8", "not an IPv4 or IPv6 address"),
        ("fe80::1%eth0", "not an IPv4 or IPv6 address"),
        ("2001:db8::1/32", "host bits"),
        ("2001:db8::/129", "prefix length"),
        ("localhost", "not an IPv4 or IPv6 address"),
    ])
    func refusesBadEntriesNamingThem(entry: String, reason: String) {
        do {
            _ = try IPAllowlist(["127.0.0.1", entry])
            Issue.record("\(entry) accepted")
        } catch {
            #expect(error.entry == entry)
            #expect(error.reason.contains(reason))
            #expect(error.description.contains(entry))
        }
    }

    @Test func addressesParseExactlyAsTheirTextSays() {
        let canonical = ["127.0.0.1", "0.0.0.0", "255.255.255.255", "203.0.113.9", "::1", "::", "2001:db8::1",
                         "fe80::1:2:3:4", "2001:db8:85a3::8a2e:370:7334", "1:2:3:4:5:6:7:8"]
        for text in canonical { #expect(IPAddress(text)?.description == text, "\(text)") }
        // IPv4-mapped IPv6 is the IPv4 address; other spellings come out canonical.
        #expect(IPAddress("::ffff:192.0.2.1")?.description == "192.0.2.1")
        #expect(IPAddress("2001:DB8:0:0:0:0:0:1")?.description == "2001:db8::1")
        let longest = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"
        #expect(longest.utf8.count == IPAddress.maxTextLength)
        #expect(IPAddress(longest)?.description == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
        for text in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4/8", "[::1]",
                     "::1%eth0", "2001:db8::g", "1.2.3.4\u{0}", "1.2.3.4\u{0}junk", "::1\u{0}", longest + "0", "localhost"] {
            #expect(IPAddress(text) == nil, "\(text.debugDescription)")
        }
        #expect(IPAddress("127.0.0.1"[...]) == IPAddress("127.0.0.1"))
    }

    @Test func refusalNamesTheAddressChannelAndEnvironment() throws {
        let list = try IPAllowlist(["127.0.0.1"])
        do {
            try list.check(IPAddress("203.0.113.9"), channelId: "1650000001", environment: .production)
            Issue.record("address outside the allowlist accepted")
        } catch {
            #expect(error.status.code == 403)
            #expect(error.code == .ipNotAllowed)
            #expect(error.message.contains("203.0.113.9"))
            #expect(error.message.contains("1650000001"))
            #expect(error.message.contains("production"))
        }
        try list.check(IPAddress("127.0.0.1"), channelId: "1650000001", environment: .sandbox)
    }
}

@Suite struct ClientAddressResolverTests {
    @Test func ignoresForwardedForWithoutTrustedProxies() {
        let resolver = ClientAddressResolver()
        let address = resolver.clientAddress(peer: "203.0.113.9", forwardedFor: ["127.0.0.1"])
        #expect(address?.description == "203.0.113.9")
    }

    @Test func ignoresForwardedForFromAnUntrustedPeer() throws {
        let resolver = ClientAddressResolver(trustedProxies: try IPAllowlist(["10.0.0.0/8"]))
        #expect(resolver.clientAddress(peer: "203.0.113.9", forwardedFor: ["127.0.0.1"])?.description == "203.0.113.9")
    }

    @Test func takesTheRightMostUntrustedHop() throws {
        let resolver = ClientAddressResolver(trustedProxies: try IPAllowlist(["10.0.0.0/8"]))
        // A client-supplied (spoofed) left part, then the real client, then an inner proxy.
        let address = resolver.clientAddress(peer: "10.0.0.2", forwardedFor: ["127.0.0.1, 198.51.100.7", "10.1.1.1"])
        #expect(address?.description == "198.51.100.7")
        var request = HTTPRequest(method: .get, target: "/", headers: ["X-Forwarded-For": "2001:db8::5, 10.9.9.9"], remoteAddress: "::ffff:10.0.0.2")
        #expect(resolver.clientAddress(of: request)?.description == "2001:db8::5")
        request.headers = HTTPHeaders()
        #expect(resolver.clientAddress(of: request)?.description == "10.0.0.2")
    }

    @Test func stopsAtGarbageAndAtTheLimit() throws {
        let resolver = ClientAddressResolver(trustedProxies: try IPAllowlist(["10.0.0.0/8"]))
        #expect(resolver.clientAddress(peer: "10.0.0.2", forwardedFor: ["198.51.100.7, bogus, 10.0.0.3"])?.description == "10.0.0.3")
        #expect(resolver.clientAddress(peer: "10.0.0.2", forwardedFor: ["10.0.0.4, 10.0.0.3"])?.description == "10.0.0.4")
        let long = Array(repeating: "10.0.0.9", count: 100).joined(separator: ",")
        #expect(resolver.clientAddress(peer: "10.0.0.2", forwardedFor: ["198.51.100.7," + long])?.description == "10.0.0.9")
        #expect(resolver.clientAddress(peer: "not-an-ip", forwardedFor: []) == nil)
    }
}
