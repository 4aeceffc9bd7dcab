import Foundation
import PointCore

/// `pointconnect bench core`: in-memory grant validation + event creation + apply on one core,
/// and resident memory per retained grant.
enum CoreBenchmark {
    static func run(_ options: CommandLineOptions) throws -> Int32 {
        let grantCount = try options.integer("grants", default: 1_000_000, range: 1...50_000_000)
        let userCount = try options.integer("users", default: 100_000, range: 1...10_000_000)
        let merchantID = "1650000001"
        var domain = PointsDomain()
        var seq: UInt64 = 0
        var now = CivilTime.parseRFC3339("2026-10-15T10:00:00+08:00") ?? 0
        func commit(_ decision: Decision) throws {
            guard let event = decision.event else { return }
            seq += 1
            try domain.apply(event, seq: seq, time: now)
        }
        try commit(domain.decide(RegisterMerchantCommand(merchantID: merchantID, name: "Bench", taxID: "22099131", appliedOn: "2026-09-01",
                                                         contractStartDate: "2026-10-01")))
        try commit(domain.decide(OpenEnvironmentCommand(merchantID: merchantID, environment: .sandbox, officialAccountID: "@bench",
                                                        loginChannelID: "2000000001", linkedLoginChannelID: "2000000001", allowedSources: ["127.0.0.1"])))
        let submitted = try domain.decide(SubmitScenarioCommand(merchantID: merchantID, title: "Bench", purpose: "purchase_cashback",
                                                                description: "bench", grantConditions: "all", purchaseChannels: ["online_store"],
                                                                activeFrom: "2026-01-01T00:00:00Z", activeUntil: "2030-01-01T00:00:00Z"))
        try commit(submitted)
        guard case .scenarioSubmitted(let scenario)? = submitted.event else { return 1 }
        try commit(domain.decide(reviewOf: scenario.scenarioID, approve: true, note: "bench"))
        var memberIDs: [String] = []
        memberIDs.reserveCapacity(userCount)
        for user in 0..<userCount {
            let hex = String(user, radix: 16)
            let lineUser = "U" + String(repeating: "0", count: 32 - hex.count) + hex
            memberIDs.append("member-\(user)")
            try commit(domain.decide(bind: "member-\(user)", merchantID: merchantID,
                                     login: VerifiedLineLogin(lineUserID: lineUser, audience: "2000000001")))
        }
        // Order IDs are made before timing: the request parser would hand them over.
        let orderIDs = (0..<grantCount).map { "ORD-2026-\($0)" }
        let rssBefore = ResidentMemory.currentBytes()
        let start = DispatchTime.now().uptimeNanoseconds
        var granted = 0
        // Each block of grants is timed on its own: a store that grows by copying or rehashing
        // everything at once shows up as one slow block (a pause every caller would wait out).
        var blockMicros: [Int] = []
        blockMicros.reserveCapacity(grantCount / Self.blockGrants + 1)
        var blockStart = start
        for index in 0..<grantCount {
            if index % Self.blockGrants == 0 && index > 0 {
                let now = DispatchTime.now().uptimeNanoseconds
                blockMicros.append(Int((now - blockStart) / 1_000))
                blockStart = now
            }
            let command = GrantPointsCommand(merchantID: merchantID, orderID: orderIDs[index], recipient: .member(memberIDs[index % userCount]),
                                             scenarioID: scenario.scenarioID, points: index % 500 + 1)
            let decision = try domain.decide(command, now: now)
            if decision.event != nil { granted += 1 }
            try commit(decision)
            now += 1
        }
        let finished = DispatchTime.now().uptimeNanoseconds
        blockMicros.append(Int((finished - blockStart) / 1_000))
        let seconds = Double(finished - start) / 1e9
        let rssAfter = ResidentMemory.currentBytes()
        let perGrant = Double(rssAfter - rssBefore) / Double(grantCount)
        print("grants:            \(granted) of \(grantCount) (\(userCount) bound users, one merchant, one scenario)")
        print("decide + apply:    \(String(format: "%.2f", seconds)) s = \(Int(Double(grantCount) / seconds)) grants/s on one core")
        let sortedBlocks = blockMicros.sorted()
        let slowest = blockMicros.indices.max { blockMicros[$0] < blockMicros[$1] } ?? 0
        print("blocks of \(Self.blockGrants) grants: median \(sortedBlocks[sortedBlocks.count / 2]) µs, slowest \(blockMicros[slowest]) µs"
              + " (from grant \(slowest * Self.blockGrants)); \(blockMicros.filter { $0 >= 5_000 }.count) blocks of 5 ms or more")
        print("resident memory:   \(rssAfter / 1_048_576) MiB; retained per grant ≈ \(Int(perGrant)) bytes (RSS growth during the grants)")
        let baseline = naiveBaseline(orderIDs: orderIDs, memberIDs: memberIDs, merchantID: merchantID, scenarioID: scenario.scenarioID, start: now)
        print("baseline:          a Swift Dictionary of grant structs keyed by merchant/orderId, with a per-member monthly tally")
        print("                   \(Int(Double(grantCount) / baseline.seconds)) grants/s, ≈ \(Int(baseline.bytesPerGrant)) bytes per grant,"
              + " slowest block of \(Self.blockGrants) \(baseline.slowestBlockMicros) µs")
        print(String(format: "ratio:             %.2f× the baseline's throughput, %.2f× its memory per grant, %.4f× its slowest block",
                     (Double(grantCount) / seconds) / (Double(grantCount) / baseline.seconds), perGrant / baseline.bytesPerGrant,
                     Double(blockMicros[slowest]) / Double(max(baseline.slowestBlockMicros, 1))))
        return granted == grantCount ? 0 : 1
    }

