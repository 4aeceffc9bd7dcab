import PointCore
import PointCrypto
import PointHTTP
import PointJSON

/// `/v1/admin/…`: onboarding, scenario review, compliance findings, credential rotation.
extension APIApplication {
    func adminListMerchants() -> HTTPResponse {
        let merchants = service.read { $0.allMerchants }
        return Self.json(["merchants": .array(merchants.map(DomainRepresentations.merchant))])
    }

    func adminGetMerchant(_ context: Context) throws(APIError) -> HTTPResponse {
        guard let merchant = service.read({ $0.merchant(context.parameter("merchantId")) }) else {
            throw .notFound("No merchant \(context.parameter("merchantId")).")
        }
        return Self.json(["merchant": DomainRepresentations.merchant(merchant)])
    }

    /// Registers a merchant and issues its API credential (key id = its POINT Connect channel
    /// ID). The secret is shown once, here; it is kept in the vault, never in the ledger.
    func adminCreateMerchant(_ context: Context) async throws(APIError) -> HTTPResponse {
        let body = try JSONObjectReader.parse(context.request.body)
        let command = RegisterMerchantCommand(
            merchantID: body.requiredString("merchantId", maxLength: 10, charset: .digits),
            name: body.requiredString("name", maxLength: PointsDomain.maxNameLength),
            taxID: body.requiredString("taxId", maxLength: 8, charset: .digits),
            appliedOn: body.requiredString("appliedOn", maxLength: 10),
            contractStartDate: body.requiredString("contractStartDate", maxLength: 10),
            unitPriceTenths: body.optionalInteger("unitPriceTenths", in: 1...1_000).map { Int($0) })
        try body.finish()
        try refuseStaffKeyId(command.merchantID)
        // The credential's turn: a rotation sent meanwhile (the documented answer to a lost
        // registration answer) waits for it, so neither secret replaces the other unseen.
        try takeCredentialTurn(command.merchantID, for: "registration")
        defer { finishCredentialTurn(command.merchantID) }
        let receipt = try await execute { domain, _ throws(DomainError) in try domain.decide(command) }
        // A resent registration never issues a credential (its secret was shown once, in the
        // first answer): rotating the credential issues a new one, one rotation at a time.
        var credential: JSONValue = ["keyId": .string(command.merchantID)]
        if !receipt.isReplay {
            credential = ["keyId": .string(command.merchantID), "secret": .string(try issueCredential(merchantID: command.merchantID))]
        }
        guard let merchant = service.read({ $0.merchant(command.merchantID) }) else { throw .notFound() }
        return Self.json(["merchant": DomainRepresentations.merchant(merchant), "receipt": self.receipt(receipt), "credential": credential],
                         status: receipt.isReplay ? .ok : .created, replay: receipt.isReplay)
    }

    /// Refuses a merchant id that is the key id of a staff credential: a merchant's key id is
    /// its id, so registering it, or rotating "its" credential, would hand a reviewer a secret
    /// signing with that staff role. (New staff key ids of a merchant id's form are refused where
    /// they are issued; older vaults and configurations may still hold one.)
    private func refuseStaffKeyId(_ merchantID: String) throws(APIError) {
        guard let existing = authenticator.credentials.credential(forKeyId: merchantID), existing.role != .merchant else { return }
        throw APIError(status: .conflict, code: APIErrorCode("key_id_in_use"),
                       message: "Key id \(merchantID) belongs to a \(existing.role.rawValue) credential, and a merchant's key id is its merchant id; nothing was changed. Reissue that staff key under another key id (pointconnect credentials issue) before registering merchant \(merchantID).",
                       details: [APIErrorDetail(property: "merchantId", message: "is the key id of a \(existing.role.rawValue) credential")])
    }

    /// Takes the merchant's turn for a write that stores secrets beside its record (registration,
    /// environment opening, rotation): one at a time per merchant, the others refused with 409
    /// `rotation_in_progress` to retry once it has answered.
    private func takeCredentialTurn(_ merchantID: String, for operation: String) throws(APIError) {
        guard rotationsInProgress.withLock({ $0.insert(merchantID).inserted }) else {
            throw APIError(status: .conflict, code: APIErrorCode("rotation_in_progress"),
                           message: "A registration, environment opening or credential rotation of merchant \(merchantID) is in progress; this \(operation) was not made — retry once that one has answered.")
        }
    }

    private func finishCredentialTurn(_ merchantID: String) {
        _ = rotationsInProgress.withLock { $0.remove(merchantID) }
    }

