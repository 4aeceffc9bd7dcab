import PointJSON
import Testing
@testable import PointCrypto

/// Mints ID tokens the way LINE Login does, for the tests.
struct TokenMinter {
    static let channelID = "1234567890"
    static let secret = Array("login-channel-secret-for-tests".utf8)
    static let subject = "U" + String(repeating: "0123456789abcdef", count: 2)
    static let now: Int64 = 1_792_000_000

    static func claims(_ overrides: [String: JSONValue] = [:], removing: [String] = []) -> JSONValue {
        var claims: [String: JSONValue] = [
            "iss": "https://access.line.me", "sub": .string(subject), "aud": .string(channelID),
            "exp": .int(now + 3600), "iat": .int(now - 10), "nonce": "n-0S6_WzA2Mj", "amr": ["pwd"], "name": "Taro",
        ]
        for (key, value) in overrides { claims[key] = value }
        for key in removing { claims[key] = nil }
        return .object(claims)
    }

    static func encode(_ value: JSONValue) -> String { Base64.encodeURL(CanonicalJSON.encode(value)) }

    static func hs256(_ claims: JSONValue = claims(), header: JSONValue = ["alg": "HS256", "typ": "JWT"], secret: [UInt8] = secret) -> String {
        let input = encode(header) + "." + encode(claims)
        return input + "." + Base64.encodeURL(HMACSHA256.authenticationCode(key: secret, message: Array(input.utf8)))
    }

    static func es256(_ claims: JSONValue = claims(), key: P256PrivateKey, kid: String = "key-1") throws -> String {
        let input = encode(["alg": "ES256", "typ": "JWT", "kid": .string(kid)]) + "." + encode(claims)
        return input + "." + Base64.encodeURL(try key.signature(for: Array(input.utf8)))
    }
}

@Suite("JWS and LINE Login ID tokens")
struct LineIDTokenTests {
    @Test("RFC 7515 A.1 (HS256) and A.3 (ES256) examples verify")
    func rfc7515() throws {
        let hsToken = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        let hs = try JSONWebToken(compact: hsToken)
        let key = try #require(Base64.decodeURL("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"))
        #expect(hs.algorithm == "HS256")
        #expect(HMACSHA256.authenticationCode(key: key, message: hs.signingInput) == hs.signature)
        #expect(hs.payload["iss"]?.stringValue == "joe")

        let esToken = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
        let es = try JSONWebToken(compact: esToken)
        let jwks = try JSONWebKeySet(json: Array(#"{"keys":[{"kty":"EC","crv":"P-256","kid":"a3","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},{"kty":"RSA","n":"xx","e":"AQAB"}]}"#.utf8))
        let publicKey = try #require(jwks.keys["a3"])
        #expect(jwks.keys.count == 1)
        #expect(publicKey.isValidSignature(raw: es.signature, for: es.signingInput))
        var tampered = es.signingInput
        tampered[tampered.count - 1] ^= 0x01
        #expect(!publicKey.isValidSignature(raw: es.signature, for: tampered))
    }

    static func verifier(secret: [UInt8]? = TokenMinter.secret, keys: JSONWebKeySet? = nil) throws -> LineIDTokenVerifier {
        try LineIDTokenVerifier(channelID: TokenMinter.channelID, channelSecret: secret, keySet: keys)
    }

    static func code(_ body: () throws(LineIDTokenError) -> LineIDTokenClaims) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            return error.code
        }
    }

    @Test("A good HS256 token yields its claims")
    func goodHS256() throws {
        let claims = try Self.verifier().verify(TokenMinter.hs256(), expectedNonce: "n-0S6_WzA2Mj", now: TokenMinter.now)
        #expect(claims.subject == TokenMinter.subject)
        #expect(claims.audience == TokenMinter.channelID)
        #expect(claims.authenticationMethods == ["pwd"])
        #expect(claims.name == "Taro")
    }

    @Test("A good ES256 token verifies with its JWKS key")
    func goodES256() throws {
        let key = try P256PrivateKey()
        let keys = JSONWebKeySet(keys: ["key-1": key.publicKey])
        let verifier = try Self.verifier(secret: nil, keys: keys)
        let claims = try verifier.verify(TokenMinter.es256(key: key), expectedNonce: nil, now: TokenMinter.now)
        #expect(claims.subject == TokenMinter.subject)
        #expect(Self.code { () throws(LineIDTokenError) in try verifier.verify(try! TokenMinter.es256(key: key, kid: "key-2"), expectedNonce: nil, now: TokenMinter.now) } == "id_token_unknown_kid")
        let other = try P256PrivateKey()
        #expect(Self.code { () throws(LineIDTokenError) in try verifier.verify(try! TokenMinter.es256(key: other), expectedNonce: nil, now: TokenMinter.now) } == "id_token_bad_signature")
    }

