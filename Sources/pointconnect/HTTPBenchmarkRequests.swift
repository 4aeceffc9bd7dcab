import PointAPI
import PointCrypto
import PointHTTP
import PointJSON

/// A small, fast, per-thread pseudo-random generator (SplitMix64) for nonces: the server only
/// needs them unique per key, and `UUID()` would cost more than the request itself on a 2-core box.
struct HTTPBenchmarkRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A lowercase RFC 4122 version-4 UUID, as `X-LINE-Authorization-Nonce` accepts.
    mutating func uuidV4() -> String {
        var high = next()
        var low = next()
        high = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000   // version 4
        low = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000     // variant 10
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(36)
        for index in 0..<16 {
            if index == 4 || index == 6 { text.append(0x2D) }
            let byte = UInt8(truncatingIfNeeded: high >> UInt64(56 - index * 8 % 64))
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
            if index == 7 { break }
        }
        text.append(0x2D)
        for index in 0..<8 {
            if index == 2 { text.append(0x2D) }
            let byte = UInt8(truncatingIfNeeded: low >> UInt64(56 - index * 8))
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Builds complete, signed HTTP/1.1 requests as bytes.
struct HTTPBenchmarkRequestBuilder {
    let signer: RequestSigner
    let hostHeader: String

    init(channelID: String, channelSecret: String, host: String, port: UInt16) {
        signer = RequestSigner(keyId: channelID, secret: Array(channelSecret.utf8))
        hostHeader = "\(host):\(port)"
    }

    /// A signed POST of `body` to `path`.
    func post(_ path: String, body: [UInt8], random: inout HTTPBenchmarkRandom) -> [UInt8] {
        let headers = signer.sign(method: .post, path: path, body: body, nonce: random.uuidV4())
        // Appended piece by piece: string interpolation would build and copy several strings per request.
        var request = [UInt8]()
        request.reserveCapacity(body.count + 320)
        request.append(contentsOf: "POST ".utf8)
        request.append(contentsOf: path.utf8)
        request.append(contentsOf: " HTTP/1.1\r\nHost: ".utf8)
        request.append(contentsOf: hostHeader.utf8)
        request.append(contentsOf: "\r\nContent-Type: application/json\r\nContent-Length: ".utf8)
        HTTPBenchmarkWorker.appendDecimal(body.count, to: &request)
        func header(_ name: String, _ value: String) {
            request.append(contentsOf: "\r\n".utf8)
            request.append(contentsOf: name.utf8)
            request.append(contentsOf: ": ".utf8)
            request.append(contentsOf: value.utf8)
        }
        header(RequestSignature.keyIdHeader, headers.keyId)
        header(RequestSignature.nonceHeader, headers.nonce)
        header(RequestSignature.signatureHeader, headers.signature)
        request.append(contentsOf: "\r\n\r\n".utf8)
        request.append(contentsOf: body)
        return request
    }

    /// A signed GET of `path` (with an optional query, without `?`).
    func get(_ path: String, query: String? = nil, random: inout HTTPBenchmarkRandom) -> [UInt8] {
        let headers = signer.sign(method: .get, path: path, query: query, nonce: random.uuidV4())
        let target = query.map { "\(path)?\($0)" } ?? path
        return Array(("GET \(target) HTTP/1.1\r\nHost: \(hostHeader)\r\n"
            + "\(RequestSignature.keyIdHeader): \(headers.keyId)\r\n\(RequestSignature.nonceHeader): \(headers.nonce)\r\n"
            + "\(RequestSignature.signatureHeader): \(headers.signature)\r\n\r\n").utf8)
    }

    /// An unsigned GET (health and readiness probes).
    func plainGet(_ path: String) -> [UInt8] {
        Array("GET \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\n\r\n".utf8)
    }

    /// The body of one grant (also an item of a batch), keys in canonical order.
    static func appendGrant(orderID: String, memberID: String, scenarioID: String, points: Int, to body: inout [UInt8]) {
        body.append(contentsOf: "{\"memberId\":\"\(memberID)\",\"orderId\":\"\(orderID)\",\"points\":\(points),\"scenarioId\":\"\(scenarioID)\"}".utf8)
    }

    /// The body of POST /v1/bindings with a freshly minted LINE Login ID token.
    static func bindingBody(memberID: String, idToken: String) -> [UInt8] {
        CanonicalJSON.encode(["memberId": .string(memberID), "idToken": .string(idToken)])
    }

    /// An HS256 LINE Login ID token for `lineUserID`, signed with the login channel secret as the sandbox verifies it.
    static func idToken(lineUserID: String, loginChannelID: String, loginChannelSecret: String, nowSeconds: Int64) -> String {
        let claims: JSONValue = [
            "iss": "https://access.line.me", "sub": .string(lineUserID), "aud": .string(loginChannelID),
            "iat": .int(nowSeconds), "exp": .int(nowSeconds + 3600), "amr": ["pwd"],
        ]
        let input = Base64.encodeURL(CanonicalJSON.encode(["alg": "HS256", "typ": "JWT"])) + "." + Base64.encodeURL(CanonicalJSON.encode(claims))
        let mac = HMACSHA256.authenticationCode(key: Array(loginChannelSecret.utf8), message: Array(input.utf8))
        return input + "." + Base64.encodeURL(mac)
    }

    /// `U` + 32 lowercase hex digits: the run id in the first 8, the member number in the other 24.
    static func lineUserID(run: UInt32, member: Int) -> String {
        let runHex = String(run, radix: 16)
        let memberHex = String(member, radix: 16)
        return "U" + String(repeating: "0", count: 8 - runHex.count) + runHex + String(repeating: "0", count: 24 - memberHex.count) + memberHex
    }
}
