import PointCrypto
import PointHTTP
import Testing
@testable import PointAPI

@Suite struct RequestSigningTests {
    let signer = RequestSigner(keyId: "1650000001", secret: Fixture.merchantSecret)

    @Test func bodyMethodsSignTheExactBody() {
        // Expected value from: printf '%s' "$S/v1/grants$BODY$NONCE" | openssl dgst -sha256 -hmac "$S" -binary | base64
        let body = Array(#"{"orderId":"A-1","points":100}"#.utf8)
        let headers = signer.sign(method: .post, path: "/v1/grants", query: "ignored=1", body: body,
                                  nonce: "0b8a3a5e-6a4f-4b1c-9d2e-3f4a5b6c7d8e")
        #expect(headers.signature == "YY7LqW/YzyZlkiXCHwHF9nk6knliaKX+UC8ERhX/uH8=")
        #expect(headers.keyId == "1650000001")
        #expect(headers.nonce == "0b8a3a5e-6a4f-4b1c-9d2e-3f4a5b6c7d8e")
    }

    @Test func queryMethodsSignTheQueryWithoutQuestionMark() {
        let nonce = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
        let expected = "JHDWN/PN59iPRIFffcU8AZcsjr01RaYHlhxctCS7KE4="
        #expect(signer.sign(method: .get, path: "/v1/grants", query: "status=active&limit=2", nonce: nonce).signature == expected)
        #expect(signer.sign(method: .get, target: "/v1/grants?status=active&limit=2", nonce: nonce).signature == expected)
        // DELETE signs the query too, and ignores any body.
        #expect(signer.sign(method: .delete, path: "/v1/grants", query: "status=active&limit=2", body: [1, 2], nonce: nonce).signature == expected)
    }

    @Test func theMACIsTheHMACOfTheSignedMessage() {
        let longSecret = [UInt8](repeating: 0x61, count: 80)
        let bodies: [[UInt8]] = [[], Array(#"{"orderId":"A-1","points":100}"#.utf8), [UInt8](repeating: 0x7B, count: 300)]
        let queries: [String?] = [nil, "", "status=active&limit=2"]
        var checked = 0
        for secret in [Fixture.merchantSecret, longSecret, []] {
            for method in [HTTPMethod.post, .put, .patch, .get, .delete, .head] {
                for body in bodies {
                    for query in queries {
                        for (path, nonce) in [("/v1/grants", "0b8a3a5e-6a4f-4b1c-9d2e-3f4a5b6c7d8e"), ("/", "1700000000000"), ("/v1/bindings/m%C3%BC", "")] {
                            let message = RequestSignature.message(secret: secret, method: method, path: path, query: query, body: body, nonce: nonce)
                            #expect(RequestSignature.mac(secret: secret, method: method, path: path, query: query, body: body, nonce: nonce)
                                == HMACSHA256.authenticationCode(key: secret, message: message))
                            checked += 1
                        }
                    }
                }
            }
        }
        #expect(checked == 3 * 6 * 3 * 3 * 3)
    }

    @Test func defaultNoncesAreFreshLowercaseUUIDv4() {
        let first = signer.sign(method: .get, path: "/v1/grants")
        let second = signer.sign(method: .get, path: "/v1/grants")
        #expect(first.nonce != second.nonce)
        #expect(RequestNonce(first.nonce)?.kind == .uuidVersion4)
        #expect(first.nonce == first.nonce.lowercased())
    }

    @Test func signingARequestAddsTheThreeHeaders() {
        let request = signer.signing(HTTPRequest(method: .post, target: "/v1/grants", body: [0x7B, 0x7D]))
        #expect(request.headers[RequestSignature.keyIdHeader] == "1650000001")
        #expect(request.headers[RequestSignature.nonceHeader] != nil)
        #expect(request.headers[RequestSignature.signatureHeader]?.count == 44)
    }
}

@Suite struct RequestNonceTests {
    @Test(arguments: [
        ("0b8a3a5e-6a4f-4b1c-9d2e-3f4a5b6c7d8e", RequestNonce.Kind.uuidVersion4),
        ("0B8A3A5E-6A4F-4B1C-9D2E-3F4A5B6C7D8E", .uuidVersion4),
        ("f81d4fae-7dec-11d0-a765-00a0c91e6bf6", .uuidVersion1),
        ("1792029600", .unixSeconds),
        ("1792029600123", .unixMilliseconds),
    ])
    func acceptsTheDocumentedForms(text: String, kind: RequestNonce.Kind) {
        #expect(RequestNonce(text)?.kind == kind)
    }

    @Test(arguments: [
        "", "abc", "0b8a3a5e6a4f4b1c9d2e3f4a5b6c7d8e", "{0b8a3a5e-6a4f-4b1c-9d2e-3f4a5b6c7d8e}",
        "0b8a3a5e-6a4f-4b1c-9d2e-3f4a5b6c7d8E",   // mixed case
        "0b8a3a5e-6a4f-3b1c-9d2e-3f4a5b6c7d8e",   // version 3
        "0b8a3a5e-6a4f-4b1c-cd2e-3f4a5b6c7d8e",   // wrong variant
        "0b8a3a5e-6a4f-4b1c-9d2e-3f4a5b6c7d8g",
        "0b8a3a5e-6a4f-4b1c-9d2e-3f4a5b6c7d8e0",
        "179202960", "17920296001", "-179202960", "+179202960", "1792029600.5", " 1792029600",
        "１７９２０２９６００",                      // full-width digits
    ])
    func refusesEverythingElse(text: String) {
        #expect(RequestNonce(text) == nil)
    }

    @Test func timedNoncesCarryTheirTime() {
        #expect(RequestNonce("1792029600")?.unixMilliseconds == 1_792_029_600_000)
        #expect(RequestNonce("1792029600123")?.unixMilliseconds == 1_792_029_600_123)
        // RFC 4122's example UUID v1 was minted on 1997-02-04.
        #expect(RequestNonce("f81d4fae-7dec-11d0-a765-00a0c91e6bf6")?.unixMilliseconds == 854_991_792_216)
        #expect(RequestNonce("0b8a3a5e-6a4f-4b1c-9d2e-3f4a5b6c7d8e")?.unixMilliseconds == nil)
    }
}