    private func issueCredential(merchantID: String) throws(APIError) -> String {
        do {
            let secret = try CredentialVault.newSecret()
            let credential = try Credential(keyId: merchantID, secret: Array(secret.utf8), role: .merchant, merchantId: merchantID, environment: deployment)
            try vault.store(CredentialVault.StoredCredential(keyID: merchantID, secret: secret, role: .merchant, merchantID: merchantID))
            if authenticator.credentials.credential(forKeyId: merchantID) == nil {
                try authenticator.credentials.add(credential)
            } else {
                _ = try authenticator.credentials.rotate(keyId: merchantID, newSecret: Array(secret.utf8))
            }
            return secret
        } catch {
            throw .unavailable("The merchant is registered but its credential could not be stored (\(error)); rotate the credential (POST /v1/admin/merchants/\(merchantID)/credentials/rotate) to issue one.")
        }
    }

    func adminOpenEnvironment(_ context: Context) async throws(APIError) -> HTTPResponse {
        let merchantID = context.parameter("merchantId")
        guard let environment = MerchantEnvironment(rawValue: context.parameter("environment")) else {
            throw .notFound("Environments are sandbox and production.")
        }
        let body = try JSONObjectReader.parse(context.request.body)
        let officialAccountID = body.requiredString("officialAccountId", maxLength: 21)
        let loginChannelID = body.requiredString("loginChannelId", maxLength: 10, charset: .digits)
        let linkedLoginChannelID = body.requiredString("linkedLoginChannelId", maxLength: 10, charset: .digits)
        let loginChannelSecret = body.optionalString("loginChannelSecret", maxLength: 128)
        let sources = body.requiredArray("allowedSources", maxCount: EnvironmentAccess.maxAllowedSources) { $0.string(maxLength: 49) }
        let eligibility = body.optionalObject("eligibility") { eligibility -> ProductionEligibility? in
            switch eligibility.requiredString("kind", maxLength: 32) {
            case "messaging_spend":
                let months = eligibility.requiredArray("months", maxCount: 12) { item in
                    item.object { month in
                        MonthlySpend(month: month.requiredString("month", maxLength: 7), amount: Int(month.requiredInteger("amount", in: 0...1_000_000_000_000)))
                    }
                }
                return .messagingSpend(months)
            case "special_approval":
                return .specialApproval(reference: eligibility.requiredString("reference", maxLength: 64),
                                        approvedBy: eligibility.requiredString("approvedBy", maxLength: PointsDomain.maxNameLength))
            default:
                eligibility.reject("kind", "must be messaging_spend or special_approval")
                return nil
            }
        } ?? nil
        try body.finish()
        let command = OpenEnvironmentCommand(merchantID: merchantID, environment: environment, officialAccountID: officialAccountID,
                                             loginChannelID: loginChannelID, linkedLoginChannelID: linkedLoginChannelID,
                                             allowedSources: sources, eligibility: eligibility)
        try Self.checkAllowlist(sources)
        // One opening of a merchant's environment at a time, so two resends with different Login
        // channel secrets can't both be acknowledged (the second sees the first's stored secret).
        try takeCredentialTurn(merchantID, for: "environment opening")
        defer { finishCredentialTurn(merchantID) }
        let receipt = try await execute { domain, _ throws(DomainError) in try domain.decide(command) }
        if receipt.isReplay, let loginChannelSecret, let stored = vault.loginChannelSecret(loginChannelID), stored != loginChannelSecret {
            throw APIError(status: .conflict, code: .loginChannelSecretConflict,
                           message: "The \(environment.rawValue) environment is already open with another LINE Login channel secret for channel \(loginChannelID); nothing changed. A resend must carry the same secret.")
        }
        if let loginChannelSecret {
            do { try vault.storeLoginChannelSecret(loginChannelSecret, channelID: loginChannelID) } catch {
                throw .unavailable("The environment is open but the LINE Login channel secret could not be stored (\(error)); send it again.")
            }
        }
        guard let merchant = service.read({ $0.merchant(merchantID) }) else { throw .notFound() }
        return Self.json(["merchant": DomainRepresentations.merchant(merchant), "receipt": self.receipt(receipt)],
                         status: receipt.isReplay ? .ok : .created, replay: receipt.isReplay)
    }

    /// Parses allowlist entries exactly (the domain checks only their shape).
    static func checkAllowlist(_ sources: [String]) throws(APIError) {
        do throws(IPNetworkError) { _ = try IPAllowlist(sources) } catch {
            throw APIError.validationFailed([APIErrorDetail(property: "allowedSources", message: error.description)])
        }
    }

