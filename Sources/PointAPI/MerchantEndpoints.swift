import PointCore
import PointCrypto
import PointHTTP
import PointJSON

/// `/v1/bindings`, `/v1/grants`, `/v1/scenarios`: a merchant's own data.
extension APIApplication {
    static let identifierMax = Identifiers.maxExternalIDLength

    func merchantID(_ context: Context) throws(APIError) -> String {
        guard let merchantID = context.merchantID else { throw .forbiddenRole("Only merchant credentials act on merchant data.") }
        return merchantID
    }

    // MARK: Bindings

    func createBinding(_ context: Context) async throws(APIError) -> HTTPResponse {
        let merchantID = try merchantID(context)
        let body = try JSONObjectReader.parse(context.request.body)
        let memberID = body.requiredString("memberId", maxLength: Self.identifierMax)
        let idToken = body.requiredString("idToken", maxLength: JSONWebToken.maxTokenBytes, charset: .compactJWS)
        let nonce = body.optionalString("nonce", maxLength: 256)
        try body.finish()
        guard let loginChannel = service.read({ $0.loginChannelID(merchantID: merchantID) }) else {
            if service.read({ $0.merchant(merchantID)?.status }) == .terminated {
                throw APIError(status: .forbidden, code: APIErrorCode("merchant_terminated"),
                               message: "Merchant \(merchantID) is terminated; its data can only be read.")
            }
            throw APIError(status: .forbidden, code: APIErrorCode("merchant_not_onboarded"),
                           message: "Merchant \(merchantID) has no active environment with a LINE Login channel; users can't be bound yet.")
        }
        let verifier = try idTokenVerifier(loginChannel)
        let claims: LineIDTokenClaims
        do throws(LineIDTokenError) {
            claims = try verifier.verify(idToken, expectedNonce: nonce, now: service.clock.now() / 1_000_000)
        } catch {
            throw APIError(status: .unprocessableContent, code: APIErrorCode(error.code), message: error.message,
                           details: [APIErrorDetail(property: "idToken", message: error.message)])
        }
        let login = VerifiedLineLogin(lineUserID: claims.subject, audience: claims.audience)
        let receipt: CommandReceipt
        do throws(APIError) {
            receipt = try await execute { domain, _ throws(DomainError) in try domain.decide(bind: memberID, merchantID: merchantID, login: login) }
        } catch where error.code.rawValue == "line_user_bound_to_other_member" {
            log(String(decoding: CanonicalJSON.encode([
                "event": "fraud_signal", "kind": "line_user_bound_to_other_member", "requestId": .string(context.requestID),
                "merchantId": .string(merchantID), "memberId": .string(memberID),
            ]), as: UTF8.self))
            throw error
        }
        guard let binding = service.read({ $0.binding(merchantID: merchantID, memberID: memberID) }) else { throw .notFound() }
        let written = receipt.isReplay ? CommandReceipt(seq: binding.seq, time: binding.boundAt, leafHash: nil, isReplay: true) : receipt
        return Self.json(["binding": DomainRepresentations.binding(binding), "replay": .bool(receipt.isReplay), "receipt": self.receipt(written)],
                         status: receipt.isReplay ? .ok : .created, replay: receipt.isReplay)
    }

    func idTokenVerifier(_ loginChannel: String) throws(APIError) -> LineIDTokenVerifier {
        let secret = vault.loginChannelSecret(loginChannel).map { Array($0.utf8) }
        do throws(CryptoError) {
            return try LineIDTokenVerifier(channelID: loginChannel, channelSecret: secret, keySet: jwks, clockSkewSeconds: idTokenClockSkew)
        } catch {
            throw .unavailable("ID tokens for LINE Login channel \(loginChannel) can't be verified: no channel secret or JWKS is configured. Ask the platform to register the channel secret.")
        }
    }

    func getBinding(_ context: Context) throws(APIError) -> HTTPResponse {
        let merchantID = try merchantID(context)
        // Only what is durable is visible: a binding still being written (or whose write failed) is not.
        let durable = service.ledger.durableSeq
        let memberID = try Self.pathIdentifier(context, "memberId")
        guard let binding = service.read({ $0.binding(merchantID: merchantID, memberID: memberID) }), binding.seq <= durable else {
            throw APIError(status: .notFound, code: APIErrorCode("binding_not_found"), message: "Member \(memberID) is not bound to a LINE user.")
        }
        return Self.json(["binding": DomainRepresentations.binding(binding)])
    }

