import Testing
@testable import PointCrypto

@Suite struct CoreVectorTests {
    /// NIST FIPS 180-2 example "abc".
    @Test func sha256OfABC() {
        #expect(SHA256.hash("abc").hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash("").hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("Hex of raw bytes equals the generic hex, every byte value, appended after what was there")
    func hexOfRawBytes() {
        let bytes = (0...255).map { UInt8($0) }
        var raw: [UInt8] = Array("x".utf8)
        bytes.withUnsafeBytes { Hex.append($0, to: &raw) }
        var generic: [UInt8] = Array("x".utf8)
        Hex.append(bytes.lazy.map { $0 }, to: &generic)
        #expect(raw == generic)
        #expect(String(decoding: raw.prefix(9), as: UTF8.self) == "x00010203")
        #expect(String(decoding: raw.suffix(4), as: UTF8.self) == "feff")
    }

    /// RFC 4231 test case 2.
    @Test func hmacCase2() {
        #expect(Hex.encode(HMACSHA256.authenticationCode(key: "Jefe", message: "what do ya want for nothing?"))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    /// RFC 8032 §7.1 TEST 1 (empty message).
    @Test func ed25519Test1() throws {
        let seed = try #require(Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        let key = try Ed25519PrivateKey(seed: seed)
        #expect(Hex.encode(key.publicKey.rawRepresentation) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let signature = try key.signature(for: [UInt8]())
        #expect(Hex.encode(signature) == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
        #expect(key.publicKey.isValidSignature(signature, for: [UInt8]()))
        #expect(!key.publicKey.isValidSignature(signature, for: [UInt8(1)]))
    }

    @Test func pemRoundTrip() throws {
        let key = try Ed25519PrivateKey()
        let pem = try key.pemRepresentation()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let reloaded = try Ed25519PrivateKey(pem: pem)
        #expect(reloaded.publicKey == key.publicKey)
        let publicPEM = try key.publicKey.pemRepresentation()
        #expect(try Ed25519PublicKey(pem: publicPEM) == key.publicKey)
    }

    @Test func base64RoundTrips() {
        #expect(Base64.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64.encode(Array("fo".utf8)) == "Zm8=")
        #expect(Base64.encodeURL([0xfb, 0xff]) == "-_8")
        #expect(Base64.decode("Zm8=") == Array("fo".utf8))
        #expect(Base64.decodeURL("-_8") == [0xfb, 0xff])
        #expect(Base64.decode("Zm9=") == nil)
        #expect(Base64.decode("Zm8") == nil)
    }
}
