import PointCore
import PointCrypto
import PointJSON

/// JSON shapes of domain things in API responses. Times are RFC 3339 UTC with microseconds.
enum DomainRepresentations {
    static func grant(_ grant: Grant) -> JSONValue {
        [
            "orderId": .string(grant.orderID), "environment": .string(grant.environment.rawValue),
            "memberId": .string(grant.memberID), "lineUserId": .string(grant.lineUserID),
            "scenarioId": .string(grant.scenarioID), "points": .int(Int64(grant.points)),
            "revokedPoints": .int(Int64(grant.revokedPoints)), "remainingPoints": .int(Int64(grant.remainingPoints)),
            "grantedAt": .string(CivilTime.formatUTC(grant.grantedAt)), "seq": .int(Int64(grant.seq)),
        ]
    }

    static func binding(_ binding: Binding) -> JSONValue {
        [
            "memberId": .string(binding.memberID), "lineUserId": .string(binding.lineUserID),
            "boundAt": .string(CivilTime.formatUTC(binding.boundAt)), "seq": .int(Int64(binding.seq)),
        ]
    }

    static func scenario(_ scenario: Scenario) -> JSONValue {
        [
            "scenarioId": .string(scenario.id), "merchantId": .string(scenario.merchantID), "title": .string(scenario.title),
            "purpose": .string(scenario.purpose.rawValue), "description": .string(scenario.description),
            "grantConditions": .string(scenario.grantConditions),
            "purchaseChannels": .array(scenario.purchaseChannels.map { .string($0.rawValue) }),
            "campaignRules": .array(scenario.campaignRules.map { ["kind": .string($0.kind.rawValue), "text": .string($0.text)] }),
            "caps": [
                "maxPointsPerGrant": scenario.caps.maxPointsPerGrant.map { .int(Int64($0)) } ?? .null,
                "maxPointsPerUserPerMonth": scenario.caps.maxPointsPerUserPerMonth.map { .int(Int64($0)) } ?? .null,
                "totalBudget": scenario.caps.totalBudget.map { .int(Int64($0)) } ?? .null,
            ],
            "activeFrom": .string(CivilTime.formatUTC(scenario.activeFrom)), "activeUntil": .string(CivilTime.formatUTC(scenario.activeUntil)),
            "status": .string(scenario.status.rawValue), "reviewNote": scenario.reviewNote.map(JSONValue.string) ?? .null,
            "grantedPoints": .int(scenario.grantedPoints), "sandboxGrantedPoints": .int(scenario.sandboxGrantedPoints),
            "inAppPurchaseStatement": scenario.inAppPurchaseStatement.map(JSONValue.string) ?? .null,
            "submissionId": scenario.submissionID.map(JSONValue.string) ?? .null,
        ]
    }

    static func revocation(_ revocation: Revocation) -> JSONValue {
        [
            "revocationId": .string(revocation.revocationID), "orderId": .string(revocation.orderID),
            "points": .int(Int64(revocation.points)), "reason": .string(revocation.reason.rawValue),
            "evidence": DomainEvent.pointsRevoked(PointsRevoked(merchantID: revocation.merchantID, revocationID: revocation.revocationID,
                                                                orderID: revocation.orderID, points: revocation.points,
                                                                evidence: revocation.evidence)).ledgerData["evidence"] ?? .null,
            "revokedAt": .string(CivilTime.formatUTC(revocation.revokedAt)), "seq": .int(Int64(revocation.seq)),
            "finding": revocation.finding.map { ["note": .string($0.note), "recordedAt": .string(CivilTime.formatUTC($0.recordedAt)),
                                                 "seq": .int(Int64($0.seq))] } ?? .null,
        ]
    }

    static func merchant(_ merchant: Merchant) -> JSONValue {
        func access(_ access: EnvironmentAccess?) -> JSONValue {
            guard let access else { return .null }
            return ["officialAccountId": .string(access.officialAccountID), "loginChannelId": .string(access.loginChannelID),
                    "allowedSources": .array(access.allowedSources.map(JSONValue.string))]
        }
        return [
            "merchantId": .string(merchant.id), "name": .string(merchant.name), "taxId": .string(merchant.taxID),
            "appliedOn": .string(merchant.appliedOn), "status": .string(merchant.status.rawValue),
            "contract": [
                "startDate": .string(merchant.contract.startDate), "termMonths": .int(Int64(merchant.contract.termMonths)),
                "unitPriceTenths": .int(Int64(merchant.contract.unitPriceTenths)),
                "annualPlatformFee": .int(Int64(merchant.contract.annualPlatformFee)),
            ],
            "sandbox": access(merchant.sandbox), "production": access(merchant.production),
        ]
    }
}

