import PointCore
import PointJSON

/// JSON shapes of domain things in API responses. Times are RFC 3339 UTC with microseconds.
enum DomainRepresentations {
    static func grant(_ grant: Grant) -> JSONValue {
        [
            "orderId": .string(grant.orderID), "memberId": .string(grant.memberID), "lineUserId": .string(grant.lineUserID),
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
            "grantedPoints": .int(scenario.grantedPoints),
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
