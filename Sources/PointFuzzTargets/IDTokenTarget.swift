import PointCrypto
import PointJSON

/// Fuzzes `LineIDTokenVerifier.verify` for one channel with a fixed HS256 channel secret and a
/// one-key JWKS, at a fixed `now`.
///
/// Input: byte 0 selects the mode. Mode 0 (even): the rest is the compact token, verbatim.
/// Mode 1 / 2 (odd, by bit 1): the rest is `header JSON` NUL `payload JSON`, which the harness
/// encodes and signs (1: HS256 with the channel secret, 2: ES256 with the JWKS key), so the
/// claim checks behind the signature are reachable.
///
/// Invariants for a token that verifies: `iss` is https://access.line.me and `aud` the channel;
/// the claims returned are the payload's; `exp`/`iat` are within the clock skew of `now`; the
/// subject is a LINE user ID; with an expected nonce the token carries exactly it; the header
/// algorithm is HS256 or ES256 and the signature checks independently; changing any one
/// character of the token makes it fail. For a refused token: the code is `id_token_…` and the
/// message repeats neither the channel secret nor the token's signature. Verification is
/// deterministic.
enum IDTokenTarget {
    static let channelID = "1650000000"
    static let secret = Array("fuzz-login-channel-secret".utf8)
    static let now: Int64 = 1_792_000_000
    static let nonce = "n-0S6_WzA2Mj"
    static let keyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg2Pp12MPNONm8EMhS
        yx+VuaXkPjQLWGR5SwnTaQlWxWChRANCAASRs4V7iCVgY/rOwuG2GXUzw+bf/nL9
        tQbAJ1ebPwj3NC7pe6sj5cMTFvbDpgtN9E+LB4JhzHKd7iJ77MuGF0/B
        -----END PRIVATE KEY-----

        """
    static let keyID = "fuzz-key-1"
    static let privateKey = try! P256PrivateKey(pem: keyPEM)
    static let keySet = JSONWebKeySet(keys: [keyID: privateKey.publicKey])
    static let verifier = try! LineIDTokenVerifier(channelID: channelID, channelSecret: secret, keySet: keySet, clockSkewSeconds: 60)

    static func token(mode: UInt8, _ rest: ArraySlice<UInt8>) -> String? {
        if mode & 1 == 0 { return String(decoding: rest, as: UTF8.self) }
        guard let separator = rest.firstIndex(of: 0) else { return nil }
        let input = Base64.encodeURL(Array(rest[..<separator])) + "." + Base64.encodeURL(Array(rest[(separator + 1)...]))
        let signature: [UInt8]
        if mode & 2 == 0 {
            signature = HMACSHA256.authenticationCode(key: secret, message: Array(input.utf8))
        } else {
            guard let signed = try? privateKey.signature(for: Array(input.utf8)) else { return nil }
            signature = signed
        }
        return input + "." + Base64.encodeURL(signature)
    }

    static func run(_ data: [UInt8]) -> FuzzViolation? {
        var checker = Checker(FuzzTarget.idToken.rawValue)
        guard let mode = data.first, let token = token(mode: mode, data.dropFirst()) else { return nil }
        for expected in [nil, nonce] {
            let first = result(token, expected)
            checker.check(first == result(token, expected), "verifying twice gives different answers")
            switch first {
            case .success(let claims):
                checkAccepted(token, claims, expectedNonce: expected, checker: &checker)
            case .failure(let error):
                checker.check(error.code.hasPrefix("id_token_"), "error code \(error.code) is not id_token_…")
                checker.check(!error.message.contains(String(decoding: secret, as: UTF8.self)), "the error message repeats the channel secret")
                if let signature = token.split(separator: ".", omittingEmptySubsequences: false).last, signature.count >= 16 {
                    checker.check(!error.message.contains(signature), "the error message repeats the token's signature")
                }
            }
        }
        return checker.violation
    }

    static func result(_ token: String, _ expectedNonce: String?) -> Result<LineIDTokenClaims, LineIDTokenError> {
        do throws(LineIDTokenError) {
            return .success(try verifier.verify(token, expectedNonce: expectedNonce, now: now))
        } catch {
            return .failure(error)
        }
    }

    static func checkAccepted(_ token: String, _ claims: LineIDTokenClaims, expectedNonce: String?, checker: inout Checker) {
        checker.check(claims.issuer == "https://access.line.me", "accepted issuer \(claims.issuer)")
        checker.check(claims.audience == channelID, "accepted audience \(claims.audience)")
        checker.check(now <= claims.expiresAt + 60, "accepted a token expired at \(claims.expiresAt)")
        checker.check(claims.issuedAt <= now + 60, "accepted a token issued at \(claims.issuedAt)")
        let subject = Array(claims.subject.utf8)
        checker.check(subject.count == 33 && subject[0] == UInt8(ascii: "U")
                      && subject.dropFirst().allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) },
                      "accepted subject \(claims.subject.debugDescription)")
        if let expectedNonce { checker.check(claims.nonce == expectedNonce, "accepted nonce \(String(describing: claims.nonce)) for \(expectedNonce)") }
        guard let parsed = try? JSONWebToken(compact: token) else {
            checker.fail("accepted a token that does not parse")
            return
        }
        checker.check(parsed.payload["iss"]?.stringValue == claims.issuer && parsed.payload["aud"]?.stringValue == claims.audience
                      && parsed.payload["sub"]?.stringValue == claims.subject && parsed.payload["exp"]?.intValue == claims.expiresAt
                      && parsed.payload["iat"]?.intValue == claims.issuedAt, "the claims returned differ from the payload")
        switch parsed.algorithm {
        case "HS256":
            checker.check(HMACSHA256.authenticationCode(key: secret, message: parsed.signingInput) == parsed.signature,
                          "accepted an HS256 token whose HMAC does not match")
        case "ES256":
            checker.check(parsed.keyID == keyID && privateKey.publicKey.isValidSignature(raw: parsed.signature, for: parsed.signingInput),
                          "accepted an ES256 token whose signature does not verify")
        default:
            checker.fail("accepted algorithm \(String(describing: parsed.algorithm))")
        }
        // Any one-character change must be refused (every character is covered: header and payload
        // by the signature, the signature by canonical base64url).
        var bytes = Array(token.utf8)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.".utf8)
        let position = Int(claims.issuedAt & 0x7FFF_FFFF) % bytes.count
        let original = bytes[position]
        for replacement in [alphabet[Int(original) % alphabet.count], alphabet[(Int(original) + 1) % alphabet.count]] where replacement != original {
            bytes[position] = replacement
            if case .success = result(String(decoding: bytes, as: UTF8.self), expectedNonce) {
                checker.fail("changing byte \(position) of an accepted token to '\(UnicodeScalar(replacement))' still verifies")
            }
        }
    }
}
