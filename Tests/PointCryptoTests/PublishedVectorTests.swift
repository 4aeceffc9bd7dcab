import Testing
@testable import PointCrypto

/// Published test vectors: NIST SHA-256, RFC 4231 HMAC-SHA256, RFC 8032 Ed25519, RFC 6979 ECDSA P-256.
@Suite("Published test vectors")
struct PublishedVectorTests {
    @Test("NIST SHA-256 examples", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256(message: String, digest: String) {
        #expect(SHA256.hash(message).hex == digest)
    }

    @Test("Every SHA-256 path gives the NIST digests: one-shot, prefixed, incremental, a reused hasher with and without earlier input")
    func sha256Paths() {
        let abc = Array("abc".utf8)
        let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        // "abc" as the prefix byte "a" followed by "bc".
        #expect(Array("bc".utf8).withUnsafeBytes { SHA256.hash(prefix: UInt8(ascii: "a"), $0) }.hex == expected)
        var hasher = SHA256Hasher()
        #expect(abc.withUnsafeBytes { hasher.hash($0) }.hex == expected)                       // nothing added before
        hasher.update(Array("ab".utf8))
        #expect(Array("c".utf8).withUnsafeBytes { hasher.hash($0) }.hex == expected)           // pending "ab" + "c"
        hasher.update(Array("a".utf8))
        #expect(Array("c".utf8).withUnsafeBytes { hasher.hash(prefix: UInt8(ascii: "b"), $0) }.hex == expected)
        #expect([UInt8]().withUnsafeBytes { hasher.hash($0) }.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("NIST SHA-256: one million 'a'")
    func sha256Million() {
        #expect(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)).hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    static let longKey = [UInt8](repeating: 0xaa, count: 131)

    @Test("RFC 4231 HMAC-SHA256 test cases 1–7", arguments: [
        ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        ([UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        (Array(1...25), [UInt8](repeating: 0xcd, count: 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        ([UInt8](repeating: 0x0c, count: 20), Array("Test With Truncation".utf8), "a3b6167473100ee06e0c796c2955552b"),
        (longKey, Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        (longKey, Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ] as [([UInt8], [UInt8], String)])
    func hmac(key: [UInt8], message: [UInt8], expected: String) {
        // Case 5 publishes only the first 128 bits.
        let code = Hex.encode(HMACSHA256.authenticationCode(key: key, message: message))
        #expect(code.prefix(expected.count) == expected)
        #expect(code.count == 64)
    }

    @Test("HMAC-SHA256 over four parts equals RFC 4231 case 2 for every split of its message")
    func hmacOverParts() {
        let key = Array("Jefe".utf8)
        let message = Array("what do ya want for nothing?".utf8)
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        var checked = 0
        key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { all in
                for first in 0...all.count {
                    for second in first...all.count {
                        for third in second...all.count {
                            let code = HMACSHA256.authenticationCode(
                                key: keyBytes, concatenating: UnsafeRawBufferPointer(rebasing: all[0..<first]),
                                UnsafeRawBufferPointer(rebasing: all[first..<second]), UnsafeRawBufferPointer(rebasing: all[second..<third]),
                                UnsafeRawBufferPointer(rebasing: all[third...]))
                            if Hex.encode(code) != expected { Issue.record("split \(first)/\(second)/\(third) gave \(Hex.encode(code))") }
                            checked += 1
                        }
                    }
                }
            }
        }
        #expect(checked == 4_495)
        // A single part, and a key past the block size (hashed first) with the data in two parts.
        let long = Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8)
        let code = Self.longKey.withUnsafeBytes { keyBytes in
            long.withUnsafeBytes { all in
                HMACSHA256.authenticationCode(key: keyBytes, concatenating: UnsafeRawBufferPointer(rebasing: all[..<70]),
                                              UnsafeRawBufferPointer(rebasing: all[70...]))
            }
        }
        #expect(Hex.encode(code) == "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2")
    }

    @Test("HMAC-SHA256 at the edges of the key block: empty key and message, a 64-byte and a 65-byte key (values from Python's hmac)", arguments: [
        ([UInt8](), [UInt8](), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"),
        (Array(0..<64), Array("sixty-four".utf8), "ddc89972fd68037feaba8b86463cb6e993dc97072bfa393bd87ef0bfa9a82028"),
        (Array(0..<65), Array("sixty-five".utf8), "3a4be673c16d7b5f5e91bf134117d5438d56aec4180d2fffb26b419ed626f75f"),
    ] as [([UInt8], [UInt8], String)])
    func hmacKeyBlockEdges(key: [UInt8], message: [UInt8], expected: String) {
        #expect(Hex.encode(HMACSHA256.authenticationCode(key: key, message: message)) == expected)
    }

    @Test("RFC 8032 Ed25519 tests 1, 2, 3, SHA(abc)", arguments: [
        ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
        ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7", "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
         "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
        ("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42", "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
         "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
         "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"),
    ])
    func ed25519(seed: String, publicKey: String, message: String, signature: String) throws {
        let key = try Ed25519PrivateKey(seed: try #require(Hex.decode(seed)))
        let messageBytes = try #require(Hex.decode(message))
        #expect(Hex.encode(key.publicKey.rawRepresentation) == publicKey)
        let signed = try key.signature(for: messageBytes)
        #expect(Hex.encode(signed) == signature)
        let verifier = try Ed25519PublicKey(rawRepresentation: try #require(Hex.decode(publicKey)))
        #expect(verifier.isValidSignature(signed, for: messageBytes))
        var flipped = signed
        flipped[10] ^= 0x01
        #expect(!verifier.isValidSignature(flipped, for: messageBytes))
        #expect(!verifier.isValidSignature(signed, for: messageBytes + [0]))
    }

    static let rfc6979Point = "04" + "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
        + "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"

    @Test("RFC 6979 A.2.5 ECDSA P-256 / SHA-256 signatures verify", arguments: [
        ("sample", "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"),
        ("test", "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083"),
    ])
    func ecdsa(message: String, signature: String) throws {
        let key = try P256PublicKey(uncompressedPoint: try #require(Hex.decode(Self.rfc6979Point)))
        let raw = try #require(Hex.decode(signature))
        #expect(key.isValidSignature(raw: raw, for: Array(message.utf8)))
        let der = try #require(P256PublicKey.derSignature(fromRaw: raw))
        #expect(key.isValidSignature(der: der, for: Array(message.utf8)))
        #expect(P256PublicKey.rawSignature(fromDER: der) == raw)
        #expect(!key.isValidSignature(raw: raw, for: Array((message + "!").utf8)))
        var flipped = raw
        flipped[40] ^= 0x80
        #expect(!key.isValidSignature(raw: flipped, for: Array(message.utf8)))
    }

    @Test("ECDSA: zero or out-of-range r and s, bad lengths and off-curve points are refused")
    func ecdsaEdges() throws {
        let key = try P256PublicKey(uncompressedPoint: try #require(Hex.decode(Self.rfc6979Point)))
        let message = Array("sample".utf8)
        #expect(!key.isValidSignature(raw: [UInt8](repeating: 0, count: 64), for: message))
        // r = s = n (the group order) is out of range.
        let order = try #require(Hex.decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"))
        #expect(!key.isValidSignature(raw: order + order, for: message))
        #expect(!key.isValidSignature(raw: [UInt8](repeating: 1, count: 63), for: message))
        var offCurve = try #require(Hex.decode(Self.rfc6979Point))
        offCurve[64] ^= 0x01
        #expect(throws: CryptoError.self) { try P256PublicKey(uncompressedPoint: offCurve) }
        #expect(throws: CryptoError.self) { try P256PublicKey(x: [UInt8](repeating: 1, count: 31), y: [UInt8](repeating: 1, count: 32)) }
    }

    @Test("P-256 sign and verify round trip, PEM round trip")
    func p256RoundTrip() throws {
        let key = try P256PrivateKey()
        let signature = try key.signature(for: Array("hello".utf8))
        #expect(signature.count == 64)
        #expect(key.publicKey.isValidSignature(raw: signature, for: Array("hello".utf8)))
        let reloaded = try P256PrivateKey(pem: try key.pemRepresentation())
        #expect(reloaded.publicKey.uncompressedPoint == key.publicKey.uncompressedPoint)
        let publicPEM = try key.publicKey.pemRepresentation()
        #expect(try P256PublicKey(pem: publicPEM).uncompressedPoint == key.publicKey.uncompressedPoint)
        #expect(throws: CryptoError.self) { try P256PublicKey(pem: try Ed25519PrivateKey().publicKey.pemRepresentation()) }
    }
}