    func deleteBinding(_ context: Context) async throws(APIError) -> HTTPResponse {
        let merchantID = try merchantID(context)
        let memberID = try Self.pathIdentifier(context, "memberId")
        let receipt = try await execute { domain, _ throws(DomainError) in try domain.decide(unbind: memberID, merchantID: merchantID) }
        var response = Self.json(["memberId": .string(memberID), "unbound": true, "receipt": self.receipt(receipt)])
        // Sent again after the member was unbound (and not bound since): the original unbinding.
        if receipt.isReplay { response.headers.set(name: "Idempotent-Replay", value: "true") }
        return response
    }

    // MARK: Grants

    /// Reads one grant object (the body of POST /v1/grants, or an item of a batch).
    ///
    /// - Parameter checkSyntax: check the values here (ID syntax and length, the points range),
    ///   so that a single grant's answer lists every bad field at once. Batch items read only
    ///   the shape (members, JSON types) and leave every value to the domain, which refuses
    ///   each bad item on its own: one typo does not hold back the other items of a batch.
    static func readGrant(_ body: JSONObjectReader, merchantID: String, checkSyntax: Bool = false) -> GrantPointsCommand {
        let externalID: ((String) -> String?)? = checkSyntax ? { FieldSyntax.externalID($0) } : nil
        let lineUser: ((String) -> String?)? = checkSyntax ? { FieldSyntax.lineUserID($0) } : nil
        // Batch items: any string (the body's size bounds it) and any whole 64-bit number.
        let idMax = checkSyntax ? identifierMax : Int.max
        let lineUserMax = checkSyntax ? 33 : Int.max
        let minLength = checkSyntax ? 1 : 0
        let charset: JSONCharset = checkSyntax ? .printable : .anything
        let orderID = body.requiredString("orderId", maxLength: idMax, minLength: minLength, charset: charset, validate: externalID)
        let memberID = body.optionalString("memberId", maxLength: idMax, minLength: minLength, charset: charset, validate: externalID)
        let lineUserID = body.optionalString("lineUserId", maxLength: lineUserMax, minLength: minLength, charset: charset, validate: lineUser)
        let scenarioID = body.requiredString("scenarioId", maxLength: idMax, minLength: minLength, charset: charset)
        let pointsRange = 1...Int64(PointsDomain.Limits().maxPointsPerGrant)
        let points = body.requiredInteger("points", in: checkSyntax ? pointsRange : Int64.min...Int64.max, documented: pointsRange)
        let recipient: GrantRecipient
        switch (memberID, lineUserID) {
        case (let member?, nil): recipient = .member(member)
        case (nil, let lineUser?): recipient = .lineUser(lineUser)
        case (.some, .some):
            body.reject("lineUserId", "give memberId or lineUserId, not both")
            recipient = .member("")
        case (nil, nil):
            // One given but invalid has its own detail already.
            if !body.contains("memberId") && !body.contains("lineUserId") { body.reject("memberId", "memberId or lineUserId is required") }
            recipient = .member("")
        }
        return GrantPointsCommand(merchantID: merchantID, orderID: orderID, recipient: recipient, scenarioID: scenarioID, points: Int(points))
    }

    /// The command of a single grant's body: the common shape read straight from the bytes
    /// (``GrantBodyReader``), anything else by the general reader with its precise errors.
    static func readSingleGrant(_ body: [UInt8], merchantID: String) throws(APIError) -> GrantPointsCommand {
        if let command = GrantBodyReader.single(body, merchantID: merchantID) { return command }
        let reader = try JSONObjectReader.parse(body)
        let command = Self.readGrant(reader, merchantID: merchantID, checkSyntax: true)
        try reader.finish()
        return command
    }

    /// The commands of a batch body: the common shape read straight from the bytes
    /// (``GrantBodyReader``), anything else by the general reader with its precise errors.
    static func readGrantBatch(_ body: [UInt8], merchantID: String) throws(APIError) -> [GrantPointsCommand] {
        if let commands = GrantBodyReader.batch(body, merchantID: merchantID) { return commands }
        let reader = try JSONObjectReader.parse(body)
        let commands = reader.requiredArray("grants", maxCount: PointsDomain.maxBatchGrants) { item in
            item.object { Self.readGrant($0, merchantID: merchantID) }
        }
        try reader.finish()
        return commands
    }

    func createGrant(_ context: Context) async throws(APIError) -> HTTPResponse {
        let queued = try enqueueGrant(context)
        do throws(ServiceError) { try await service.waitUntilDurable(queued.answerSeq) } catch { throw APIError(error) }
        return try grantAnswer(queued)
    }

