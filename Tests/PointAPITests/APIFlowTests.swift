import Foundation
import PointAPI
import PointHTTP
import PointJSON
import PointCrypto
import PointLedger
import Testing

/// The v1 API end to end, in process: signing, roles, allowlists, bindings, grants,
/// revocations and the audit ledger, on the seeded sandbox.
@Suite("API flows on the seeded sandbox")
struct APIFlowTests {
    static func grantBody(_ order: String, member: String = "m-1", scenario: String, points: Int64 = 100) -> JSONValue {
        ["orderId": .string(order), "memberId": .string(member), "scenarioId": .string(scenario), "points": .int(points)]
    }

    @Test("Unsigned, unknown-key, tampered and replayed-nonce requests are refused with 401 and a specific code")
    func authenticationRefusals() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let merchant = api.merchantA
        let unsigned = await api.send(.get, "/v1/scenarios", key: nil, secret: nil)
        #expect(unsigned.status == 401)
        #expect(unsigned.code == "unauthenticated")
        let unknown = await api.send(.get, "/v1/scenarios", key: "1659999999", secret: "whatever-secret")
        #expect(unknown.status == 401)
        #expect(unknown.code == "unknown_key_id")
        let wrongSecret = await api.send(.get, "/v1/scenarios", key: merchant.channelID, secret: "not-the-secret")
        #expect(wrongSecret.status == 401)
        #expect(wrongSecret.code == "signature_mismatch")
        // A body byte flipped after signing.
        let flipped = await api.send(.post, "/v1/grants", json: Self.grantBody("o-flip", scenario: "SCN-000001"), key: merchant.channelID,
                                     secret: merchant.channelSecret) { request in
            if let last = request.body.indices.last { request.body[last] ^= 0x01 }
        }
        #expect(flipped.status == 401)
        #expect(flipped.code == "signature_mismatch")
        let nonce = UUID().uuidString.lowercased()
        let first = await api.send(.get, "/v1/scenarios", key: merchant.channelID, secret: merchant.channelSecret, nonce: nonce)
        #expect(first.status == 200)
        let again = await api.send(.get, "/v1/scenarios", key: merchant.channelID, secret: merchant.channelSecret, nonce: nonce)
        #expect(again.status == 401)
        #expect(again.code == "nonce_replayed")
        // The same UUID in upper case is the same nonce.
        let upper = await api.send(.get, "/v1/scenarios", key: merchant.channelID, secret: merchant.channelSecret, nonce: nonce.uppercased())
        #expect(upper.status == 401 && upper.code == "nonce_replayed")
        #expect(api.application.service.read { $0.grant(merchantID: merchant.register.merchantID, orderID: "o-flip") } == nil)
    }

    @Test("A merchant request from outside its allowlist names the IP, the channel and the environment")
    func allowlistRefusal() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let reply = await api.asMerchant(api.merchantA, .get, "/v1/scenarios", from: "203.0.113.9")
        #expect(reply.status == 403)
        #expect(reply.code == "ip_not_allowed")
        let message = reply.body["message"]?.stringValue ?? ""
        #expect(message.contains("203.0.113.9"))
        #expect(message.contains(api.merchantA.channelID))
        #expect(message.contains("sandbox"))
    }

    @Test("A terminated merchant that went live is held to its production allowlist, not its sandbox one")
    func terminatedMerchantKeepsItsProductionAllowlist() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let merchant = api.merchantA
        let (reviewer, reviewerSecret) = api.staff("reviewer")
        let live = await api.openProduction(merchant, allowedSources: ["203.0.113.0/24"])
        #expect(live.status == 201, "\(live.body)")
        let terminated = await api.send(.post, "/v1/admin/merchants/\(merchant.register.merchantID)/status",
                                        json: ["action": "terminate", "reason": "contract ended"], key: reviewer, secret: reviewerSecret)
        #expect(terminated.status == 200, "\(terminated.body)")
        // 127.0.0.1 is on the sandbox allowlist only.
        let fromSandboxSource = await api.asMerchant(merchant, .get, "/v1/grants", from: "127.0.0.1")
        #expect(fromSandboxSource.status == 403 && fromSandboxSource.code == "ip_not_allowed", "\(fromSandboxSource.body)")
        #expect(fromSandboxSource.body["message"]?.stringValue?.contains("production") == true)
        let fromProductionSource = await api.asMerchant(merchant, .get, "/v1/grants", from: "203.0.113.9")
        #expect(fromProductionSource.status == 200, "a terminated merchant still reads its data: \(fromProductionSource.body)")
        let binding = await api.asMerchant(merchant, .post, "/v1/bindings", json: ["memberId": "m-9", "idToken": .string(api.idToken(for: merchant, user: 9))],
                                           from: "203.0.113.9")
        #expect(binding.status == 403 && binding.code == "merchant_terminated", "\(binding.body)")
    }

    @Test("Bind, grant, replay, conflict, read back, list, and every response carries a request id")
    func grantLifecycle() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let merchant = api.merchantA
        let bound = await api.bind(merchant, member: "m-1", user: 1)
        #expect(bound.status == 201)
        #expect(bound.body["binding"]?["lineUserId"]?.stringValue == APIHarness.lineUser(1))
        #expect(bound.body["receipt"]?["seq"]?.intValue != nil)
        let rebound = await api.bind(merchant, member: "m-1", user: 1)
        #expect(rebound.status == 200)
        #expect(rebound.headers["Idempotent-Replay"] == "true")

        let scenario = api.scenarioID(merchant, purpose: "purchase_cashback")
        #expect(!scenario.isEmpty)
        let granted = await api.asMerchant(merchant, .post, "/v1/grants", json: Self.grantBody("o-1", scenario: scenario))
        #expect(granted.status == 201)
        #expect(granted.body["grant"]?["points"]?.intValue == 100)
        let seq = granted.body["receipt"]?["seq"]?.intValue ?? 0
        #expect(seq > 0)
        #expect(granted.body["receipt"]?["leafHash"]?.stringValue?.count == 64)
        #expect(granted.headers["X-Line-Request-Id"] != nil)

        let replayed = await api.asMerchant(merchant, .post, "/v1/grants", json: Self.grantBody("o-1", scenario: scenario))
        #expect(replayed.status == 200)
        #expect(replayed.headers["Idempotent-Replay"] == "true")
        #expect(replayed.body["receipt"]?["seq"]?.intValue == seq)
        let durable = api.application.service.ledger.durableSeq
        let conflicting = await api.asMerchant(merchant, .post, "/v1/grants", json: Self.grantBody("o-1", scenario: scenario, points: 101))
        #expect(conflicting.status == 409)
        #expect(conflicting.code == "order_id_conflict")
        #expect(api.application.service.ledger.durableSeq == durable)

        let read = await api.asMerchant(merchant, .get, "/v1/grants/o-1")
        #expect(read.status == 200)
        #expect(read.body["grant"]?["orderId"]?.stringValue == "o-1")
        for order in 2...4 {
            _ = await api.asMerchant(merchant, .post, "/v1/grants", json: Self.grantBody("o-\(order)", scenario: scenario, points: Int64(order)))
        }
        let firstPage = await api.asMerchant(merchant, .get, "/v1/grants?limit=3")
        #expect(firstPage.body["grants"]?.arrayValue?.count == 3)
        let cursor = firstPage.body["nextCursor"]?.stringValue ?? ""
        #expect(!cursor.isEmpty)
        let secondPage = await api.asMerchant(merchant, .get, "/v1/grants?limit=3&cursor=\(cursor)")
        #expect(secondPage.body["grants"]?.arrayValue?.count == 1)
        #expect(secondPage.body["nextCursor"]?.isNull == true)
        let byMember = await api.asMerchant(merchant, .get, "/v1/grants?memberId=m-1")
        #expect(byMember.status == 200 && byMember.body["grants"]?.arrayValue?.count == 4)
        // A path ID no record could have is named too (not answered 404).
        for path in ["/v1/grants/" + String(repeating: "o", count: 65), "/v1/grants/o%201", "/v1/bindings/m%201"] {
            let refused = await api.asMerchant(merchant, .get, path)
            #expect(refused.status == 400 && refused.code == "bad_request", "\(path): \(refused.body)")
        }
        // A filter value no grant could ever have is named, not answered with an empty page.
        for (query, property) in [("memberId=m%201", "memberId"), ("lineUserId=bogus", "lineUserId"), ("scenarioId=%25", "scenarioId")] {
            let refused = await api.asMerchant(merchant, .get, "/v1/grants?\(query)")
            #expect(refused.status == 400 && refused.body["details"]?.arrayValue?.first?["property"]?.stringValue == property, "\(query): \(refused.body)")
        }
    }

    @Test("An in-app-only purchase reward goes to review with a statement that it doesn't affect app downloads or ranking, and is refused without")
    func inAppPurchaseStatement() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let merchant = api.defaults.merchants[0]
        let statement = "Coin packs pay for physical deliveries only; they unlock nothing in the app and don't count toward ranking."
        var submission: JSONValue = ["title": "Coin cashback", "purpose": "purchase_cashback", "description": "5% back in LINE POINTS.",
                                     "grantConditions": "A coin pack was paid.", "purchaseChannels": ["in_app"],
                                     "activeFrom": "2026-10-01T00:00:00+08:00", "activeUntil": "2027-10-01T00:00:00+08:00"]
        let refused = await api.asMerchant(merchant, .post, "/v1/scenarios", json: submission)
        #expect(refused.status == 422 && refused.code == "usage_rule_in_app_purchase")
        #expect(refused.body["message"]?.stringValue?.contains("inAppPurchaseStatement") == true)
        if case .object(var members) = submission { members["inAppPurchaseStatement"] = .string(statement); submission = .object(members) }
        let submitted = await api.asMerchant(merchant, .post, "/v1/scenarios", json: submission)
        #expect(submitted.status == 201)
        #expect(submitted.body["scenario"]?["status"]?.stringValue == "submitted")
        #expect(submitted.body["scenario"]?["inAppPurchaseStatement"]?.stringValue == statement)
        let listed = await api.asMerchant(merchant, .get, "/v1/scenarios")
        let scenarios = listed.body["scenarios"]?.arrayValue ?? []
        #expect(scenarios.contains { $0["inAppPurchaseStatement"]?.stringValue == statement })
        #expect(scenarios.contains { $0["inAppPurchaseStatement"] == .null }, "scenarios without one show null")
    }

    @Test("A scenario submission with a submissionId is safe to resend: the same one replays, other content under it conflicts")
    func scenarioSubmissionResend() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let merchant = api.defaults.merchants[0]
        var submission: JSONValue = ["title": "Survey thanks", "purpose": "survey", "description": "10 points for the survey.",
                                     "grantConditions": "Survey completed.", "activeFrom": "2026-10-01T00:00:00+08:00",
                                     "activeUntil": "2027-10-01T00:00:00+08:00", "submissionId": "SUB-2026-001"]
        let first = await api.asMerchant(merchant, .post, "/v1/scenarios", json: submission)
        #expect(first.status == 201)
        #expect(first.headers["Idempotent-Replay"] == nil)
        let scenarioID = try #require(first.body["scenario"]?["scenarioId"]?.stringValue)
        #expect(first.body["scenario"]?["submissionId"]?.stringValue == "SUB-2026-001")
        let durable = api.application.service.ledger.durableSeq
        let again = await api.asMerchant(merchant, .post, "/v1/scenarios", json: submission)
        #expect(again.status == 200)
        #expect(again.headers["Idempotent-Replay"] == "true")
        #expect(again.body["scenario"]?["scenarioId"]?.stringValue == scenarioID)
        #expect(again.body["receipt"]?["seq"] == first.body["receipt"]?["seq"])
        #expect(again.body["receipt"]?["time"] == first.body["receipt"]?["time"])
        #expect(api.application.service.ledger.durableSeq == durable)
        // Other content under the same ID: 409 naming what differs; nothing written.
        if case .object(var members) = submission { members["title"] = "Another survey"; submission = .object(members) }
        let conflict = await api.asMerchant(merchant, .post, "/v1/scenarios", json: submission)
        #expect(conflict.status == 409)
        #expect(conflict.code == "submission_id_conflict")
        #expect(conflict.body["details"]?.arrayValue?.first?["property"]?.stringValue == "title")
        #expect(api.application.service.ledger.durableSeq == durable)
        // The same content under another merchant's identical submissionId is that merchant's own.
        let other = await api.asMerchant(api.defaults.merchants[1], .post, "/v1/scenarios", json: submission)
        #expect(other.status == 201)
        #expect(other.body["scenario"]?["scenarioId"]?.stringValue != scenarioID)
        // A malformed submissionId is refused by field.
        if case .object(var members) = submission { members["submissionId"] = "not valid!"; submission = .object(members) }
        let malformed = await api.asMerchant(merchant, .post, "/v1/scenarios", json: submission)
        #expect(malformed.status == 422 || malformed.status == 400)
        #expect(malformed.body["details"]?.arrayValue?.first?["property"]?.stringValue == "submissionId")
    }

    @Test("A merchant registration sent again replays without replacing the credential the first one issued")
    func registrationResend() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let (key, secret) = api.staff("reviewer")
        let body: JSONValue = ["merchantId": "1650000077", "name": "Resend Co.", "taxId": "04595257", "appliedOn": "2026-10-01",
                               "contractStartDate": "2026-11-01"]
        let first = await api.send(.post, "/v1/admin/merchants", json: body, key: key, secret: secret)
        #expect(first.status == 201)
        let issued = try #require(first.body["credential"]?["secret"]?.stringValue)
        let durable = api.application.service.ledger.durableSeq
        let again = await api.send(.post, "/v1/admin/merchants", json: body, key: key, secret: secret)
        #expect(again.status == 200)
        #expect(again.headers["Idempotent-Replay"] == "true")
        #expect(again.body["credential"]?["keyId"]?.stringValue == "1650000077")
        #expect(again.body["credential"]?["secret"] == nil)
        #expect(again.body["receipt"]?["seq"] == first.body["receipt"]?["seq"])
        #expect(again.body["receipt"]?["time"] == first.body["receipt"]?["time"])
        #expect(api.application.service.ledger.durableSeq == durable)
        // The secret from the first answer still signs the merchant's requests.
        let read = await api.send(.get, "/v1/scenarios", key: "1650000077", secret: issued)
        #expect(read.status != 401)
        var renamed = body
        if case .object(var members) = renamed { members["name"] = "Other Co."; renamed = .object(members) }
        let conflict = await api.send(.post, "/v1/admin/merchants", json: renamed, key: key, secret: secret)
        #expect(conflict.code == "merchant_exists")
        // An environment opening sent again replays; with another Login channel secret it is refused and changes nothing.
        let opening: JSONValue = ["officialAccountId": "@resendtest", "loginChannelId": "2006000077", "linkedLoginChannelId": "2006000077",
                                  "allowedSources": ["127.0.0.1"], "loginChannelSecret": "first-login-secret"]
        let opened = await api.send(.post, "/v1/admin/merchants/1650000077/environments/sandbox", json: opening, key: key, secret: secret)
        #expect(opened.status == 201)
        let reopened = await api.send(.post, "/v1/admin/merchants/1650000077/environments/sandbox", json: opening, key: key, secret: secret)
        #expect(reopened.status == 200)
        #expect(reopened.headers["Idempotent-Replay"] == "true")
        var otherSecret = opening
        if case .object(var members) = otherSecret { members["loginChannelSecret"] = "second-login-secret"; otherSecret = .object(members) }
        let refused = await api.send(.post, "/v1/admin/merchants/1650000077/environments/sandbox", json: otherSecret, key: key, secret: secret)
        #expect(refused.status == 409)
        #expect(refused.code == "login_channel_secret_conflict")
        #expect(api.application.vault.loginChannelSecret("2006000077") == "first-login-secret")
        // With eligibility (production only), a sandbox opening is not a resend of the first.
        var withEligibility = opening
        if case .object(var members) = withEligibility {
            members["eligibility"] = ["kind": "special_approval", "reference": "SP-1", "approvedBy": "R"]
            withEligibility = .object(members)
        }
        let invalid = await api.send(.post, "/v1/admin/merchants/1650000077/environments/sandbox", json: withEligibility, key: key, secret: secret)
        #expect(invalid.code == "environment_already_open")
        #expect(invalid.body["details"]?.arrayValue?.first?["property"]?.stringValue == "eligibility")
    }

    @Test("Refusals name exactly the fields that were wrong or missing, in the details and in the message")
    func refusalsNameTheirFields() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let (reviewer, reviewerSecret) = api.staff("reviewer")
        let merchant = api.merchantA.register.merchantID
        // A withdrawal with the merchant but no note names the note only.
        let noNote = await api.send(.delete, "/v1/admin/revocations/R-1/findings?merchantId=\(merchant)", key: reviewer, secret: reviewerSecret)
        #expect(noNote.status == 400)
        #expect(noNote.body["details"]?.arrayValue?.compactMap { $0["property"]?.stringValue } == ["note"])
        #expect(noNote.body["message"]?.stringValue?.contains("(note missing)") == true)
        let neither = await api.send(.delete, "/v1/admin/revocations/R-1/findings", key: reviewer, secret: reviewerSecret)
        #expect(neither.body["details"]?.arrayValue?.compactMap { $0["property"]?.stringValue } == ["merchantId", "note"])
        // A body with two bad fields: the message counts and names them.
        let invalid = await api.asMerchant(api.merchantA, .post, "/v1/grants",
                                           json: ["orderId": "not valid!", "memberId": "m-1", "scenarioId": "SCN-000001", "points": 0])
        #expect(invalid.status == 422)
        #expect(invalid.body["message"]?.stringValue?.contains("has 2 invalid fields (orderId, points)") == true, "\(invalid.body)")
    }

    @Test("Another merchant's orderIds are simply not found, and its members can't be granted")
    func merchantIsolation() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        await api.bind(api.merchantA, member: "m-1", user: 1)
        let scenario = api.scenarioID(api.merchantA, purpose: "purchase_cashback")
        _ = await api.asMerchant(api.merchantA, .post, "/v1/grants", json: Self.grantBody("shared-order", scenario: scenario))
        let foreign = await api.asMerchant(api.merchantB, .get, "/v1/grants/shared-order")
        #expect(foreign.status == 404 && foreign.code == "grant_not_found")
        let unbound = await api.asMerchant(api.merchantB, .get, "/v1/bindings/m-1")
        #expect(unbound.status == 404 && unbound.code == "binding_not_found", "the same code as unbinding a member that is not bound")
        let foreignRevoke = await api.asMerchant(api.merchantB, .post, "/v1/grants/shared-order/revocations", json: [
            "revocationId": "r-x", "points": 1, "reason": "fraud",
            "evidence": ["fraudKind": "point_theft", "caseReference": "C-1"],
        ])
        #expect(foreignRevoke.status == 404)
        let foreignScenario = await api.asMerchant(api.merchantB, .post, "/v1/grants", json: Self.grantBody("b-1", scenario: scenario))
        #expect(foreignScenario.status == 404 || foreignScenario.status == 422)
        #expect(api.application.service.read { $0.grant(merchantID: api.merchantB.register.merchantID, orderID: "b-1") } == nil)
    }

    @Test("The three permitted revocations succeed with their evidence; any other reason is refused and nothing changes")
    func revocations() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let merchant = api.merchantA
        await api.bind(merchant, member: "m-1", user: 1)
        let scenario = api.scenarioID(merchant, purpose: "purchase_cashback")
        let granted = await api.asMerchant(merchant, .post, "/v1/grants", json: Self.grantBody("o-1", scenario: scenario, points: 100))
        let grantedAt = granted.body["grant"]?["grantedAt"]?.stringValue ?? ""
        let revokeForbidden = await api.asMerchant(merchant, .post, "/v1/grants/o-1/revocations", json: [
            "revocationId": "r-0", "points": 10, "reason": "customer_left",
        ])
        #expect(revokeForbidden.status == 422)
        #expect(revokeForbidden.code == "revocation_reason_not_permitted")
        let mistaken = await api.asMerchant(merchant, .post, "/v1/grants/o-1/revocations", json: [
            "revocationId": "r-1", "points": 10, "reason": "mistaken_issuance",
            "evidence": ["notifiedAt": .string(grantedAt), "channel": "line_message", "message": "We granted 100 points by mistake; 10 are taken back."],
        ])
        #expect(mistaken.body["code"] == nil, "\(mistaken.body)")
        #expect(mistaken.status == 201)
        #expect(mistaken.body["revocation"]?["points"]?.intValue == 10)
        let fraud = await api.asMerchant(merchant, .post, "/v1/grants/o-1/revocations", json: [
            "revocationId": "r-2", "points": 20, "reason": "fraud", "evidence": ["fraudKind": "point_laundering", "caseReference": "CASE-7"],
        ])
        #expect(fraud.status == 201)
        let cancelled = await api.asMerchant(merchant, .post, "/v1/grants/o-1/revocations", json: [
            "revocationId": "r-3", "points": 70, "reason": "purchase_cancelled",
            "evidence": ["cancellation": "refund", "transactionReference": "TX-9"],
        ])
        #expect(cancelled.status == 201)
        let beyond = await api.asMerchant(merchant, .post, "/v1/grants/o-1/revocations", json: [
            "revocationId": "r-4", "points": 1, "reason": "fraud", "evidence": ["fraudKind": "point_theft", "caseReference": "CASE-8"],
        ])
        #expect(beyond.status == 422)
        let replay = await api.asMerchant(merchant, .post, "/v1/grants/o-1/revocations", json: [
            "revocationId": "r-2", "points": 20, "reason": "fraud", "evidence": ["fraudKind": "point_laundering", "caseReference": "CASE-7"],
        ])
        #expect(replay.status == 200)
        #expect(replay.headers["Idempotent-Replay"] == "true")
        let read = await api.asMerchant(merchant, .get, "/v1/grants/o-1")
        #expect(read.body["revocations"]?.arrayValue?.count == 3)
    }

    @Test("Roles: an auditor can read the ledger but every write is refused; a merchant can't reach admin routes")
    func roles() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let (auditorKey, auditorSecret) = api.staff("auditor")
        let write = await api.send(.post, "/v1/admin/scenarios/SCN-000001/reject", json: ["note": "no"], key: auditorKey, secret: auditorSecret)
        #expect(write.status == 403)
        #expect(write.code == "forbidden_role")
        let page = await api.send(.get, "/v1/audit/ledger?fromSeq=1&limit=5", key: auditorKey, secret: auditorSecret)
        #expect(page.status == 200)
        let records = page.body["records"]?.arrayValue ?? []
        #expect(records.count == 5)
        #expect(records.first?["seq"]?.intValue == 1)
        #expect(records.first?["prev"]?.stringValue == String(repeating: "0", count: 64))
        #expect(page.body["nextFromSeq"]?.intValue == 6)
        let merchantAdmin = await api.asMerchant(api.merchantA, .get, "/v1/admin/merchants")
        #expect(merchantAdmin.status == 403)
        let (reviewerKey, reviewerSecret) = api.staff("reviewer")
        let merchants = await api.send(.get, "/v1/admin/merchants", key: reviewerKey, secret: reviewerSecret)
        #expect(merchants.status == 200)
        #expect(merchants.body["merchants"]?.arrayValue?.count == 2)
    }

    @Test("Validation lists every bad field at once with 422; unreadable JSON is 400; nothing is written")
    func validation() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let before = api.application.service.ledger.durableSeq
        let invalid = await api.asMerchant(api.merchantA, .post, "/v1/grants", json: ["orderId": "", "points": -5, "surprise": true])
        #expect(invalid.status == 422)
        #expect(invalid.code == "validation_failed")
        let properties = Set((invalid.body["details"]?.arrayValue ?? []).compactMap { $0["property"]?.stringValue })
        #expect(properties.isSuperset(of: ["orderId", "points", "scenarioId", "surprise"]))
        // Syntax the domain checks is listed beside the reader's own problems, each field once.
        let mixed = await api.asMerchant(api.merchantA, .post, "/v1/grants",
                                         json: ["orderId": "a b", "memberId": "m 1", "scenarioId": "SCN-000001", "points": 0])
        let mixedProperties = (mixed.body["details"]?.arrayValue ?? []).compactMap { $0["property"]?.stringValue }
        #expect(mixed.status == 422 && mixedProperties.sorted() == ["memberId", "orderId", "points"], "\(mixed.body)")
        let emptyMember = await api.asMerchant(api.merchantA, .post, "/v1/grants",
                                               json: ["orderId": "o-1", "memberId": "", "scenarioId": "SCN-000001", "points": 5])
        #expect((emptyMember.body["details"]?.arrayValue ?? []).compactMap { $0["property"]?.stringValue } == ["memberId"], "\(emptyMember.body)")
        let revocation = await api.asMerchant(api.merchantA, .post, "/v1/grants/o-any/revocations", json: [
            "revocationId": "r 1", "points": 1, "reason": "mistaken_issuance",
            "evidence": ["notifiedAt": "yesterday", "channel": "pigeon", "message": ""],
        ])
        let revocationProperties = Set((revocation.body["details"]?.arrayValue ?? []).compactMap { $0["property"]?.stringValue })
        #expect(revocation.status == 422 && revocationProperties == ["revocationId", "evidence.notifiedAt", "evidence.channel", "evidence.message"],
                "\(revocation.body)")
        // Evidence another reason would use is not checked (the domain ignores it): only the
        // missing grant is refused here.
        let stray = await api.asMerchant(api.merchantA, .post, "/v1/grants/o-any/revocations", json: [
            "revocationId": "r-2", "points": 1, "reason": "fraud",
            "evidence": ["fraudKind": "point_theft", "caseReference": "C-1", "channel": "pigeon"],
        ])
        #expect(stray.status == 404 && stray.code == "grant_not_found", "\(stray.body)")
        // Valid JSON numbers that are not whole 64-bit integers are mistyped fields, named.
        for (body, property) in [(#"{"orderId":"o-9","memberId":"m-1","scenarioId":"SCN-000001","points":1.0}"#, "points"),
                                 (#"{"orderId":"o-9","memberId":"m-1","scenarioId":"SCN-000001","points":9223372036854775808}"#, "points")] {
            let mistyped = await api.send(.post, "/v1/grants", raw: Array(body.utf8), key: api.merchantA.channelID, secret: api.merchantA.channelSecret)
            #expect(mistyped.status == 422 && mistyped.code == "validation_failed"
                    && mistyped.body["details"]?.arrayValue?.first?["property"]?.stringValue == property, "\(mistyped.body)")
        }
        let batchBody = #"{"grants":[{"orderId":"o-1","memberId":"m-1","scenarioId":"SCN-000001","points":1},{"orderId":"o-2","memberId":"m-1","scenarioId":"SCN-000001","points":1e3}]}"#
        let mistypedItem = await api.send(.post, "/v1/grants/batch", raw: Array(batchBody.utf8), key: api.merchantA.channelID,
                                          secret: api.merchantA.channelSecret)
        #expect(mistypedItem.status == 422 && mistypedItem.body["details"]?.arrayValue?.first?["property"]?.stringValue == "grants[1].points",
                "\(mistypedItem.body)")
        // A POST's signature covers its body, not a query string: none is taken.
        let withQuery = await api.asMerchant(api.merchantA, .post, "/v1/grants?limit=5",
                                             json: ["orderId": "o-q", "memberId": "m-1", "scenarioId": "SCN-000001", "points": 1])
        #expect(withQuery.status == 400 && withQuery.code == "bad_request" && withQuery.body["details"]?.arrayValue?.first?["property"]?.stringValue == "query",
                "\(withQuery.body)")
        let unreadable = await api.send(.post, "/v1/grants", raw: Array("{\"orderId\":".utf8), key: api.merchantA.channelID,
                                        secret: api.merchantA.channelSecret)
        #expect(unreadable.status == 400)
        #expect(unreadable.code == "malformed_json")
        #expect(api.application.service.ledger.durableSeq == before)
    }

    @Test("A batch answers per item: granted, replayed and refused side by side")
    func batch() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let merchant = api.merchantA
        await api.bind(merchant, member: "m-1", user: 1)
        let scenario = api.scenarioID(merchant, purpose: "purchase_cashback")
        _ = await api.asMerchant(merchant, .post, "/v1/grants", json: Self.grantBody("o-1", scenario: scenario))
        let reply = await api.asMerchant(merchant, .post, "/v1/grants/batch", json: ["grants": [
            Self.grantBody("o-1", scenario: scenario), Self.grantBody("o-2", scenario: scenario),
            Self.grantBody("o-3", member: "nobody", scenario: scenario),
        ]])
        #expect(reply.status == 200)
        let statuses = (reply.body["results"]?.arrayValue ?? []).compactMap { $0["status"]?.stringValue }
        #expect(statuses == ["replayed", "granted", "refused"])
        #expect(reply.body["granted"]?.intValue == 1)
        #expect(reply.body["replayed"]?.intValue == 1)
        #expect(reply.body["refused"]?.intValue == 1)
        let results = reply.body["results"]?.arrayValue ?? []
        #expect(results[2]["error"]?["code"]?.stringValue == "user_not_bound")
        #expect(results[2]["orderId"]?.stringValue == "o-3")
        #expect(results[2]["seq"] == nil)
        // Granted and replayed items are compact: orderId, seq and points, no full grant.
        #expect(results.allSatisfy { $0["grant"] == nil })
        #expect(results.prefix(2).allSatisfy { $0.objectValue.map { Set($0.keys) } == ["index", "status", "orderId", "seq", "points"] })
        let original = await api.asMerchant(merchant, .get, "/v1/grants/o-1")
        #expect(results[0]["seq"] == original.body["grant"]?["seq"])
        #expect(results[0]["orderId"]?.stringValue == "o-1")
        let fresh = await api.asMerchant(merchant, .get, "/v1/grants/o-2")
        #expect(results[1]["seq"] == fresh.body["grant"]?["seq"])
        #expect(results[1]["points"] == fresh.body["grant"]?["points"])
        #expect(reply.body["durableThroughSeq"] == fresh.body["grant"]?["seq"])
        // The batch is counted with its size.
        let metrics = String(decoding: (await api.send(.get, "/metrics", key: nil, secret: nil)).raw, as: UTF8.self)
        #expect(metrics.contains("pointconnect_grant_batch_items_count 1") && metrics.contains("pointconnect_grant_batch_items_sum 3"))
    }

    @Test("An unbinding sent again answers the original unbinding and writes nothing; a member never bound is 404")
    func unbindingSentAgain() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let merchant = api.merchantA
        await api.bind(merchant, member: "m-1", user: 1)
        let first = await api.asMerchant(merchant, .delete, "/v1/bindings/m-1")
        #expect(first.status == 200 && first.headers["Idempotent-Replay"] == nil, "\(first.body)")
        let durable = api.application.service.ledger.durableSeq
        let again = await api.asMerchant(merchant, .delete, "/v1/bindings/m-1")
        #expect(again.status == 200 && again.headers["Idempotent-Replay"] == "true", "\(again.body)")
        #expect(again.body["receipt"]?["seq"] == first.body["receipt"]?["seq"] && again.body["receipt"]?["time"] == first.body["receipt"]?["time"])
        #expect(api.application.service.ledger.durableSeq == durable)
        let never = await api.asMerchant(merchant, .delete, "/v1/bindings/m-404")
        #expect(never.status == 404 && never.code == "binding_not_found")
    }

    @Test("A batch item with a bad value is refused on its own, whichever value it is; the other items are granted")
    func batchValueRefusalsArePerItem() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let merchant = api.merchantA
        await api.bind(merchant, member: "m-1", user: 1)
        let scenario = api.scenarioID(merchant, purpose: "purchase_cashback")
        let maxPoints: Int64 = 10_000_000   // PointsDomain.Limits().maxPointsPerGrant
        let before = api.application.service.ledger.durableSeq
        let reply = await api.asMerchant(merchant, .post, "/v1/grants/batch", json: ["grants": [
            Self.grantBody("v-1", scenario: scenario),
            Self.grantBody("v-2", scenario: scenario, points: 0),
            Self.grantBody(String(repeating: "o", count: 65), scenario: scenario),   // past the 64-character IDs
            Self.grantBody("b2 5", scenario: scenario),
            Self.grantBody("v-5", scenario: scenario, points: maxPoints + 1),
            Self.grantBody("v-6", member: "", scenario: scenario),
            Self.grantBody("", scenario: scenario),
            Self.grantBody("v-8", scenario: scenario),
        ]])
        #expect(reply.status == 200, "\(reply.body)")
        let results = reply.body["results"]?.arrayValue ?? []
        let statuses: [String] = results.compactMap { $0["status"]?.stringValue }
        #expect(statuses == ["granted", "refused", "refused", "refused", "refused", "refused", "refused", "granted"])
        let refusedProperties: [[String]] = results.map { result in
            (result["error"]?["details"]?.arrayValue ?? []).compactMap { $0["property"]?.stringValue }
        }
        #expect(refusedProperties[1] == ["points"] && refusedProperties[2] == ["orderId"] && refusedProperties[3] == ["orderId"])
        #expect(refusedProperties[4] == ["points"] && refusedProperties[5] == ["memberId"] && refusedProperties[6] == ["orderId"])
        #expect(results.dropFirst().prefix(6).allSatisfy { $0["error"]?["code"]?.stringValue == "validation_failed" }, "\(results)")
        #expect(reply.body["granted"]?.intValue == 2 && reply.body["refused"]?.intValue == 6)
        #expect(api.application.service.ledger.durableSeq == before + 2)
        // The shape is still the batch's: a value of the wrong JSON type refuses the whole batch.
        let mistyped = await api.asMerchant(merchant, .post, "/v1/grants/batch", json: ["grants": [
            Self.grantBody("v-9", scenario: scenario), ["orderId": "v-10", "memberId": "m-1", "scenarioId": .string(scenario), "points": .string("5")] as JSONValue,
        ]])
        #expect(mistyped.status == 422 && mistyped.body["details"]?.arrayValue?.first?["property"]?.stringValue == "grants[1].points", "\(mistyped.body)")
        // A number past 64 bits is such a value too, named with the points' own range.
        let huge = #"{"grants":[{"orderId":"v-11","memberId":"m-1","scenarioId":"\#(scenario)","points":99999999999999999999}]}"#
        let tooLarge = await api.send(.post, "/v1/grants/batch", raw: Array(huge.utf8), key: merchant.channelID, secret: merchant.channelSecret)
        #expect(tooLarge.status == 422 && tooLarge.body["details"]?.arrayValue?.first?["message"]?.stringValue?.hasPrefix("must be a whole number from 1 to 10000000") == true,
                "\(tooLarge.body)")
        #expect(api.application.service.ledger.durableSeq == before + 2)
    }

    @Test("A LINE user already bound to another member is refused and logged as a fraud signal; a bad token is refused")
    func bindingRefusals() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let merchant = api.merchantA
        await api.bind(merchant, member: "m-1", user: 1)
        let second = await api.bind(merchant, member: "m-2", user: 1)
        #expect(second.status == 409 || second.status == 422)
        #expect(second.code == "line_user_bound_to_other_member")
        #expect(api.logs.contains { $0.contains("fraud_signal") && $0.contains("m-2") })
        let token = api.idToken(for: api.merchantB, user: 2)  // wrong audience and secret for merchant A
        let wrong = await api.asMerchant(merchant, .post, "/v1/bindings", json: ["memberId": "m-3", "idToken": .string(token)])
        #expect(wrong.status == 422)
        #expect(wrong.body["details"]?.arrayValue?.first?["property"]?.stringValue == "idToken")
        // Neither secrets nor tokens reach the log.
        let joined = api.logs.joined(separator: "\n")
        #expect(!joined.contains(merchant.channelSecret))
        #expect(!joined.contains(token))
        #expect(!joined.contains(merchant.loginChannelSecret))
    }

    @Test("Health, readiness and metrics answer without signing")
    func operational() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let health = await api.send(.get, "/healthz", key: nil, secret: nil)
        #expect(health.status == 200)
        let ready = await api.send(.get, "/readyz", key: nil, secret: nil)
        #expect(ready.status == 200)
        #expect((ready.body["ledgerSeq"]?.intValue ?? 0) > 0)
        #expect(ready.body["now"]?.stringValue?.hasPrefix("2026-10-15T02:00") == true)
        #expect(ready.body["environment"]?.stringValue == "sandbox")
        let unknown = await api.send(.get, "/v1/nothing-here", key: nil, secret: nil)
        #expect(unknown.status == 404)
        #expect(unknown.headers["X-Line-Request-Id"] != nil)
        // Errors the HTTP server answers itself get a fresh request id too.
        var generated = HTTPResponse.error(status: .badRequest, code: "bad_request", message: "malformed")
        api.application.decorateGeneratedResponse(&generated)
        var another = generated
        api.application.decorateGeneratedResponse(&another)
        #expect(generated.headers["X-Line-Request-Id"] != nil)
        #expect(generated.headers["X-Line-Request-Id"] != another.headers["X-Line-Request-Id"])
        // Logged and counted like every other answer.
        let generatedID = generated.headers["X-Line-Request-Id"] ?? "?"
        #expect(api.logs.contains { $0.contains(generatedID) && $0.contains("\"route\":\"http_server\"") && $0.contains("\"status\":400") })
        await api.bind(api.merchantA, member: "m-1", user: 1)
        let metrics = await api.send(.get, "/metrics", key: nil, secret: nil)
        let text = String(decoding: metrics.raw, as: UTF8.self)
        #expect(metrics.status == 200)
        #expect(text.contains("pointconnect_http_requests_total{method=\"POST\",route=\"/v1/bindings\",status=\"201\"} 1"))
        #expect(text.contains("pointconnect_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1"))
        #expect(text.contains("pointconnect_http_requests_total{method=\"-\",route=\"http_server\",status=\"400\"} 2"))
        #expect(text.contains("pointconnect_ledger_fsync_duration_seconds_count"))
        #expect(!text.contains("pointconnect_ledger_commit_records_count 0"))
    }
}
