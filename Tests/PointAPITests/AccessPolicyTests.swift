import PointHTTP
import Testing
@testable import PointAPI

@Suite struct AccessPolicyTests {
    @Test func everyAuditorWriteIsRefused() {
        let auditor = Fixture.staff(.auditor, keyId: "auditor-1")
        for area in APIArea.allCases {
            for method in HTTPMethod.allCases where AccessPolicy.isWrite(method) {
                #expect(throws: APIError.self) { try AccessPolicy.authorize(auditor, area: area, method: method) }
            }
        }
        #expect(throws: Never.self) { try AccessPolicy.authorize(auditor, area: .audit, method: .get) }
    }

    @Test func rolesReachOnlyTheirAreas() {
        #expect(AccessPolicy.permits(.merchant, area: .merchant, method: .post))
        #expect(!AccessPolicy.permits(.merchant, area: .admin, method: .get))
        #expect(!AccessPolicy.permits(.merchant, area: .audit, method: .get))
        #expect(AccessPolicy.permits(.reviewer, area: .admin, method: .post))
        #expect(AccessPolicy.permits(.reviewer, area: .audit, method: .get))
        #expect(!AccessPolicy.permits(.reviewer, area: .audit, method: .post))
        #expect(!AccessPolicy.permits(.reviewer, area: .merchant, method: .get))
        #expect(AccessPolicy.permits(.finance, area: .finance, method: .post))
        #expect(!AccessPolicy.permits(.finance, area: .admin, method: .get))
        #expect(!AccessPolicy.permits(.auditor, area: .merchant, method: .get))
    }

    @Test func anotherMerchantsDataIsNotFound() throws {
        let merchant = Fixture.merchant()
        try AccessPolicy.requireOwnership(of: "merchant-a", by: merchant)
        do {
            try AccessPolicy.requireOwnership(of: "merchant-b", by: merchant)
            Issue.record("cross-merchant access allowed")
        } catch {
            #expect(error.status.code == 404)
            #expect(error.code == .notFound)
        }
        try AccessPolicy.requireOwnership(of: "merchant-b", by: Fixture.staff(.reviewer, keyId: "r"))
    }

    @Test func credentialsAreValidated() {
        #expect(throws: CredentialError.self) {
            try Credential(keyId: "k", secret: Fixture.merchantSecret, role: .merchant, environment: .sandbox)
        }
        #expect(throws: CredentialError.self) {
            try Credential(keyId: "k", secret: Fixture.merchantSecret, role: .auditor, merchantId: "m", environment: .sandbox)
        }
        #expect(throws: CredentialError.self) {
            try Credential(keyId: "k", secret: [1, 2, 3], role: .auditor, environment: .sandbox)
        }
        #expect(throws: CredentialError.self) {
            try Credential(keyId: "has space", secret: Fixture.merchantSecret, role: .auditor, environment: .sandbox)
        }
    }

    @Test func storeRefusesDuplicatesAndUnknownKeys() throws {
        let store = try CredentialStore([Fixture.merchant()], capacity: 2)
        #expect(throws: CredentialStoreError.duplicateKeyId("1650000001")) { try store.add(Fixture.merchant()) }
        try store.add(Fixture.staff(.finance, keyId: "finance-1"))
        #expect(throws: CredentialStoreError.full(capacity: 2)) { try store.add(Fixture.staff(.finance, keyId: "finance-2")) }
        #expect(throws: CredentialStoreError.unknownKeyId("nope")) { try store.revoke(keyId: "nope") }
        #expect(throws: CredentialStoreError.self) { try store.rotate(keyId: "finance-1", newSecret: [1]) }
        #expect(store.credential(forKeyId: "finance-1")?.role == .finance)
        #expect(store.count == 2)
    }
}
