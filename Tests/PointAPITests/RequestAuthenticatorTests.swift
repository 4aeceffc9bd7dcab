import PointCrypto
import PointHTTP
import Testing
@testable import PointAPI

@Suite struct RequestAuthenticatorTests {
    let clock = ManualAPIClock(unixMilliseconds: Fixture.now)
    let store: CredentialStore
    let authenticator: RequestAuthenticator
    let signer = RequestSigner(keyId: "1650000001", secret: Fixture.merchantSecret)

    init() throws {
        store = try CredentialStore([Fixture.merchant(), Fixture.staff(.auditor, keyId: "auditor-1")])
        authenticator = RequestAuthenticator(
            credentials: store,
            replayCache: NonceReplayCache(window: .seconds(300), capacity: 1000, shardCount: 2, clock: clock),
            clock: clock
        )
    }

    func grantRequest(body: String = #"{"orderId":"A-1","points":100}"#) -> HTTPRequest {
        HTTPRequest(method: .post, target: "/v1/grants", body: Array(body.utf8), remoteAddress: "127.0.0.1")
    }

    func failure(_ request: HTTPRequest) -> AuthenticationFailure? {
        do {
            _ = try authenticator.authenticate(request)
            return nil
        } catch {
            return error
        }
    }

    @Test func acceptsACorrectlySignedRequestOnce() throws {
        let request = signer.signing(grantRequest())
        let credential = try authenticator.authenticate(request)
        #expect(credential.keyId == "1650000001")
        #expect(credential.merchantId == "merchant-a")
        #expect(failure(request) == .replayedNonce)
    }

    @Test func acceptsSignedGetWithQueryAndTimestampNonces() throws {
        let request = HTTPRequest(method: .get, target: "/v1/grants?status=active&limit=2")
        #expect(try authenticator.authenticate(signer.signing(request, nonce: String(Fixture.now / 1000))).keyId == signer.keyId)
        #expect(try authenticator.authenticate(signer.signing(request, nonce: String(Fixture.now + 120_000))).keyId == signer.keyId)
        #expect(failure(signer.signing(request, nonce: String(Fixture.now / 1000))) == .replayedNonce)
    }

    @Test func aFlippedByteAnywhereIsRefused() {
        let signed = signer.signing(grantRequest(), nonce: "0b8a3a5e-6a4f-4b1c-9d2e-3f4a5b6c7d8e")
        // Body bytes.
        for index in signed.body.indices {
            var tampered = signed
            tampered.body[index] ^= 0x01
            #expect(failure(tampered) == .signatureMismatch)
        }
        // Path bytes.
        var path = Array(signed.path.utf8)
        for index in path.indices {
            path[index] ^= 0x01
            var tampered = signed
            tampered.path = String(decoding: path, as: UTF8.self)
            path[index] ^= 0x01
            #expect(failure(tampered) == .signatureMismatch)
        }
        // Signature characters: every position, replaced by another Base64 character.
        let signature = Array(signed.headers[RequestSignature.signatureHeader] ?? "")
        for index in signature.indices where signature[index] != "=" {
            var changed = signature
            changed[index] = changed[index] == "A" ? "B" : "A"
            var tampered = signed
            tampered.headers.set(name: RequestSignature.signatureHeader, value: String(changed))
            let outcome = failure(tampered)
            #expect(outcome == .signatureMismatch || outcome == .malformedSignature)
        }
        // Query added to a body request changes nothing (the body is signed), but the untouched request passes.
        #expect(failure(signed) == nil)
    }

    @Test func queryTamperingIsRefused() {
        let signed = signer.signing(HTTPRequest(method: .get, target: "/v1/grants?limit=2"))
        var tampered = signed
        tampered.query = "limit=3"
        #expect(failure(tampered) == .signatureMismatch)
        var methodChanged = signed
        methodChanged.method = .delete
        methodChanged.query = nil
        #expect(failure(methodChanged) == .signatureMismatch)
    }

