import PointHTTP
import PointJSON
@testable import PointAPI

/// Shared fixtures for the PointAPI tests.
enum Fixture {
    static let merchantSecret = Array("a917ab6a2367b536f8e5a6e2977e06f4".utf8)
    static let otherSecret = Array("0123456789abcdef0123456789abcdef".utf8)
    /// 2026-10-15T02:00:00Z.
    static let now: Int64 = 1_792_029_600_000

    static func merchant(keyId: String = "1650000001", merchantId: String = "merchant-a", secret: [UInt8] = merchantSecret) -> Credential {
        // Valid by construction; a failure here is a broken fixture.
        try! Credential(keyId: keyId, secret: secret, role: .merchant, merchantId: merchantId, environment: .sandbox)
    }

    static func staff(_ role: CallerRole, keyId: String) -> Credential {
        try! Credential(keyId: keyId, secret: otherSecret, role: role, environment: .sandbox)
    }

    static func parse(_ bytes: [UInt8]) -> JSONValue? { try? JSONParser.parse(bytes) }
}
