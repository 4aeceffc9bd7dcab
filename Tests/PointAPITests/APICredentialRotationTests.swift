import Foundation
import PointAPI
import PointHTTP
import PointJSON
import PointCrypto
import PointLedger
import Synchronization
import Testing

/// Credential rotation through the API: the overlap of old and new secrets, one rotation at a
/// time, and the overlap kept across a restart.
@Suite("API credential rotation")
struct APICredentialRotationTests {
    @Test("Credential rotation: the new secret works, the old one keeps working for a day; unknown fields and terminated merchants are refused")
    func credentialRotation() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let (reviewer, reviewerSecret) = api.staff("reviewer")
        let merchant = api.merchantA
        let path = "/v1/admin/merchants/\(merchant.register.merchantID)/credentials/rotate"
        let unknownField = await api.send(.post, path, json: ["force": true], key: reviewer, secret: reviewerSecret)
        #expect(unknownField.status == 422)
        #expect(unknownField.body["details"]?.arrayValue?.first?["property"]?.stringValue == "force")
        #expect(await api.asMerchant(merchant, .get, "/v1/scenarios").status == 200)

        // A UUID v4 nonce is refused: the answer carries a secret, so the request must expire.
        let untimed = await api.send(.post, path, key: reviewer, secret: reviewerSecret)
        #expect(untimed.status == 400)
        #expect(untimed.code == "nonce_without_time")
        #expect(untimed.body["details"]?.arrayValue?.first?["property"]?.stringValue == "X-LINE-Authorization-Nonce")
        let rotated = await api.send(.post, path, key: reviewer, secret: reviewerSecret, nonce: api.timedNonce())
        #expect(rotated.status == 200)
        let newSecret = rotated.body["secret"]?.stringValue ?? ""
        #expect(!newSecret.isEmpty && newSecret != merchant.channelSecret)
        #expect(await api.send(.get, "/v1/scenarios", key: merchant.channelID, secret: newSecret).status == 200)
        #expect(await api.asMerchant(merchant, .get, "/v1/scenarios").status == 200)
        // The rotation is in the ledger, answered with its receipt; the secret is not.
        let seq = try #require(rotated.body["receipt"]?["seq"]?.intValue)
        let (auditorKey, auditorSecret) = api.staff("auditor")
        let page = await api.send(.get, "/v1/audit/ledger?fromSeq=\(seq)&limit=1", key: auditorKey, secret: auditorSecret)
        let record = try #require(page.body["records"]?.arrayValue?.first)
        #expect(record["type"]?.stringValue == "merchant.credential_rotated")
        #expect(record["data"]?["merchantId"]?.stringValue == merchant.register.merchantID)
        #expect(record["data"]?["previousSecretValidUntil"] == rotated.body["previousSecretValidUntil"])
        #expect(!String(decoding: CanonicalJSON.encode(page.body), as: UTF8.self).contains(newSecret))