    func adminUpdateAllowlist(_ context: Context) async throws(APIError) -> HTTPResponse {
        let merchantID = context.parameter("merchantId")
        guard let environment = MerchantEnvironment(rawValue: context.parameter("environment")) else {
            throw .notFound("Environments are sandbox and production.")
        }
        let body = try JSONObjectReader.parse(context.request.body)
        let sources = body.requiredArray("allowedSources", maxCount: EnvironmentAccess.maxAllowedSources) { $0.string(maxLength: 49) }
        try body.finish()
        try Self.checkAllowlist(sources)
        let receipt = try await execute { domain, _ throws(DomainError) in
            try domain.decide(merchantID: merchantID, environment: environment, allowedSources: sources)
        }
        guard let merchant = service.read({ $0.merchant(merchantID) }) else { throw .notFound() }
        return Self.json(["merchant": DomainRepresentations.merchant(merchant), "receipt": self.receipt(receipt)], replay: receipt.isReplay)
    }

    func adminChangeStatus(_ context: Context) async throws(APIError) -> HTTPResponse {
        let merchantID = context.parameter("merchantId")
        let body = try JSONObjectReader.parse(context.request.body)
        let action = body.requiredEnum("action", as: MerchantStatusChange.self)
        let reason = body.requiredString("reason", maxLength: PointsDomain.maxNoteLength)
        try body.finish()
        guard let action else { throw .validationFailed([APIErrorDetail(property: "action", message: "must be suspend, reinstate or terminate")]) }
        let receipt = try await execute { domain, _ throws(DomainError) in try domain.decide(merchantID: merchantID, statusChange: action, note: reason) }
        guard let merchant = service.read({ $0.merchant(merchantID) }) else { throw .notFound() }
        return Self.json(["merchant": DomainRepresentations.merchant(merchant), "receipt": self.receipt(receipt)], replay: receipt.isReplay)
    }

    /// Issues a new secret for a merchant's key id; the previous secret keeps working for 24
    /// hours so the merchant can deploy the new one. The rotation is recorded in the ledger
    /// first (`merchant.credential_rotated`, without the secret) and answered with its receipt;
    /// only then is the new secret stored and put in force.
    func adminRotateCredential(_ context: Context) async throws(APIError) -> HTTPResponse {
        // The body is optional: `{}`, or `{"endPreviousSecrets": true}` to stop every earlier
        // secret at once (a leaked one) instead of keeping it for 24 hours.
        let merchantID = context.parameter("merchantId")
        var endPrevious = false
        if !context.request.body.isEmpty {
            let body = try JSONObjectReader.parse(context.request.body)
            endPrevious = body.optionalBool("endPreviousSecrets") ?? false
            try body.finish()
        }
        // The answer carries a new secret, so the request must not be replayable later: a UUID v4
        // nonce is only remembered for the replay window, a nonce with a time is refused after it.
        let nonce = context.request.headers[RequestSignature.nonceHeader].flatMap(RequestNonce.init)
        guard let nonce, nonce.unixMilliseconds != nil else {
            throw APIError(status: .badRequest, code: .nonceWithoutTime,
                           message: "A credential rotation answers with a new secret, so it must be signed with a nonce that carries its time — a Unix time in seconds or milliseconds, or a UUID v1 — which is refused once the replay window has passed; a UUID v4 nonce could be replayed after it. Sign it again with such a nonce (pointconnect sign --nonce $(date +%s%3N)).",
                           details: [APIErrorDetail(property: RequestSignature.nonceHeader, message: "must be a Unix time or a UUID v1 for this request")])
        }
        try refuseStaffKeyId(merchantID)
        try takeCredentialTurn(merchantID, for: "credential rotation")
        defer { finishCredentialTurn(merchantID) }
        let secret: String
        do { secret = try CredentialVault.newSecret() } catch {
            throw .unavailable("A new secret could not be generated (\(error)); nothing changed, try again.")
        }
        let graceMicros: Int64 = endPrevious ? 0 : 24 * 3_600_000_000
        var validUntil: Int64 = 0
        let receipt = try await execute { domain, now throws(DomainError) in
            validUntil = now + graceMicros
            return try domain.decide(credentialRotationOf: merchantID, previousSecretValidUntil: validUntil)
        }
        // In force first, then stored with the earlier secrets still in their overlap (so a
        // restart keeps them); a store that fails puts the credential in memory back as it was.
        let credentials = authenticator.credentials
        let before = credentials.credential(forKeyId: merchantID)
        let previousBefore = credentials.previousSecrets(keyId: merchantID)
        do {
            if before == nil {
                try credentials.add(Credential(keyId: merchantID, secret: Array(secret.utf8), role: .merchant, merchantId: merchantID, environment: deployment))
            } else {
                _ = try credentials.rotate(keyId: merchantID, newSecret: Array(secret.utf8), previousSecretValidUntil: endPrevious ? nil : validUntil / 1_000)
            }
        } catch {
            throw .unavailable("The rotation was recorded (ledger seq \(receipt.seq)) but the new secret could not be put in force (\(error)); the current secret stays in force. Rotate again.")
        }
        let kept = credentials.previousSecrets(keyId: merchantID).map {
            CredentialVault.StoredCredential.PreviousSecret(secret: String(decoding: $0.secret, as: UTF8.self), validUntil: $0.validUntil)
        }
        do {
            // The request's nonce is remembered with the secret, so a restart can't make it new again.
            let remembered = nonce.unixMilliseconds.flatMap { time in
                context.credential.map { CredentialVault.RememberedNonce(keyID: $0.keyId, nonce: nonce.replayKey,
                                                                         until: time + authenticator.timestampWindowMilliseconds) }
            }
            try vault.store(CredentialVault.StoredCredential(keyID: merchantID, secret: secret, role: .merchant, merchantID: merchantID, previous: kept),
                            remembering: remembered)
        } catch {
            if let before {
                _ = try? credentials.rotate(keyId: merchantID, newSecret: before.secret, previousSecretValidUntil: nil)
                try? credentials.restorePrevious(keyId: merchantID, secrets: previousBefore)
            } else {
                try? credentials.revoke(keyId: merchantID)
            }
            throw .unavailable("The rotation was recorded (ledger seq \(receipt.seq)) but the new secret could not be stored (\(error)); the current secret stays in force. Rotate again.")
        }
        return Self.json(["keyId": .string(merchantID), "secret": .string(secret),
                          "previousSecretValidUntil": .string(CivilTime.formatUTC(validUntil)), "receipt": self.receipt(receipt)])
    }

