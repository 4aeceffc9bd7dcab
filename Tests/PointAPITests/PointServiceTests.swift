import Foundation
import PointAPI
import PointCore
import PointLedger
import Testing

@Suite("Point service: decide, write, apply, durable")
struct PointServiceTests {
    static func scratch() -> String {
        let path = NSTemporaryDirectory() + "pointservice-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static let merchant = "1650000001"
    static let login = "2000000001"

    static func onboard(_ service: PointService) async throws -> String {
        _ = try await service.execute { domain, _ throws(DomainError) in
            try domain.decide(RegisterMerchantCommand(merchantID: merchant, name: "Shop", taxID: "22099131", appliedOn: "2026-09-01", contractStartDate: "2026-10-01"))
        }
        _ = try await service.execute { domain, _ throws(DomainError) in
            try domain.decide(OpenEnvironmentCommand(merchantID: merchant, environment: .sandbox, officialAccountID: "@shop", loginChannelID: login,
                                                     linkedLoginChannelID: login, allowedSources: ["127.0.0.1"]))
        }
        _ = try await service.execute { domain, _ throws(DomainError) in
            try domain.decide(SubmitScenarioCommand(merchantID: merchant, title: "Signup", purpose: "member_registration", description: "d",
                                                    grantConditions: "c", activeFrom: "2026-01-01T00:00:00Z", activeUntil: "2036-01-01T00:00:00Z"))
        }
        _ = try await service.execute { _, _ throws(DomainError) in .append(.scenarioApproved(scenarioID: "SCN-000001", note: "ok")) }
        _ = try await service.execute { domain, _ throws(DomainError) in
            try domain.decide(bind: "m-1", merchantID: merchant, login: VerifiedLineLogin(lineUserID: "U" + String(repeating: "a", count: 32), audience: login))
        }
        return "SCN-000001"
    }

    @Test("Writes are durable, replays write nothing, and a reopened service has the same state")
    func writeAndReopen() async throws {
        let directory = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let service = try PointService.open(dataDirectory: directory)
        let scenario = try await Self.onboard(service)
        let command = GrantPointsCommand(merchantID: Self.merchant, orderID: "o-1", recipient: .member("m-1"), scenarioID: scenario, points: 7)
        let first = try await service.execute { domain, now throws(DomainError) in try domain.decide(command, now: now) }
        #expect(!first.isReplay)
        #expect(service.ledger.durableSeq >= first.seq)
        // The receipt's leaf hash is the written line's (the writer hashes it; execute reads it once durable).
        let segment = directory + "/ledger/" + SegmentDirectory.fileName(firstSeq: 1)
        let lines = try String(contentsOfFile: segment, encoding: .utf8).split(separator: "\n")
        #expect(first.leafHash == MerkleHashing.leafHash(Array(lines[Int(first.seq) - 1].utf8)))
        let again = try await service.execute { domain, now throws(DomainError) in try domain.decide(command, now: now) }
        #expect(again.isReplay)
        #expect(service.ledger.enqueuedSeq == first.seq)
        var refused: ServiceError?
        do {
            _ = try await service.execute { domain, now throws(DomainError) in
                try domain.decide(GrantPointsCommand(merchantID: Self.merchant, orderID: "o-1", recipient: .member("m-1"), scenarioID: scenario, points: 8), now: now)
            }
        } catch { refused = error }
        guard case .domain(let error)? = refused else { Issue.record("expected a domain refusal"); return }
        #expect(error.code == "order_id_conflict")
        let outcomes = try await service.grantBatch((2...4).map { GrantPointsCommand(merchantID: Self.merchant, orderID: "o-\($0)", recipient: .member("m-1"), scenarioID: scenario, points: $0) })
        #expect(outcomes.count == 3)
        let live = service.read { PointsDomainSnapshot($0) }
        service.close()
        let reopened = try PointService.open(dataDirectory: directory)
        defer { reopened.close() }
        #expect(reopened.read { PointsDomainSnapshot($0) } == live)
        #expect(reopened.read { $0.grant(merchantID: Self.merchant, orderID: "o-4")?.points } == 4)
    }
}

/// A copy of the domain state that can leave the service's lock.
struct PointsDomainSnapshot: Equatable, Sendable {
    let domain: PointsDomain
    init(_ domain: borrowing PointsDomain) { self.domain = copy domain }
}