        let terminated = await api.send(.post, "/v1/admin/merchants/\(merchant.register.merchantID)/status",
                                        json: ["action": "terminate", "reason": "contract ended"], key: reviewer, secret: reviewerSecret)
        #expect(terminated.status == 200)
        let refused = await api.send(.post, path, key: reviewer, secret: reviewerSecret, nonce: api.timedNonce())
        #expect(refused.status == 403)
        #expect(refused.code == "merchant_terminated")
        #expect(await api.send(.get, "/v1/scenarios", key: merchant.channelID, secret: newSecret).status == 200)
        #expect(await api.send(.get, "/v1/audit/ledger?fromSeq=\(seq + 2)&limit=1", key: auditorKey, secret: auditorSecret)
            .body["records"]?.arrayValue?.isEmpty == true, "a refused rotation writes nothing")
    }

    @Test("One rotation of a merchant's credential at a time: a second, while the first waits for the disk, is refused with 409")
    func rotationsOneAtATime() async throws {
        let disk = SyncHoldingFileSystem()
        let api = try await APIHarness(fileSystem: disk)
        defer { api.close() }
        let (reviewer, reviewerSecret) = api.staff("reviewer")
        let path = "/v1/admin/merchants/\(api.merchantA.register.merchantID)/credentials/rotate"
        let before = api.application.service.ledger.enqueuedSeq
        disk.hold()
        let first = Task { await api.send(.post, path, key: reviewer, secret: reviewerSecret, nonce: api.timedNonce()) }
        try await api.waitUntilEnqueued(beyond: before)
        let second = await api.send(.post, path, key: reviewer, secret: reviewerSecret, nonce: api.timedNonce())
        #expect(second.status == 409 && second.code == "rotation_in_progress", "\(second.body)")
        disk.release()
        let firstAnswer = await first.value
        #expect(firstAnswer.status == 200)
        let third = await api.send(.post, path, key: reviewer, secret: reviewerSecret, nonce: api.timedNonce())
        #expect(third.status == 200)
        let newest = third.body["secret"]?.stringValue ?? ""
        #expect(await api.send(.get, "/v1/scenarios", key: api.merchantA.channelID, secret: newest).status == 200)
        #expect(await api.asMerchant(api.merchantA, .get, "/v1/scenarios").status == 200, "earlier secrets stay for their day")
        // A leaked secret: end every earlier one at once.
        let cut = await api.send(.post, path, json: ["endPreviousSecrets": true], key: reviewer, secret: reviewerSecret, nonce: api.timedNonce())
        #expect(cut.status == 200)
        #expect(await api.asMerchant(api.merchantA, .get, "/v1/scenarios").status == 401)
        #expect(await api.send(.get, "/v1/scenarios", key: api.merchantA.channelID, secret: newest).status == 401)
        #expect(await api.send(.get, "/v1/scenarios", key: api.merchantA.channelID, secret: cut.body["secret"]?.stringValue ?? "").status == 200)
    }

    @Test("A rotation's overlap survives a restart: the vault keeps the earlier secrets and their ends, the service restores them")
    func rotationOverlapSurvivesARestart() throws {
        let directory = NSTemporaryDirectory() + "rotation-restart-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let nowMillis = Int64(Date().timeIntervalSince1970 * 1_000)
        let vault = try CredentialVault(path: ServiceAssembly.vaultPath(dataDirectory: directory))
        try vault.store(CredentialVault.StoredCredential(keyID: "1650000001", secret: "current-secret-0123456789abcdef", role: .merchant,
                                                         merchantID: "1650000001", previous: [
                                                             .init(secret: "expired-secret-0123456789abcdef", validUntil: nowMillis - 1_000),
                                                             .init(secret: "earlier-secret-0123456789abcdef", validUntil: nowMillis + 3_600_000),
                                                         ]))
        #expect(try CredentialVault(path: ServiceAssembly.vaultPath(dataDirectory: directory)).allCredentials.first?.previous.count == 2)
        let application = try ServiceAssembly.production(dataDirectory: directory, jwks: nil, trustedProxies: IPAllowlist(networks: [])) { _ in }
        defer { application.service.close() }
        let accepted = application.authenticator.credentials.verificationSecrets(forKeyId: "1650000001", at: nowMillis)?.secrets.all
            .map { String(decoding: $0, as: UTF8.self) }
        #expect(accepted == ["current-secret-0123456789abcdef", "earlier-secret-0123456789abcdef"])
    }

    @Test("A merchant can't be registered, nor its credential rotated, over a staff key id: the staff key keeps its role and secret")
    func merchantIdOverAStaffKeyId() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let (reviewer, reviewerSecret) = api.staff("reviewer")
        // A finance key from before staff key ids of a merchant id's form were refused.
        let staffSecret = "older-finance-secret-0123456789"
        try api.application.authenticator.credentials.add(
            Credential(keyId: "2000000001", secret: Array(staffSecret.utf8), role: .finance, environment: .sandbox))
        let before = api.application.service.ledger.enqueuedSeq
        let registered = await api.send(.post, "/v1/admin/merchants", json: [
            "merchantId": "2000000001", "name": "Takeover Co.", "taxId": "04595257", "appliedOn": "2026-10-01", "contractStartDate": "2026-11-01",
        ], key: reviewer, secret: reviewerSecret)
        #expect(registered.status == 409 && registered.code == "key_id_in_use", "\(registered.body)")
        #expect(registered.body["details"]?.arrayValue?.first?["property"]?.stringValue == "merchantId")
        #expect(!String(decoding: registered.raw, as: UTF8.self).contains("secret\""), "no secret is issued")
        let rotated = await api.send(.post, "/v1/admin/merchants/2000000001/credentials/rotate", key: reviewer, secret: reviewerSecret,
                                     nonce: api.timedNonce())
        #expect(rotated.status == 409 && rotated.code == "key_id_in_use", "\(rotated.body)")
        #expect(api.application.service.ledger.enqueuedSeq == before, "nothing was written")
        let asFinance = await api.send(.get, "/v1/finance/invoices?month=2026-10", key: "2000000001", secret: staffSecret)
        #expect(asFinance.status == 200, "the staff key still signs with its own secret: \(asFinance.body)")
    }

    @Test("A rotation request replayed after a restart, inside its window, is refused: the vault remembers its nonce")
    func rotationReplayedAfterARestart() async throws {
        let first = try await APIHarness()
        let (reviewer, reviewerSecret) = first.staff("reviewer")
        let path = "/v1/admin/merchants/\(first.merchantA.register.merchantID)/credentials/rotate"
        let nonce = first.timedNonce()
        let rotated = await first.send(.post, path, key: reviewer, secret: reviewerSecret, nonce: nonce)
        #expect(rotated.status == 200, "\(rotated.body)")
        first.stop()

        let reopened = try await APIHarness(directory: first.directory)
        defer { reopened.close() }
        let before = reopened.application.service.ledger.enqueuedSeq
        let replayed = await reopened.send(.post, path, key: reviewer, secret: reviewerSecret, nonce: nonce)
        #expect(replayed.status == 401 && replayed.code == "nonce_replayed", "\(replayed.body)")
        #expect(reopened.application.service.ledger.enqueuedSeq == before, "no second rotation is recorded")
        let fresh = await reopened.send(.post, path, key: reviewer, secret: reviewerSecret, nonce: reopened.timedNonce())
        #expect(fresh.status == 200, "a newly signed rotation is accepted: \(fresh.body)")
    }

    @Test("A rotation sent while the merchant's registration waits for the disk is refused with 409; the registration's secret stays in force")
    func rotationDuringRegistration() async throws {
        let disk = SyncHoldingFileSystem()
        let api = try await APIHarness(fileSystem: disk)
        defer { api.close() }
        let (reviewer, reviewerSecret) = api.staff("reviewer")
        let merchantID = "1650000088"
        let before = api.application.service.ledger.enqueuedSeq
        disk.hold()
        let registration = Task {
            await api.send(.post, "/v1/admin/merchants", json: [
                "merchantId": .string(merchantID), "name": "Late Answer Co.", "taxId": "04595257", "appliedOn": "2026-10-01",
                "contractStartDate": "2026-11-01",
            ], key: reviewer, secret: reviewerSecret)
        }
        try await api.waitUntilEnqueued(beyond: before)
        // Refused at once; a rotation that went ahead would wait for the held disk instead.
        let rotationTask = Task {
            await api.send(.post, "/v1/admin/merchants/\(merchantID)/credentials/rotate", key: reviewer, secret: reviewerSecret,
                           nonce: api.timedNonce())
        }
        let answered = Mutex(false)
        let watcher = Task { _ = await rotationTask.value; answered.withLock { $0 = true } }
        for _ in 0..<400 where !answered.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        #expect(answered.withLock { $0 }, "the rotation was not refused while the registration waited for the disk")
        disk.release()
        _ = await watcher.value
        let rotation = await rotationTask.value
        #expect(rotation.status == 409 && rotation.code == "rotation_in_progress", "\(rotation.body)")
        let registered = await registration.value
        #expect(registered.status == 201, "\(registered.body)")
        let secret = try #require(registered.body["credential"]?["secret"]?.stringValue)
        #expect(api.application.authenticator.credentials.credential(forKeyId: merchantID)?.secret == Array(secret.utf8))
    }
}