    func adminListScenarios(_ context: Context) throws(APIError) -> HTTPResponse {
        let query = try Self.query(context.request, allowed: ["status", "merchantId"])
        var status: ScenarioStatus?
        if let text = query["status"] {
            guard let parsed = ScenarioStatus(rawValue: text) else {
                throw .badRequest("status must be submitted, approved or rejected.", details: [APIErrorDetail(property: "status", message: "unknown status")])
            }
            status = parsed
        }
        let scenarios = service.read { domain in
            domain.allMerchants.filter { query["merchantId"] == nil || $0.id == query["merchantId"] }
                .flatMap { domain.scenarios(merchantID: $0.id) }
                .filter { status == nil || $0.status == status }
        }
        return Self.json(["scenarios": .array(scenarios.map(DomainRepresentations.scenario))])
    }

    func adminReviewScenario(_ context: Context, approve: Bool) async throws(APIError) -> HTTPResponse {
        let scenarioID = context.parameter("scenarioId")
        let body = try JSONObjectReader.parse(context.request.body)
        let note = body.requiredString(approve ? "note" : "reason", maxLength: PointsDomain.maxNoteLength)
        try body.finish()
        let receipt = try await execute { domain, _ throws(DomainError) in try domain.decide(reviewOf: scenarioID, approve: approve, note: note) }
        guard let scenario = service.read({ $0.scenario(scenarioID) }) else { throw .notFound() }
        return Self.json(["scenario": DomainRepresentations.scenario(scenario), "receipt": self.receipt(receipt)], replay: receipt.isReplay)
    }

    /// POST records a non-compliance finding (body: merchantId, note); DELETE withdraws it
    /// (query: merchantId, note).
    func adminFinding(_ context: Context, record: Bool) async throws(APIError) -> HTTPResponse {
        let revocationID = context.parameter("revocationId")
        let merchantID: String
        let note: String
        if record {
            let body = try JSONObjectReader.parse(context.request.body)
            merchantID = body.requiredString("merchantId", maxLength: 10, charset: .digits)
            note = body.requiredString("note", maxLength: PointsDomain.maxNoteLength)
            try body.finish()
        } else {
            let query = try Self.query(context.request, allowed: ["merchantId", "note"])
            var missing: [APIErrorDetail] = []
            if (query["merchantId"] ?? "").isEmpty { missing.append(APIErrorDetail(property: "merchantId", message: "is required")) }
            if (query["note"] ?? "").isEmpty { missing.append(APIErrorDetail(property: "note", message: "is required: say why the finding is withdrawn")) }
            guard missing.isEmpty, let givenMerchant = query["merchantId"], let givenNote = query["note"] else {
                throw .badRequest("Withdrawing a finding needs the merchantId and a note in the query string (\(missing.map(\.property).joined(separator: ", ")) missing).",
                                  details: missing)
            }
            merchantID = givenMerchant
            note = givenNote
        }
        let receipt = try await execute { domain, _ throws(DomainError) in
            try domain.decide(finding: revocationID, merchantID: merchantID, record: record, note: note)
        }
        guard let revocation = service.read({ $0.revocation(merchantID: merchantID, revocationID: revocationID) }) else { throw .notFound() }
        return Self.json(["revocation": DomainRepresentations.revocation(revocation), "receipt": self.receipt(receipt)],
                         status: record && !receipt.isReplay ? .created : .ok, replay: receipt.isReplay)
    }
}
