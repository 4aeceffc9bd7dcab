import PointJSON

/// A JWS compact serialization (RFC 7515 §7.1) split and decoded, not yet verified.
public struct JSONWebToken: Sendable {
    /// The longest token accepted.
    public static let maxTokenBytes = 8 * 1024

    public let header: JSONValue
    public let payload: JSONValue
    /// ASCII(BASE64URL(header) ‖ "." ‖ BASE64URL(payload)): the bytes the signature covers.
    public let signingInput: [UInt8]
    public let signature: [UInt8]

    /// `alg` of the header.
    public var algorithm: String? { header["alg"]?.stringValue }
    /// `kid` of the header.
    public var keyID: String? { header["kid"]?.stringValue }

    /// Why a token could not be split and decoded.
    public enum ParseFailure: Error, Sendable, Equatable {
        case tooLong
        case notThreeParts
        case badBase64(part: String)
        case badJSON(part: String)
    }

    /// Splits and decodes `token`; the JSON of header and payload goes through the strict parser.
    public init(compact token: String) throws(ParseFailure) {
        let bytes = Array(token.utf8)
        guard bytes.count <= Self.maxTokenBytes else { throw .tooLong }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else { throw .notThreeParts }
        func decode(_ part: ArraySlice<UInt8>, _ name: String) throws(ParseFailure) -> [UInt8] {
            guard let decoded = Base64.decodeURL(String(decoding: part, as: UTF8.self)) else { throw .badBase64(part: name) }
            return decoded
        }
        let headerBytes = try decode(parts[0], "header")
        let payloadBytes = try decode(parts[1], "payload")
        let signature = try decode(parts[2], "signature")
        let limits = JSONLimits(maxBytes: Self.maxTokenBytes, maxDepth: 8, maxContainerCount: 64)
        let header: JSONValue
        let payload: JSONValue
        do { header = try JSONParser.parse(headerBytes, limits: limits) } catch { throw .badJSON(part: "header") }
        do { payload = try JSONParser.parse(payloadBytes, limits: limits) } catch { throw .badJSON(part: "payload") }
        guard case .object = header else { throw .badJSON(part: "header") }
        guard case .object = payload else { throw .badJSON(part: "payload") }
        self.header = header
        self.payload = payload
        self.signingInput = Array(bytes[0..<(parts[0].count + 1 + parts[1].count)])
        self.signature = signature
    }
}
