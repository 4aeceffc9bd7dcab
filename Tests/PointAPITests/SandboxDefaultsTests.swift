import Foundation
import PointAPI
import PointCore
import Testing

@Suite("Sandbox defaults")
struct SandboxDefaultsTests {
    static func defaultsFile() throws -> [UInt8] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return Array(try Data(contentsOf: root.appendingPathComponent("sandbox/sandbox.json")))
    }

    @Test("sandbox.json seeds two merchants with approved purchase and non-purchase scenarios, once")
    func seed() async throws {
        let defaults = try SandboxDefaults(json: Self.defaultsFile())
        #expect(defaults.merchants.count >= 2)
        #expect(Set(defaults.staff.map(\.role)) == ["reviewer", "finance", "auditor"])
        let directory = NSTemporaryDirectory() + "sandbox-seed-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let service = try PointService.open(dataDirectory: directory)
        try await defaults.seed(into: service)
        let seq = service.ledger.enqueuedSeq
        try await defaults.seed(into: service)
        #expect(service.ledger.enqueuedSeq == seq)
        for merchant in defaults.merchants {
            let scenarios = service.read { $0.scenarios(merchantID: merchant.register.merchantID) }
            #expect(scenarios.count == merchant.scenarios.count)
            #expect(scenarios.allSatisfy { $0.status == .approved })
            #expect(service.read { $0.merchant(merchant.register.merchantID)?.status } == .sandbox)
        }
        let purposes = defaults.merchants.flatMap { merchant in service.read { $0.scenarios(merchantID: merchant.register.merchantID).map(\.purpose) } }
        #expect(purposes.contains { $0.isPurchaseReward })
        #expect(purposes.contains { !$0.isPurchaseReward })
        service.close()
    }

    @Test("A malformed defaults file names the path")
    func malformed() {
        do {
            _ = try SandboxDefaults(json: Array(#"{"merchants":[{"name":"x"}],"staff":[]}"#.utf8))
            Issue.record("expected a failure")
        } catch {
            #expect(error.path == "$.merchants[0].merchantId")
        }
    }
}