    /// A grant decided and queued in the ledger (or found to repeat an earlier one), not yet durable.
    struct QueuedGrant: Sendable {
        let receipt: CommandReceipt
        /// The grant as the write left it (for a replay: the original grant as it is now).
        let grant: Grant?
        /// The last record the answer shows (a replay's grant may since have been revoked): it
        /// is answered once that is durable.
        let answerSeq: UInt64
    }

    /// The first half of `POST /v1/grants`, which never suspends: reads the body, decides and
    /// queues the grant. Nothing may be answered before its receipt is durable.
    func enqueueGrant(_ context: Context) throws(APIError) -> QueuedGrant {
        let merchantID = try merchantID(context)
        let command = try Self.readSingleGrant(context.request.body, merchantID: merchantID)
        do throws(ServiceError) {
            let (receipt, read) = try service.enqueue({ domain, now throws(DomainError) in try domain.decide(command, now: now) },
                                                      thenRead: { domain, receipt -> (grant: Grant?, answerSeq: UInt64) in
                // A new grant is the newest one, and has no revocations yet; a replayed one may have some since.
                guard receipt.isReplay else {
                    return (domain.newestGrant(writtenAt: receipt.seq) ?? domain.grant(merchantID: merchantID, orderID: command.orderID), receipt.seq)
                }
                let grant = domain.grant(merchantID: merchantID, orderID: command.orderID)
                guard let grant else { return (nil, receipt.seq) }
                return (grant, max(receipt.seq, domain.lastChangeSeq(of: grant)))
            })
            return QueuedGrant(receipt: receipt, grant: read.grant, answerSeq: read.answerSeq)
        } catch { throw APIError(error) }
    }

    /// The second half: the answer, once the grant's record (or, for a replay, the original) is durable.
    func grantAnswer(_ queued: QueuedGrant) throws(APIError) -> HTTPResponse {
        let receipt = queued.receipt
        guard let grant = queued.grant else { throw .notFound() }
        var written = receipt
        if receipt.isReplay { written = CommandReceipt(seq: grant.seq, time: grant.grantedAt, leafHash: nil, isReplay: true) }
        let leafHash = ProofRepresentations.receiptLeafHash(seq: written.seq, known: written.leafHash, ledger: service.ledger)
        var response = HTTPResponse.json(CanonicalBytes.grantWriteAnswer(grant, receiptSeq: written.seq, receiptTime: written.time,
                                                                         leafHash: leafHash, replay: receipt.isReplay),
                                         status: receipt.isReplay ? .ok : .created)
        if receipt.isReplay { response.headers.set(name: "Idempotent-Replay", value: "true") }
        return response
    }

    func createGrantBatch(_ context: Context) async throws(APIError) -> HTTPResponse {
        let merchantID = try merchantID(context)
        let commands = try Self.readGrantBatch(context.request.body, merchantID: merchantID)
        let outcomes: [GrantOutcome]
        do throws(ServiceError) { outcomes = try await service.grantBatch(commands) } catch { throw APIError(error) }
        metrics.grantBatchAnswered(items: commands.count)
        // The compact answer, written straight to canonical JSON bytes (see BatchGrantAnswer).
        return HTTPResponse.json(BatchGrantAnswer(outcomes: outcomes, commands: commands).encoded())
    }

    func getGrant(_ context: Context) throws(APIError) -> HTTPResponse {
        let merchantID = try merchantID(context)
        let orderID = try Self.pathIdentifier(context, "orderId")
        // Only what is durable is visible: a grant or revocation still being written (or whose
        // write failed) is not.
        let durable = service.ledger.durableSeq
        let found = service.read { domain -> (Grant, [Revocation])? in
            guard let grant = domain.grant(merchantID: merchantID, orderID: orderID), grant.seq <= durable else { return nil }
            return (domain.grant(grant, asOf: durable), domain.revocations(merchantID: merchantID, orderID: orderID).filter { $0.seq <= durable })
        }
        guard let (grant, revocations) = found else {
            throw APIError(status: .notFound, code: APIErrorCode("grant_not_found"), message: "No grant with orderId \(orderID) for this merchant.")
        }
        return Self.json(["grant": DomainRepresentations.grant(grant), "revocations": .array(revocations.map(DomainRepresentations.revocation)),
                          "receipt": ProofRepresentations.receipt(seq: grant.seq, time: grant.grantedAt, leafHash: nil, ledger: service.ledger)])
    }