    @Test func eachMissingOrRepeatedHeaderIsNamed() {
        let signed = signer.signing(grantRequest())
        for name in [RequestSignature.keyIdHeader, RequestSignature.nonceHeader, RequestSignature.signatureHeader] {
            var missing = signed
            missing.headers.remove(name: name)
            #expect(failure(missing) == .missingHeader(name))
            var empty = signed
            empty.headers.set(name: name, value: "")
            #expect(failure(empty) == .missingHeader(name))
            var repeated = signed
            repeated.headers.add(name: name.lowercased(), value: "x")
            #expect(failure(repeated) == .duplicateHeader(name))
        }
    }

    @Test func unknownAndRevokedKeysAreRefused() throws {
        let stranger = RequestSigner(keyId: "1659999999", secret: Fixture.merchantSecret)
        #expect(failure(stranger.signing(grantRequest())) == .unknownKeyId)
        try store.revoke(keyId: "1650000001")
        #expect(failure(signer.signing(grantRequest())) == .unknownKeyId)
    }

    @Test func malformedAndStaleNoncesAreRefused() {
        #expect(failure(signer.signing(grantRequest(), nonce: "not-a-nonce")) == .malformedNonce)
        #expect(failure(signer.signing(grantRequest(), nonce: String(Fixture.now - 300_001)))
                == .staleNonce(nonceTime: Fixture.now - 300_001, serverTime: Fixture.now, windowMilliseconds: 300_000))
        #expect(failure(signer.signing(grantRequest(), nonce: String(Fixture.now + 300_001)))
                == .staleNonce(nonceTime: Fixture.now + 300_001, serverTime: Fixture.now, windowMilliseconds: 300_000))
        guard case .staleNonce = failure(signer.signing(grantRequest(), nonce: "f81d4fae-7dec-11d0-a765-00a0c91e6bf6")) else {
            Issue.record("a UUID v1 from 1997 is stale")
            return
        }
        #expect(failure(signer.signing(grantRequest(), nonce: String(Fixture.now - 300_000))) == nil)
    }

    @Test func aStaleNonceIsAnsweredWithBothTimesAndTheWindow() {
        let error = AuthenticationFailure.staleNonce(nonceTime: 1_793_491_200_000, serverTime: 1_793_491_200_000 + 3_600_000,
                                                                windowMilliseconds: 300_000).apiError
        #expect(error.status.code == 401 && error.code == .staleNonce)
        #expect(error.message.hasPrefix("The time in X-LINE-Authorization-Nonce, 2026-11-01T00:00:00.000000Z, is 3600 s behind the server's clock, 2026-11-01T01:00:00.000000Z; it must be within 300 s of it."),
                "\(error.message)")
        #expect(error.message.contains("GET /readyz"))
        #expect(error.details.map(\.property) == ["X-LINE-Authorization-Nonce"])
    }

    @Test func malformedSignaturesAreRefused() {
        for value in ["abc", String(repeating: "A", count: 44), "!" + String(repeating: "A", count: 43)] {
            var request = signer.signing(grantRequest())
            request.headers.set(name: RequestSignature.signatureHeader, value: value)
            let outcome = failure(request)
            #expect(outcome == .malformedSignature || outcome == .signatureMismatch)
        }
    }

    @Test func aNonceIsRecordedOnlyAfterTheSignatureVerifies() {
        let nonce = "0b8a3a5e-6a4f-4b1c-9d2e-3f4a5b6c7d8e"
        let forger = RequestSigner(keyId: "1650000001", secret: Fixture.otherSecret)
        #expect(failure(forger.signing(grantRequest(), nonce: nonce)) == .signatureMismatch)
        #expect(failure(signer.signing(grantRequest(), nonce: nonce)) == nil)
    }

    @Test func rotationHonoursTheOverlapPeriod() throws {
        let newSecret = Array("ffffffffffffffffffffffffffffffff".utf8)
        try store.rotate(keyId: "1650000001", newSecret: newSecret, previousSecretValidUntil: Fixture.now + 60_000)
        #expect(failure(signer.signing(grantRequest())) == nil)
        let rotated = RequestSigner(keyId: "1650000001", secret: newSecret)
        #expect(failure(rotated.signing(grantRequest())) == nil)
        clock.advance(milliseconds: 60_001)
        #expect(failure(signer.signing(grantRequest())) == .signatureMismatch)
        #expect(failure(rotated.signing(grantRequest())) == nil)
    }

    /// A rotation resent after a lost answer must not cut off the secret still in use: each
    /// earlier secret keeps the validity it was given.
    @Test func aSecondRotationKeepsEarlierSecretsUntilTheirOwnEnd() throws {
        let second = Array("eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee".utf8)
        let third = Array("dddddddddddddddddddddddddddddddd".utf8)
        try store.rotate(keyId: "1650000001", newSecret: second, previousSecretValidUntil: Fixture.now + 60_000)
        clock.advance(milliseconds: 10_000)
        try store.rotate(keyId: "1650000001", newSecret: third, previousSecretValidUntil: Fixture.now + 70_000)
        let (secondSigner, thirdSigner) = (RequestSigner(keyId: "1650000001", secret: second), RequestSigner(keyId: "1650000001", secret: third))
        #expect(failure(signer.signing(grantRequest())) == nil, "the first secret is still within its minute")
        #expect(failure(secondSigner.signing(grantRequest())) == nil)
        #expect(failure(thirdSigner.signing(grantRequest())) == nil)
        clock.advance(milliseconds: 50_001)
        #expect(failure(signer.signing(grantRequest())) == .signatureMismatch)
        #expect(failure(secondSigner.signing(grantRequest())) == nil)
        clock.advance(milliseconds: 10_000)
        #expect(failure(secondSigner.signing(grantRequest())) == .signatureMismatch)
        #expect(failure(thirdSigner.signing(grantRequest())) == nil)
        // A rotation without an overlap cuts every earlier secret at once.
        try store.rotate(keyId: "1650000001", newSecret: second, previousSecretValidUntil: nil)
        #expect(failure(thirdSigner.signing(grantRequest())) == .signatureMismatch)
    }

    /// Beyond three earlier secrets the oldest (after lost answers, the deployed one) stays.
    @Test func beyondTheLimitTheOldestSecretStays() throws {
        var signers: [RequestSigner] = []
        for index in 0..<5 {
            let next = Array(String(repeating: String(index), count: 32).utf8)
            try store.rotate(keyId: "1650000001", newSecret: next, previousSecretValidUntil: Fixture.now + 60_000)
            signers.append(RequestSigner(keyId: "1650000001", secret: next))
        }
        #expect(failure(signer.signing(grantRequest())) == nil, "the first secret is kept")
        #expect(failure(signers[0].signing(grantRequest())) == .signatureMismatch, "an intermediate one went")
        #expect(failure(signers[1].signing(grantRequest())) == .signatureMismatch)
        #expect(failure(signers[2].signing(grantRequest())) == nil)
        #expect(failure(signers[3].signing(grantRequest())) == nil)
        #expect(failure(signers[4].signing(grantRequest())) == nil, "the current one")
    }

    @Test func aFullReplayCacheAnswers503() throws {
        let tiny = RequestAuthenticator(
            credentials: store,
            replayCache: NonceReplayCache(window: .seconds(60), capacity: 1, shardCount: 1, clock: clock),
            clock: clock
        )
        _ = try tiny.authenticate(signer.signing(grantRequest()))
        do {
            _ = try tiny.authenticate(signer.signing(grantRequest()))
            Issue.record("a full cache must refuse")
        } catch {
            #expect(error.apiError.status.code == 503)
            #expect(error.apiError.code == .unavailable)
            #expect(error.apiError.headers["Retry-After"] != nil)
        }
    }

    @Test func refusalsNeverEchoTheSecretOrTheExpectedSignature() {
        let good = signer.signing(grantRequest(), nonce: "0b8a3a5e-6a4f-4b1c-9d2e-3f4a5b6c7d8e")
        let expected = good.headers[RequestSignature.signatureHeader] ?? ""
        var bad = good
        bad.body.append(0x20)
        guard let outcome = failure(bad) else {
            Issue.record("tampered body accepted")
            return
        }
        let text = String(decoding: outcome.apiError.body, as: UTF8.self)
        #expect(outcome.apiError.status.code == 401)
        #expect(!text.contains(expected))
        #expect(!text.contains(String(decoding: Fixture.merchantSecret, as: UTF8.self)))
        #expect(!String(describing: Fixture.merchant()).contains(String(decoding: Fixture.merchantSecret, as: UTF8.self)))
    }
}