// MARK: Direct canonical writers for the grant hot paths

/// Canonical JSON written straight into bytes, for answers sent thousands of times a second.
/// Each writer emits exactly what ``CanonicalJSON/encode(_:)`` produces for the equivalent
/// ``JSONValue`` (keys in UTF-8 order, no whitespace, minimal escapes); the tests compare the
/// two byte for byte. Keys are written as literals in their sorted order.
enum CanonicalBytes {
    @inline(__always)
    static func literal(_ text: StaticString, to output: inout [UInt8]) {
        text.withUTF8Buffer { output.append(contentsOf: $0) }
    }

    /// A quoted `YYYY-MM-DDTHH:MM:SS.ffffffZ`, the bytes of `CivilTime.formatUTC` as a JSON string.
    static func appendUTC(_ micros: Int64, to output: inout [UInt8]) {
        let clamped = min(max(micros, CivilTime.supportedRange.lowerBound), CivilTime.supportedRange.upperBound)
        let seconds = clamped / CivilTime.microsPerSecond
        let date = CivilTime.civilDate(daysSinceEpoch: seconds / 86_400)
        let secondOfDay = Int(seconds % 86_400)
        output.append(UInt8(ascii: "\""))
        digits(date.year, 4, to: &output)
        output.append(UInt8(ascii: "-"))
        digits(date.month, 2, to: &output)
        output.append(UInt8(ascii: "-"))
        digits(date.day, 2, to: &output)
        output.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2, to: &output)
        output.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2, to: &output)
        output.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2, to: &output)
        output.append(UInt8(ascii: "."))
        digits(Int(clamped % CivilTime.microsPerSecond), 6, to: &output)
        literal("Z\"", to: &output)
    }

    /// `value` (non-negative, fewer than 19 digits) zero-padded to at least `width` digits.
    private static func digits(_ value: Int, _ width: Int, to output: inout [UInt8]) {
        // Written back to front with constant divisors (a multiply each), then copied in order.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { scratch in
            var rest = UInt(value)
            var start = 20
            repeat {
                start -= 1
                scratch[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0 || 20 - start < width
            output.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[start..<20]))
        }
    }

    /// ``DomainRepresentations/grant(_:)`` as bytes.
    static func appendGrant(_ grant: Grant, to output: inout [UInt8]) {
        literal(grant.environment == .production ? #"{"environment":"production","grantedAt":"# : #"{"environment":"sandbox","grantedAt":"#,
                to: &output)
        appendUTC(grant.grantedAt, to: &output)
        literal(#","lineUserId":"#, to: &output)
        CanonicalJSON.appendString(grant.lineUserID, to: &output)
        literal(#","memberId":"#, to: &output)
        CanonicalJSON.appendString(grant.memberID, to: &output)
        literal(#","orderId":"#, to: &output)
        CanonicalJSON.appendString(grant.orderID, to: &output)
        literal(#","points":"#, to: &output)
        CanonicalJSON.appendInteger(Int64(grant.points), to: &output)
        literal(#","remainingPoints":"#, to: &output)
        CanonicalJSON.appendInteger(Int64(grant.remainingPoints), to: &output)
        literal(#","revokedPoints":"#, to: &output)
        CanonicalJSON.appendInteger(Int64(grant.revokedPoints), to: &output)
        literal(#","scenarioId":"#, to: &output)
        CanonicalJSON.appendString(grant.scenarioID, to: &output)
        literal(#","seq":"#, to: &output)
        CanonicalJSON.appendInteger(Int64(grant.seq), to: &output)
        output.append(UInt8(ascii: "}"))
    }

    /// ``ProofRepresentations/receipt(seq:time:leafHash:ledger:)`` as bytes, for a leaf hash
    /// already known (nil writes `null`).
    static func appendReceipt(seq: UInt64, time: Int64, leafHash: SHA256Digest?, to output: inout [UInt8]) {
        literal(#"{"inclusionProof":"/v1/audit/proofs/inclusion?seq="#, to: &output)
        CanonicalJSON.appendInteger(Int64(clamping: seq), to: &output)
        literal(#"","leafHash":"#, to: &output)
        if let leafHash {
            output.append(UInt8(ascii: "\""))
            leafHash.withUnsafeBytes { Hex.append($0, to: &output) }
            output.append(UInt8(ascii: "\""))
        } else {
            literal("null", to: &output)
        }
        literal(#","seq":"#, to: &output)
        CanonicalJSON.appendInteger(Int64(clamping: seq), to: &output)
        literal(#","time":"#, to: &output)
        appendUTC(time, to: &output)
        output.append(UInt8(ascii: "}"))
    }

    /// The answer of `POST /v1/grants`: `{"grant":…,"receipt":…,"replay":…}`.
    static func grantWriteAnswer(_ grant: Grant, receiptSeq: UInt64, receiptTime: Int64, leafHash: SHA256Digest?, replay: Bool) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(640)
        literal(#"{"grant":"#, to: &output)
        appendGrant(grant, to: &output)
        literal(#","receipt":"#, to: &output)
        appendReceipt(seq: receiptSeq, time: receiptTime, leafHash: leafHash, to: &output)
        if replay { literal(#","replay":true}"#, to: &output) } else { literal(#","replay":false}"#, to: &output) }
        return output
    }

    /// The request log line: canonical JSON of `keyId`, `latencyMicros`, `method`, `remote`,
    /// `requestId`, `route` and `status`, written straight to bytes.
    static func appendLogLine(requestID: String, keyID: String, method: String, route: String, status: Int, micros: UInt64, remote: String,
                              to output: inout [UInt8]) {
        literal(#"{"keyId":"#, to: &output)
        CanonicalJSON.appendString(keyID, to: &output)
        literal(#","latencyMicros":"#, to: &output)
        CanonicalJSON.appendInteger(Int64(clamping: micros), to: &output)
        literal(#","method":"#, to: &output)
        CanonicalJSON.appendString(method, to: &output)
        literal(#","remote":"#, to: &output)
        CanonicalJSON.appendString(remote, to: &output)
        literal(#","requestId":"#, to: &output)
        CanonicalJSON.appendString(requestID, to: &output)
        literal(#","route":"#, to: &output)
        CanonicalJSON.appendString(route, to: &output)
        literal(#","status":"#, to: &output)
        CanonicalJSON.appendInteger(Int64(status), to: &output)
        output.append(UInt8(ascii: "}"))
    }
}

/// The compact answer of `POST /v1/grants/batch`:
/// `{"durableThroughSeq":N,"granted":N,"refused":N,"replayed":N,"results":[…]}` where each result is
/// `{"index","orderId","points","seq","status"}` for granted and replayed items (clients fetch the
/// full grant with `GET /v1/grants/{orderId}`) and `{"error","index","orderId","status"}` for
/// refused ones.
struct BatchGrantAnswer {
    let outcomes: [GrantOutcome]
    /// The request items, in request order: an item's orderId and points come from here (a
    /// replayed grant's are the same by definition).
    let commands: [GrantPointsCommand]

    init(outcomes: [GrantOutcome], commands: [GrantPointsCommand]) {
        self.outcomes = outcomes
        self.commands = commands
    }

    private func orderID(_ index: Int) -> String { index < commands.count ? commands[index].orderID : "" }
    private func points(_ index: Int) -> Int { index < commands.count ? commands[index].points : 0 }

    /// Counts and the highest newly granted seq (0 when none).
    var tally: (granted: Int, replayed: Int, refused: Int, durableThroughSeq: UInt64) {
        var result = (granted: 0, replayed: 0, refused: 0, durableThroughSeq: UInt64(0))
        for outcome in outcomes {
            switch outcome {
            case .granted(let seq):
                result.granted += 1
                result.durableThroughSeq = max(result.durableThroughSeq, seq)
            case .replayed: result.replayed += 1
            case .refused: result.refused += 1
            }
        }
        return result
    }

    /// The canonical JSON bytes, written directly.
    func encoded() -> [UInt8] {
        let tally = self.tally
        var output: [UInt8] = []
        output.reserveCapacity(96 + outcomes.count * 96)
        CanonicalBytes.literal(#"{"durableThroughSeq":"#, to: &output)
        CanonicalJSON.appendInteger(Int64(tally.durableThroughSeq), to: &output)
        CanonicalBytes.literal(#","granted":"#, to: &output)
        CanonicalJSON.appendInteger(Int64(tally.granted), to: &output)
        CanonicalBytes.literal(#","refused":"#, to: &output)
        CanonicalJSON.appendInteger(Int64(tally.refused), to: &output)
        CanonicalBytes.literal(#","replayed":"#, to: &output)
        CanonicalJSON.appendInteger(Int64(tally.replayed), to: &output)
        CanonicalBytes.literal(#","results":["#, to: &output)
        for (index, outcome) in outcomes.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            switch outcome {
            case .granted(let seq), .replayed(let seq):
                CanonicalBytes.literal(#"{"index":"#, to: &output)
                CanonicalJSON.appendInteger(Int64(index), to: &output)
                CanonicalBytes.literal(#","orderId":"#, to: &output)
                CanonicalJSON.appendString(orderID(index), to: &output)
                CanonicalBytes.literal(#","points":"#, to: &output)
                CanonicalJSON.appendInteger(Int64(points(index)), to: &output)
                CanonicalBytes.literal(#","seq":"#, to: &output)
                CanonicalJSON.appendInteger(Int64(seq), to: &output)
                if case .granted = outcome {
                    CanonicalBytes.literal(#","status":"granted"}"#, to: &output)
                } else {
                    CanonicalBytes.literal(#","status":"replayed"}"#, to: &output)
                }
            case .refused(let error):
                let apiError = APIError(error)
                CanonicalBytes.literal(#"{"error":{"code":"#, to: &output)
                CanonicalJSON.appendString(apiError.code.rawValue, to: &output)
                CanonicalBytes.literal(#","details":["#, to: &output)
                for (position, detail) in apiError.details.enumerated() {
                    if position > 0 { output.append(UInt8(ascii: ",")) }
                    CanonicalBytes.literal(#"{"message":"#, to: &output)
                    CanonicalJSON.appendString(detail.message, to: &output)
                    CanonicalBytes.literal(#","property":"#, to: &output)
                    CanonicalJSON.appendString(detail.property, to: &output)
                    output.append(UInt8(ascii: "}"))
                }
                CanonicalBytes.literal(#"],"message":"#, to: &output)
                CanonicalJSON.appendString(apiError.message, to: &output)
                CanonicalBytes.literal(#"},"index":"#, to: &output)
                CanonicalJSON.appendInteger(Int64(index), to: &output)
                CanonicalBytes.literal(#","orderId":"#, to: &output)
                CanonicalJSON.appendString(orderID(index), to: &output)
                CanonicalBytes.literal(#","status":"refused"}"#, to: &output)
            }
        }
        CanonicalBytes.literal("]}", to: &output)
        return output
    }

    /// The same answer as a ``JSONValue`` (the reference the direct writer is tested against).
    var jsonValue: JSONValue {
        let tally = self.tally
        let results: [JSONValue] = outcomes.enumerated().map { index, outcome in
            switch outcome {
            case .granted(let seq), .replayed(let seq):
                let status: JSONValue = if case .granted = outcome { "granted" } else { "replayed" }
                return ["index": .int(Int64(index)), "status": status, "orderId": .string(orderID(index)),
                        "seq": .int(Int64(seq)), "points": .int(Int64(points(index)))]
            case .refused(let error):
                let apiError = APIError(error)
                return ["index": .int(Int64(index)), "status": "refused", "orderId": .string(orderID(index)), "error": [
                    "code": .string(apiError.code.rawValue), "message": .string(apiError.message),
                    "details": .array(apiError.details.map { ["property": .string($0.property), "message": .string($0.message)] }),
                ]]
            }
        }
        return ["results": .array(results), "granted": .int(Int64(tally.granted)), "replayed": .int(Int64(tally.replayed)),
                "refused": .int(Int64(tally.refused)), "durableThroughSeq": .int(Int64(tally.durableThroughSeq))]
    }
}