    func listGrants(_ context: Context) throws(APIError) -> HTTPResponse {
        let merchantID = try merchantID(context)
        let query = try Self.query(context.request, allowed: ["memberId", "lineUserId", "scenarioId", "from", "until", "cursor", "limit"])
        func time(_ name: String) throws(APIError) -> Int64? {
            guard let text = query[name] else { return nil }
            guard let micros = CivilTime.parseRFC3339(text) else {
                throw .badRequest("Query parameter \(name) must be an RFC 3339 time with offset, like 2026-11-01T00:00:00+08:00.",
                                  details: [APIErrorDetail(property: name, message: "must be an RFC 3339 time")])
            }
            return micros
        }
        let durable = service.ledger.durableSeq
        let filter = PointsDomain.GrantFilter(memberID: try Self.checked(query, "memberId", FieldSyntax.externalID),
                                              lineUserID: try Self.checked(query, "lineUserId", FieldSyntax.lineUserID),
                                              scenarioID: try Self.checked(query, "scenarioId", FieldSyntax.externalID),
                                              from: try time("from"), until: try time("until"), throughSeq: durable)
        let cursor = query["cursor"] == nil ? nil : UInt64(try Self.integer(query["cursor"], "cursor", in: 0...Int64.max))
        let limit = Int(try Self.integer(query["limit"], "limit", in: 1...Int64(PointsDomain.maxPageSize), default: 100))
        // Revoked points count only durable revocations, as the grants listed are only durable ones.
        let page = service.read { domain in
            let page = domain.grants(merchantID: merchantID, filter: filter, after: cursor, limit: limit)
            return (grants: page.grants.map { domain.grant($0, asOf: durable) }, next: page.next)
        }
        return Self.json(["grants": .array(page.grants.map(DomainRepresentations.grant)),
                          "nextCursor": page.next.map { .string(String($0)) } ?? .null])
    }

    // MARK: Revocations

    /// Reads the body of POST /v1/grants/{orderId}/revocations.
    static func readRevocation(_ body: JSONObjectReader, merchantID: String, orderID: String) -> RevokePointsCommand {
        let revocationID = body.requiredString("revocationId", maxLength: identifierMax, validate: FieldSyntax.externalID)
        let points = body.requiredInteger("points", in: 1...Int64(PointsDomain.Limits().maxPointsPerGrant))
        let reason = body.requiredString("reason", maxLength: 64)
        // The syntax of the evidence the reason uses is checked here with the other fields; what
        // another reason would use is left to the domain, which ignores it (as it always has, so
        // an earlier revocation resent unchanged still replays).
        let reasonUses = { (wanted: RevocationReason) in RevocationReason(rawValue: reason) == wanted }
        func check(_ rule: @escaping (String) -> String?, for wanted: RevocationReason) -> ((String) -> String?)? {
            reasonUses(wanted) ? rule : nil
        }
        let evidence = body.optionalObject("evidence") { evidence in
            RevocationEvidenceInput(
                notifiedAt: evidence.optionalString("notifiedAt", maxLength: 40, validate: check(FieldSyntax.time, for: .mistakenIssuance)),
                channel: evidence.optionalString("channel", maxLength: 32, validate: check(FieldSyntax.oneOf(NoticeChannel.self), for: .mistakenIssuance)),
                message: evidence.optionalString("message", maxLength: PointsDomain.maxEvidenceTextLength),
                fraudKind: evidence.optionalString("fraudKind", maxLength: 32, validate: check(FieldSyntax.oneOf(FraudKind.self), for: .fraud)),
                caseReference: evidence.optionalString("caseReference", maxLength: identifierMax, validate: check(FieldSyntax.externalID, for: .fraud)),
                description: evidence.optionalString("description", maxLength: PointsDomain.maxEvidenceTextLength),
                cancellation: evidence.optionalString("cancellation", maxLength: 32,
                                                      validate: check(FieldSyntax.oneOf(PurchaseCancellation.self), for: .purchaseCancelled)),
                transactionReference: evidence.optionalString("transactionReference", maxLength: identifierMax,
                                                              validate: check(FieldSyntax.externalID, for: .purchaseCancelled)))
        } ?? RevocationEvidenceInput()
        return RevokePointsCommand(merchantID: merchantID, orderID: orderID, revocationID: revocationID, points: Int(points),
                                   reason: reason, evidence: evidence)
    }

