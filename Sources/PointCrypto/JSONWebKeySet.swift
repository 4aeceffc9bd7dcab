import PointJSON

/// A JSON Web Key Set (RFC 7517) reduced to what ES256 verification needs: P-256 keys by `kid`.
/// Keys of other types (RSA, OKP…) are skipped; an EC key that is malformed is an error.
public struct JSONWebKeySet: Sendable {
    /// Most keys accepted in one set, and the largest document.
    public static let maxKeys = 64
    public static let maxDocumentBytes = 64 * 1024

    /// P-256 keys by key ID.
    public let keys: [String: P256PublicKey]

    public init(keys: [String: P256PublicKey]) {
        self.keys = keys
    }

    /// Parses a JWKS document (`{"keys":[…]}`).
    public init(json bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count <= Self.maxDocumentBytes else { throw CryptoError("the JWKS document is over \(Self.maxDocumentBytes) bytes") }
        let document: JSONValue
        do { document = try JSONParser.parse(bytes) } catch { throw CryptoError("the JWKS document is not valid JSON: \(error)") }
        guard case .array(let entries)? = document["keys"] else { throw CryptoError("the JWKS document has no \"keys\" array") }
        guard entries.count <= Self.maxKeys else { throw CryptoError("the JWKS document has \(entries.count) keys; the limit is \(Self.maxKeys)") }
        var keys: [String: P256PublicKey] = [:]
        for (position, entry) in entries.enumerated() {
            guard case .object = entry else { throw CryptoError("keys[\(position)] is not an object") }
            guard entry["kty"]?.stringValue == "EC" else { continue }
            guard entry["crv"]?.stringValue == "P-256" else { throw CryptoError("keys[\(position)] is an EC key not on P-256") }
            if let alg = entry["alg"]?.stringValue, alg != "ES256" { throw CryptoError("keys[\(position)] has alg \(alg), not ES256") }
            if let use = entry["use"]?.stringValue, use != "sig" { throw CryptoError("keys[\(position)] has use \(use), not sig") }
            guard let kid = entry["kid"]?.stringValue, !kid.isEmpty, kid.utf8.count <= 256 else {
                throw CryptoError("keys[\(position)] has no kid")
            }
            guard keys[kid] == nil else { throw CryptoError("keys[\(position)] repeats kid \(kid)") }
            guard let x = entry["x"]?.stringValue.flatMap(Base64.decodeURL), let y = entry["y"]?.stringValue.flatMap(Base64.decodeURL) else {
                throw CryptoError("keys[\(position)] needs base64url x and y coordinates")
            }
            do { keys[kid] = try P256PublicKey(x: x, y: y) } catch { throw CryptoError("keys[\(position)] (kid \(kid)): \(error.message)") }
        }
        self.keys = keys
    }
}