    /// Grants per timed block.
    static let blockGrants = 1_024

    /// The straightforward model: one struct of Strings per grant in a Dictionary, an orderId
    /// lookup for idempotency and a per-member monthly points tally for the cap check.
    private struct NaiveGrant {
        var merchantID: String
        var orderID: String
        var memberID: String
        var scenarioID: String
        var points: Int
        var grantedAt: Int64
    }

    private static func naiveBaseline(orderIDs: [String], memberIDs: [String], merchantID: String, scenarioID: String,
                                      start: Int64) -> (seconds: Double, bytesPerGrant: Double, slowestBlockMicros: Int) {
        var grants: [String: NaiveGrant] = [:]
        var monthly: [String: Int] = [:]
        let rssBefore = ResidentMemory.currentBytes()
        let began = DispatchTime.now().uptimeNanoseconds
        var time = start
        var slowestBlock: UInt64 = 0
        var blockStart = began
        for index in orderIDs.indices {
            if index % Self.blockGrants == 0 && index > 0 {
                let now = DispatchTime.now().uptimeNanoseconds
                slowestBlock = max(slowestBlock, now - blockStart)
                blockStart = now
            }
            let key = merchantID + "/" + orderIDs[index]
            let member = memberIDs[index % memberIDs.count]
            let points = index % 500 + 1
            if grants[key] != nil { continue }
            let tallyKey = merchantID + "/" + member
            let used = monthly[tallyKey, default: 0]
            guard used + points <= Int.max / 2 else { continue }
            monthly[tallyKey] = used + points
            grants[key] = NaiveGrant(merchantID: merchantID, orderID: orderIDs[index], memberID: member, scenarioID: scenarioID,
                                     points: points, grantedAt: time)
            time += 1
        }
        let finished = DispatchTime.now().uptimeNanoseconds
        slowestBlock = max(slowestBlock, finished - blockStart)
        let seconds = Double(finished - began) / 1e9
        let bytes = Double(ResidentMemory.currentBytes() - rssBefore) / Double(max(1, orderIDs.count))
        precondition(grants.count == orderIDs.count, "baseline kept every grant")
        return (seconds, bytes, Int(slowestBlock / 1_000))
    }
}
