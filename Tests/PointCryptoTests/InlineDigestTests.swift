import Foundation
@testable import PointCrypto
import Testing

@Suite("Digests held inline: HMAC into a digest, Base64 straight into one, constant-time comparison")
struct InlineDigestTests {
    @Test("The inline HMAC equals the allocated one: RFC 4231 case 2 in parts, and a key past the block size")
    func inlineHMACMatches() {
        let key = Array("Jefe".utf8)
        let message = Array("what do ya want for nothing?".utf8)
        let digest = key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { all in
                HMACSHA256.authenticationDigest(key: keyBytes, concatenating: UnsafeRawBufferPointer(rebasing: all[..<4]),
                                                UnsafeRawBufferPointer(rebasing: all[4..<9]), UnsafeRawBufferPointer(rebasing: all[9...]))
            }
        }
        #expect(digest.hex == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        for keyLength in [0, 1, 64, 65, 131] {
            let key = [UInt8](repeating: 0xAA, count: keyLength)
            let data = Array("data to be signed".utf8)
            let inline = key.withUnsafeBytes { keyBytes in data.withUnsafeBytes { HMACSHA256.authenticationDigest(key: keyBytes, concatenating: $0) } }
            #expect(inline.bytes == HMACSHA256.authenticationCode(key: key, message: data), "key of \(keyLength) bytes")
        }
    }

    @Test("A digest parses from Base64 exactly when Base64 decodes the text to 32 bytes")
    func base64Digests() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Data(bytes).base64EncodedString()
            #expect(text.utf8.count == 44)
            #expect(SHA256Digest(base64: text)?.bytes == bytes)
        }
        let valid = Data(Array(0..<32)).base64EncodedString()
        var cases = [valid, String(valid.dropLast()), valid + "=", String(valid.dropLast(2)) + "==",
                     "", String(repeating: "A", count: 44), String(repeating: "=", count: 44)]
        // Every character in each position: outside the alphabet, URL-safe letters, padding in the middle,
        // and non-zero unused bits in the last character.
        for position in [0, 21, 42, 43] {
            for replacement in ["-", "_", "=", "*", " ", "B", "/", "+", "\u{0}"] {
                var characters = Array(valid)
                characters[position] = Character(replacement)
                cases.append(String(characters))
            }
        }
        for text in cases {
            let expected = Base64.decode(text).flatMap { $0.count == 32 && text.utf8.count == 44 ? $0 : nil }
            #expect(SHA256Digest(base64: text)?.bytes == expected, "\(text.debugDescription)")
        }
    }

    @Test("Digests compare equal exactly when every byte is equal")
    func constantTimeDigestEquality() {
        let base = SHA256.hash(Array("a".utf8))
        #expect(ConstantTime.equals(base, SHA256.hash(Array("a".utf8))))
        for index in 0..<32 {
            var bytes = base.bytes
            bytes[index] ^= 0x01
            #expect(!ConstantTime.equals(base, SHA256Digest(bytes: bytes) ?? base), "byte \(index)")
        }
    }
}