    func createRevocation(_ context: Context) async throws(APIError) -> HTTPResponse {
        let merchantID = try merchantID(context)
        let orderID = try Self.pathIdentifier(context, "orderId")
        let body = try JSONObjectReader.parse(context.request.body)
        let command = Self.readRevocation(body, merchantID: merchantID, orderID: orderID)
        try body.finish()
        let revocationID = command.revocationID
        let receipt = try await execute { domain, now throws(DomainError) in try domain.decide(command, now: now) }
        // The grant as the durable records leave it: this revocation, and none still being written.
        let durable = service.ledger.durableSeq
        let found = service.read { domain -> (Revocation, Grant)? in
            guard let revocation = domain.revocation(merchantID: merchantID, revocationID: revocationID) else { return nil }
            let grant = domain.grant(revokedBy: revocation)
            return (revocation, domain.grant(grant, asOf: durable))
        }
        guard let (revocation, grant) = found else { throw .notFound() }
        let written = receipt.isReplay ? CommandReceipt(seq: revocation.seq, time: revocation.revokedAt, leafHash: nil, isReplay: true) : receipt
        return Self.json(["revocation": DomainRepresentations.revocation(revocation), "grant": DomainRepresentations.grant(grant),
                          "replay": .bool(receipt.isReplay), "receipt": self.receipt(written)],
                         status: receipt.isReplay ? .ok : .created, replay: receipt.isReplay)
    }

    // MARK: Scenarios

    func listScenarios(_ context: Context) throws(APIError) -> HTTPResponse {
        let merchantID = try merchantID(context)
        _ = try Self.query(context.request, allowed: [])
        let scenarios = service.read { $0.scenarios(merchantID: merchantID) }
        return Self.json(["scenarios": .array(scenarios.map(DomainRepresentations.scenario))])
    }

    func submitScenario(_ context: Context) async throws(APIError) -> HTTPResponse {
        let merchantID = try merchantID(context)
        let body = try JSONObjectReader.parse(context.request.body)
        let command = SubmitScenarioCommand(
            merchantID: merchantID, title: body.requiredString("title", maxLength: PointsDomain.maxTitleLength),
            purpose: body.requiredString("purpose", maxLength: 64),
            description: body.requiredString("description", maxLength: PointsDomain.maxDescriptionLength),
            grantConditions: body.requiredString("grantConditions", maxLength: PointsDomain.maxDescriptionLength),
            purchaseChannels: body.optionalArray("purchaseChannels", maxCount: 8) { $0.string(maxLength: 32) } ?? [],
            campaignRules: body.optionalArray("campaignRules", maxCount: PointsDomain.maxCampaignRules) { item in
                item.object { rule in
                    SubmitScenarioCommand.Rule(kind: rule.requiredString("kind", maxLength: 32),
                                               text: rule.requiredString("text", maxLength: PointsDomain.maxDescriptionLength))
                }
            } ?? [],
            caps: body.optionalObject("caps") { caps in
                ScenarioCaps(maxPointsPerGrant: caps.optionalInteger("maxPointsPerGrant", in: 1...Int64(Int32.max)).map { Int($0) },
                             maxPointsPerUserPerMonth: caps.optionalInteger("maxPointsPerUserPerMonth", in: 1...Int64(Int32.max)).map { Int($0) },
                             totalBudget: caps.optionalInteger("totalBudget", in: 1...Int64(Int32.max) * 1_000).map { Int($0) })
            } ?? ScenarioCaps(),
            activeFrom: body.requiredString("activeFrom", maxLength: 40), activeUntil: body.requiredString("activeUntil", maxLength: 40),
            submissionID: body.optionalString("submissionId", maxLength: Identifiers.maxExternalIDLength),
            inAppPurchaseStatement: body.optionalString("inAppPurchaseStatement", maxLength: PointsDomain.maxDescriptionLength))
        try body.finish()
        var scenarioID: String?
        let receipt = try await execute { domain, _ throws(DomainError) in
            let decision = try domain.decide(command)
            switch decision {
            case .append(.scenarioSubmitted(let submitted)): scenarioID = submitted.scenarioID
            case .replay:
                if let submissionID = command.submissionID { scenarioID = domain.scenario(merchantID: merchantID, submissionID: submissionID)?.id }
            default: break
            }
            return decision
        }
        guard let scenarioID, let scenario = service.read({ $0.scenario(scenarioID) }) else { throw .notFound() }
        return Self.json(["scenario": DomainRepresentations.scenario(scenario), "receipt": self.receipt(receipt)],
                         status: receipt.isReplay ? .ok : .created, replay: receipt.isReplay)
    }
}