    @Test("Each rule refuses its token", arguments: [
        ("wrong secret", TokenMinter.hs256(secret: Array("another-secret".utf8)), "id_token_bad_signature"),
        ("alg none", TokenMinter.encode(["alg": "none"]) + "." + TokenMinter.encode(TokenMinter.claims()) + ".AAAA", "id_token_algorithm_not_allowed"),
        ("alg HS512", TokenMinter.hs256(header: ["alg": "HS512"]), "id_token_algorithm_not_allowed"),
        ("crit header", TokenMinter.hs256(header: ["alg": "HS256", "crit": ["exp"]]), "id_token_malformed"),
        ("wrong issuer", TokenMinter.hs256(TokenMinter.claims(["iss": "https://evil.example"])), "id_token_wrong_issuer"),
        ("wrong audience", TokenMinter.hs256(TokenMinter.claims(["aud": "1234567891"])), "id_token_wrong_audience"),
        ("expired beyond skew", TokenMinter.hs256(TokenMinter.claims(["exp": .int(TokenMinter.now - 61)])), "id_token_expired"),
        ("issued in the future", TokenMinter.hs256(TokenMinter.claims(["iat": .int(TokenMinter.now + 61)])), "id_token_issued_in_future"),
        ("issued a month ago, exp far ahead", TokenMinter.hs256(TokenMinter.claims(["iat": .int(TokenMinter.now - 30 * 86_400), "exp": .int(TokenMinter.now + 3600)])), "id_token_too_old"),
        ("exp before iat", TokenMinter.hs256(TokenMinter.claims(["iat": .int(TokenMinter.now + 50), "exp": .int(TokenMinter.now + 10)])), "id_token_malformed"),
        ("iat Int64.min (no overflow)", TokenMinter.hs256(TokenMinter.claims(["iat": .int(Int64.min)])), "id_token_malformed"),
        ("exp Int64.max (no overflow)", TokenMinter.hs256(TokenMinter.claims(["exp": .int(Int64.max)])), "id_token_malformed"),
        ("exp Int64.min (no overflow)", TokenMinter.hs256(TokenMinter.claims(["exp": .int(Int64.min)])), "id_token_malformed"),
        ("nonce differs", TokenMinter.hs256(TokenMinter.claims(["nonce": "other"])), "id_token_nonce_mismatch"),
        ("nonce missing", TokenMinter.hs256(TokenMinter.claims(removing: ["nonce"])), "id_token_nonce_mismatch"),
        ("bad subject", TokenMinter.hs256(TokenMinter.claims(["sub": "U0123"])), "id_token_bad_subject"),
        ("uppercase subject", TokenMinter.hs256(TokenMinter.claims(["sub": .string("U" + String(repeating: "0123456789ABCDEF", count: 2))])), "id_token_bad_subject"),
        ("no exp", TokenMinter.hs256(TokenMinter.claims(removing: ["exp"])), "id_token_malformed"),
        ("two parts", "abc.def", "id_token_malformed"),
        ("padding in base64url", TokenMinter.hs256() + "=", "id_token_malformed"),
        ("too long", String(repeating: "a", count: 9000), "id_token_malformed"),
    ])
    func refusals(name: String, token: String, code: String) throws {
        let verifier = try Self.verifier()
        #expect(Self.code { () throws(LineIDTokenError) in try verifier.verify(token, expectedNonce: "n-0S6_WzA2Mj", now: TokenMinter.now) } == code, "\(name)")
    }

    @Test("Within the skew a token is still good")
    func skew() throws {
        let verifier = try Self.verifier()
        for claims: [String: JSONValue] in [["exp": .int(TokenMinter.now - 60), "iat": .int(TokenMinter.now - 120)],
                                             ["exp": .int(TokenMinter.now + 3600), "iat": .int(TokenMinter.now + 60)],
                                             ["exp": .int(TokenMinter.now + 60), "iat": .int(TokenMinter.now - 3_600 - 60)]] {
            let token = TokenMinter.hs256(TokenMinter.claims(claims))
            #expect(Self.code { () throws(LineIDTokenError) in try verifier.verify(token, expectedNonce: nil, now: TokenMinter.now) } == nil, "\(claims)")
        }
        #expect(throws: CryptoError.self) { try LineIDTokenVerifier(channelID: "1", channelSecret: TokenMinter.secret, keySet: nil, clockSkewSeconds: 301) }
    }

    @Test("Algorithm confusion: an HS256 token is refused when only ES256 keys are configured")
    func confusion() throws {
        let key = try P256PrivateKey()
        let verifier = try Self.verifier(secret: nil, keys: JSONWebKeySet(keys: ["key-1": key.publicKey]))
        // "Signed" with the public key bytes as an HMAC secret, the classic confusion attack.
        let token = TokenMinter.hs256(secret: key.publicKey.uncompressedPoint)
        #expect(Self.code { () throws(LineIDTokenError) in try verifier.verify(token, expectedNonce: nil, now: TokenMinter.now) } == "id_token_algorithm_not_allowed")
    }

    @Test("Refusal messages never contain the token or the secret")
    func noLeaks() throws {
        let verifier = try Self.verifier()
        let token = TokenMinter.hs256(secret: Array("another-secret".utf8))
        do {
            _ = try verifier.verify(token, expectedNonce: nil, now: TokenMinter.now)
            Issue.record("expected a refusal")
        } catch {
            #expect(!error.message.contains(token))
            #expect(!error.message.contains(String(token.split(separator: ".")[2])))
            #expect(!error.message.contains("login-channel-secret"))
        }
    }

    @Test("JWKS parsing refuses malformed EC keys")
    func jwksErrors() {
        for document in [#"{"keys":[{"kty":"EC","crv":"P-384","kid":"a","x":"AA","y":"AA"}]}"#, #"{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}"#,
                         #"{"nokeys":[]}"#, #"{"keys":[{"kty":"EC","crv":"P-256","kid":"a","x":"AA","y":"AA"}]}"#, "not json"] {
            #expect(throws: CryptoError.self, "\(document)") { try JSONWebKeySet(json: Array(document.utf8)) }
        }
    }
}
