import Foundation
@testable import PointAPI
import PointCore
import PointLedger
import Synchronization
import Testing

private final class TurnRecorder: Sendable {
    let order = Mutex<[Int]>([])
    let inTurn = Mutex(0)
}

@Suite("Batches: turns and chunks")
struct BatchTurnTests {
    @Test func turnsGoOneAtATimeInArrivalOrder() async throws {
        let turns = AsyncTurnQueue(limit: 8)
        try await turns.takeTurn()
        let seen = TurnRecorder()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<5 {
                group.addTask {
                    try await turns.takeTurn()
                    let concurrent = seen.inTurn.withLock { count in count += 1; return count }
                    #expect(concurrent == 1, "two tasks had a turn at once")
                    seen.order.withLock { $0.append(index) }
                    seen.inTurn.withLock { $0 -= 1 }
                    turns.finishTurn()
                }
                // Let each task start waiting before the next one arrives.
                while turns.waiting < index + 1 { await Task.yield() }
            }
            turns.finishTurn()
            try await group.waitForAll()
        }
        #expect(seen.order.withLock { $0 } == [0, 1, 2, 3, 4])
        #expect(turns.waiting == 0)
    }

    @Test("Arrival order holds across many turns while the queue compacts its served prefix")
    func manyTurnsKeepTheirOrder() async throws {
        let turns = AsyncTurnQueue(limit: 200)
        try await turns.takeTurn()
        let seen = TurnRecorder()
        let count = 150
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                group.addTask {
                    try await turns.takeTurn()
                    seen.order.withLock { $0.append(index) }
                    turns.finishTurn()
                }
                while turns.waiting < index + 1 { await Task.yield() }
            }
            turns.finishTurn()
            try await group.waitForAll()
        }
        #expect(seen.order.withLock { $0 } == Array(0..<count))
        #expect(turns.waiting == 0)
        try await turns.takeTurn()   // free again
        turns.finishTurn()
    }

    @Test func refusesOneMoreWaiterThanTheLimit() async throws {
        let turns = AsyncTurnQueue(limit: 1)
        try await turns.takeTurn()
        let waiter = Task { try await turns.takeTurn(); turns.finishTurn() }
        while turns.waiting < 1 { await Task.yield() }
        await #expect(throws: AsyncTurnQueue.Full.self) { try await turns.takeTurn() }
        turns.finishTurn()
        try await waiter.value
        try await turns.takeTurn()   // free again
        turns.finishTurn()
    }

    private static func commands(_ orderIDs: [String], scenario: String, points: (Int) -> Int = { $0 % 3 + 1 }) -> [GrantPointsCommand] {
        orderIDs.enumerated().map { index, orderID in
            GrantPointsCommand(merchantID: PointServiceTests.merchant, orderID: orderID, recipient: .member("m-1"), scenarioID: scenario, points: points(index))
        }
    }

    /// An outcome with its item: the status, and for a grant the item's orderId and points and the record's seq.
    private static func shape(_ outcome: GrantOutcome, _ command: GrantPointsCommand) -> String {
        switch outcome {
        case .granted(let seq): "granted \(command.orderID) \(command.points) at \(seq)"
        case .replayed(let seq): "replayed \(command.orderID) \(command.points) at \(seq)"
        case .refused(let error): "refused \(error.code)"
        }
    }

    @Test("A batch over several chunks decides exactly as one pass over the domain, repeats across chunks included")
    func chunkedBatchMatchesOnePass() async throws {
        let directory = PointServiceTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let service = try PointService.open(dataDirectory: directory)
        defer { service.close() }
        let scenario = try await PointServiceTests.onboard(service)
        let count = PointService.batchChunkGrants * 2 + 37
        var orderIDs = (0..<count).map { "chunk-\($0)" }
        orderIDs[PointService.batchChunkGrants + 3] = "chunk-5"       // repeats item 5 in a later chunk
        orderIDs[PointService.batchChunkGrants * 2 + 1] = "chunk-7"   // repeats item 7, same points: see below
        var commands = Self.commands(orderIDs, scenario: scenario)
        let conflictIndex = PointService.batchChunkGrants + 3   // same orderId as item 5, other points: refused
        commands[conflictIndex] = GrantPointsCommand(merchantID: PointServiceTests.merchant, orderID: "chunk-5", recipient: .member("m-1"),
                                                     scenarioID: scenario, points: commands[5].points + 1)
        let repeatIndex = PointService.batchChunkGrants * 2 + 1
        commands[repeatIndex] = GrantPointsCommand(merchantID: PointServiceTests.merchant, orderID: "chunk-7", recipient: .member("m-1"),
                                                   scenarioID: scenario, points: commands[7].points)
        var reference = service.read { PointsDomainSnapshot($0) }.domain
        var nextSeq = service.ledger.enqueuedSeq
        let expected = try reference.grantBatch(commands, now: service.clock.now()) { _ throws(DomainError) in
            nextSeq += 1
            return (nextSeq, service.clock.now())
        }
        let outcomes = try await service.grantBatch(commands)
        let shapes = zip(outcomes, commands).map(Self.shape)
        #expect(outcomes.count == commands.count)
        #expect(shapes == zip(expected, commands).map(Self.shape))
        #expect(shapes.contains("refused order_id_conflict"))
        // The repeated item replays the record of item 7 (written in the first chunk).
        guard case .granted(let seventh) = outcomes[7] else { Issue.record("item 7 was not granted: \(outcomes[7])"); return }
        #expect(shapes[repeatIndex] == "replayed chunk-7 \(commands[7].points) at \(seventh)")
        #expect(service.ledger.durableSeq == service.ledger.enqueuedSeq)
    }

    @Test("A merchant that goes live between two chunks of a batch: the rest of the batch is refused, not granted in production")
    func goLiveBetweenChunks() async throws {
        let directory = PointServiceTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let service = try PointService.open(dataDirectory: directory)
        defer { service.close() }
        let scenario = try await PointServiceTests.onboard(service)
        let chunk = PointService.batchChunkGrants
        var orderIDs = (0..<(chunk + 10)).map { "live-\($0)" }
        orderIDs[chunk + 2] = "live-3"   // repeats item 3, same points: a replay if decided in the sandbox
        let commands = Self.commands(orderIDs, scenario: scenario, points: { _ in 2 })
        let outcomes = try await service.grantBatch(commands, betweenChunks: {
            do {
                _ = try await service.execute { domain, _ throws(DomainError) in
                    try domain.decide(OpenEnvironmentCommand(merchantID: PointServiceTests.merchant, environment: .production, officialAccountID: "@shop-live",
                                                             loginChannelID: "2000000002", linkedLoginChannelID: "2000000002", allowedSources: ["127.0.0.1"],
                                                             eligibility: .specialApproval(reference: "SP-1", approvedBy: "Reviewer")))
                }
            } catch {
                Issue.record("the go-live between the chunks failed: \(error)")
            }
        })
        #expect(service.read { $0.grantEnvironment(merchantID: PointServiceTests.merchant) } == .production, "the merchant went live mid-batch")
        #expect(outcomes.count == commands.count)
        #expect(outcomes.prefix(chunk).allSatisfy { if case .granted = $0 { true } else { false } })
        for outcome in outcomes.suffix(from: chunk) {
            guard case .refused(let error) = outcome else { Issue.record("an item after the go-live was decided: \(outcome)"); continue }
            #expect(error.code == "environment_changed")
            #expect(error.kind == .conflict)
        }
        // Nothing of the second chunk was written: the repeated orderId has its sandbox grant only.
        #expect(service.read { $0.grant(merchantID: PointServiceTests.merchant, environment: .sandbox, orderID: "live-3") } != nil)
        #expect(service.read { $0.grant(merchantID: PointServiceTests.merchant, environment: .production, orderID: "live-3") } == nil)
        #expect(service.read { $0.grant(merchantID: PointServiceTests.merchant, environment: .sandbox, orderID: "live-\(chunk)") } == nil)
        // Sent again as a new batch, the undecided items are granted in production.
        let again = try await service.grantBatch(Array(commands.suffix(from: chunk)))
        #expect(again.allSatisfy { if case .granted = $0 { true } else { false } })
        #expect(service.read { $0.grant(merchantID: PointServiceTests.merchant, environment: .production, orderID: "live-3") }?.points == 2)
    }

    @Test("A batch over several chunks holds its records until its last chunk: one commit, not one per chunk")
    func aBatchSharesOneCommit() async throws {
        let directory = PointServiceTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let commits = Mutex<[CommitStatistics]>([])
        // A long idle tick: the tick writes held records too, and must not fall inside the batch.
        let service = try PointService.open(dataDirectory: directory, options: LedgerOptions(idleTickMilliseconds: 60_000),
                                            commitObserver: { statistics in commits.withLock { $0.append(statistics) } })
        defer { service.close() }
        let scenario = try await PointServiceTests.onboard(service)
        let startSeq = service.ledger.durableSeq
        // Let the writer go back to waiting (it reports a commit after resuming its waiters).
        try await Task.sleep(for: .milliseconds(50))
        let count = PointService.batchChunkGrants * 5 + 3
        let outcomes = try await service.grantBatch(Self.commands((0..<count).map { "whole-\($0)" }, scenario: scenario))
        #expect(outcomes.count == count)
        let lastSeq = service.ledger.enqueuedSeq
        #expect(service.ledger.durableSeq == lastSeq)
        // The commit observer runs after the waiters resume: wait (bounded) for the last report.
        for _ in 0..<1_000 where commits.withLock({ $0.last?.durableSeq ?? 0 }) < lastSeq { try await Task.sleep(for: .milliseconds(2)) }
        let batchCommits = commits.withLock { $0.filter { $0.durableSeq > startSeq } }
        #expect(batchCommits.reduce(0) { $0 + $1.records } == count)
        // The chunks' records are held until the batch releases them: one commit (a writer
        // released per chunk would make six).
        #expect(batchCommits.count == 1, "commits of the batch: \(batchCommits.map(\.records))")
    }

    @Test("A batch's grants reach the settlement in runs exactly as folding its records one by one would")
    func aBatchSettlesAsItsRecordsFoldOneByOne() async throws {
        let directory = PointServiceTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let service = try PointService.open(dataDirectory: directory)
        let scenario = try await PointServiceTests.onboard(service)
        var commands = Self.commands((0..<300).map { "run-\($0)" }, scenario: scenario, points: { $0 % 7 + 1 })
        // A refusal and a replay inside the run: they write nothing, the run goes on around them.
        commands[140] = GrantPointsCommand(merchantID: PointServiceTests.merchant, orderID: "run-5", recipient: .member("m-1"),
                                           scenarioID: scenario, points: commands[5].points + 1)
        commands[141] = commands[6]
        _ = try await service.grantBatch(commands)
        let month = try BillingMonth(containingLedgerTime: service.clock.now())
        let live = service.readSettlement { _, settlement in Result { () throws(BillingError) in try settlement.preview(month) } }
        service.close()
        var folded = SettlementFold()
        let ledger = try Ledger.open(directory: directory + "/ledger", replay: { (record) throws(LedgerError) in
            guard let event = try? DomainEvent.decode(type: record.type, canonicalData: record.data) else { return }
            try? folded.apply(event, seq: record.seq, time: record.time, revokedGrant: nil)
        })
        ledger.close()
        let expected = try folded.preview(month)
        #expect(expected.flatMap(\.lines).contains { $0.events?.count == 298 }, "\(expected)")
        #expect(try live.get() == expected)
    }

    /// The bytes of the longest grant record the test below writes (its line and newline).
    static func lineBytesOfAGrant() async throws -> Int {
        let directory = PointServiceTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let service = try PointService.open(dataDirectory: directory)
        defer { service.close() }
        let scenario = try await PointServiceTests.onboard(service)
        _ = try await service.grantBatch(Self.commands(["held-299"], scenario: scenario, points: { _ in 1 }))
        let segment = directory + "/ledger/" + SegmentDirectory.fileName(firstSeq: 1)
        let lines = try String(contentsOfFile: segment, encoding: .utf8).split(separator: "\n")
        return (lines.last?.utf8.count ?? 400) + 1 + 8   // a few more digits of seq and time to spare
    }

    @Test("A ledger refusal in a later chunk fails the batch, frees its turn, and a resend replays what was written")
    func aRefusalInALaterChunkFreesTheTurn() async throws {
        let directory = PointServiceTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let disk = SyncHoldingFileSystem()
        // Room for 160 records waiting for the disk: a chunk (128) fits, the 172 records behind
        // it don't — so whether or not the writer took the first chunk before its sync was held,
        // a later chunk overflows the room; and a resend in parts of 100 always fits.
        let room = try await Self.lineBytesOfAGrant() * 160
        let service = try PointService.open(dataDirectory: directory, options: LedgerOptions(maxPendingBytes: room), fileSystem: disk)
        defer { service.close() }
        let scenario = try await PointServiceTests.onboard(service)
        let first = Self.commands((0..<300).map { "held-\($0)" }, scenario: scenario, points: { _ in 1 })
        let second = Self.commands((0..<10).map { "next-\($0)" }, scenario: scenario, points: { _ in 1 })
        disk.hold()
        var refusal: ServiceError?
        do { _ = try await service.grantBatch(first) } catch { refusal = error }
        guard case .ledger(.overloaded)? = refusal else {
            disk.release()   // else closing would wait for the held sync for ever
            Issue.record("expected the ledger to refuse as overloaded, got \(String(describing: refusal))")
            return
        }
        #expect(service.ledger.enqueuedSeq > 0)
        disk.release()
        // What the refused batch enqueued drains to the disk (else the next batch could find the
        // room still full and be refused as overloaded, rightly, but not what this test is about).
        for _ in 0..<1_000 where service.ledger.durableSeq < service.ledger.enqueuedSeq { try await Task.sleep(for: .milliseconds(5)) }
        #expect(service.ledger.durableSeq == service.ledger.enqueuedSeq)
        // The turn was given back: the next batch is decided, not left waiting for it (a batch
        // that kept its turn would make this wait forever; the race below fails it instead).
        let next = try await withThrowingTaskGroup(of: [GrantOutcome]?.self) { group in
            group.addTask { try await service.grantBatch(second) }
            group.addTask { try await Task.sleep(for: .seconds(30)); return nil }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        let nextOutcomes = try #require(next, "the next batch did not get its turn within 30 s")
        #expect(nextOutcomes.allSatisfy { if case .granted = $0 { true } else { false } })
        // Resending the refused batch (in parts that fit the room): what it wrote replays, the rest is granted.
        var resent: [GrantOutcome] = []
        for start in stride(from: 0, to: first.count, by: 100) {
            resent += try await service.grantBatch(Array(first[start..<min(first.count, start + 100)]))
        }
        let replayed = resent.filter { if case .replayed = $0 { true } else { false } }.count
        let granted = resent.filter { if case .granted = $0 { true } else { false } }.count
        #expect(replayed >= PointService.batchChunkGrants && replayed < first.count)
        #expect(replayed + granted == first.count)
    }

    @Test func concurrentBatchesEachGrantEveryItemOnce() async throws {
        let directory = PointServiceTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let service = try PointService.open(dataDirectory: directory)
        let scenario = try await PointServiceTests.onboard(service)
        let before = service.ledger.enqueuedSeq
        let perBatch = PointService.batchChunkGrants + 50
        let results = try await withThrowingTaskGroup(of: [GrantOutcome].self) { group in
            for batch in 0..<4 {
                group.addTask {
                    try await service.grantBatch(Self.commands((0..<perBatch).map { "b\(batch)-\($0)" }, scenario: scenario, points: { _ in 1 }))
                }
            }
            var all: [GrantOutcome] = []
            for try await outcomes in group { all.append(contentsOf: outcomes) }
            return all
        }
        let granted = results.compactMap { outcome -> UInt64? in if case .granted(let seq) = outcome { seq } else { nil } }
        #expect(granted.count == 4 * perBatch)
        #expect(Set(granted) == Set((before + 1)...(before + UInt64(4 * perBatch))))
        let live = service.read { PointsDomainSnapshot($0) }
        service.close()
        let reopened = try PointService.open(dataDirectory: directory)
        defer { reopened.close() }
        #expect(reopened.read { PointsDomainSnapshot($0) } == live)
    }
}
