import Testing
@testable import PointAPI

@Suite struct NonceReplayCacheTests {
    @Test func refusesANonceSeenForTheSameKeyWithinTheWindow() throws {
        let clock = ManualAPIClock(unixMilliseconds: Fixture.now)
        let cache = NonceReplayCache(window: .seconds(300), capacity: 100, shardCount: 4, clock: clock)
        try cache.record(keyId: "a", nonce: "n1")
        #expect(throws: NonceReplayError.replayed) { try cache.record(keyId: "a", nonce: "n1") }
        // Same nonce, other key: independent.
        try cache.record(keyId: "b", nonce: "n1")
        clock.advance(milliseconds: 299_999)
        #expect(throws: NonceReplayError.replayed) { try cache.record(keyId: "a", nonce: "n1") }
        #expect(cache.contains(keyId: "a", nonce: "n1"))
    }

    @Test func forgetsNoncesOnlyAfterTheWindowPlusOneSlot() throws {
        let clock = ManualAPIClock(unixMilliseconds: Fixture.now)
        let cache = NonceReplayCache(window: .seconds(80), capacity: 100, shardCount: 1, clock: clock)
        try cache.record(keyId: "a", nonce: "n1")
        #expect(cache.count == 1)
        clock.advance(milliseconds: 80_000 + 10_000)   // window + window/8: certainly dropped
        #expect(cache.count == 0)
        try cache.record(keyId: "a", nonce: "n1")
    }

    @Test func retainUntilExtendsButIsCapped() throws {
        let clock = ManualAPIClock(unixMilliseconds: Fixture.now)
        let cache = NonceReplayCache(window: .seconds(80), capacity: 100, shardCount: 1, clock: clock)
        try cache.record(keyId: "a", nonce: "late", retainUntil: Fixture.now + 150_000)
        try cache.record(keyId: "a", nonce: "far", retainUntil: Fixture.now + 10_000_000)
        clock.advance(milliseconds: 140_000)
        #expect(cache.contains(keyId: "a", nonce: "late"))
        #expect(cache.contains(keyId: "a", nonce: "far"))
        clock.advance(milliseconds: 40_000)   // 180 s: past 2 × window + slot
        #expect(!cache.contains(keyId: "a", nonce: "late"))
        #expect(!cache.contains(keyId: "a", nonce: "far"))
    }

    @Test func failsClosedWhenFullInsteadOfForgetting() throws {
        let clock = ManualAPIClock(unixMilliseconds: Fixture.now)
        let cache = NonceReplayCache(window: .seconds(60), capacity: 3, shardCount: 1, clock: clock)
        for index in 0..<3 { try cache.record(keyId: "a", nonce: "n\(index)") }
        #expect(throws: NonceReplayError.capacityExhausted(capacity: 3)) { try cache.record(keyId: "a", nonce: "n3") }
        // Still remembers every earlier nonce.
        #expect(throws: NonceReplayError.replayed) { try cache.record(keyId: "a", nonce: "n0") }
        clock.advance(milliseconds: 70_000)
        try cache.record(keyId: "a", nonce: "n3")
    }

    @Test func aNonceHeldInAnySlotIsRefusedWhicheverSlotItsResendWouldJoinFullOrNot() throws {
        let clock = ManualAPIClock(unixMilliseconds: Fixture.now)
        let cache = NonceReplayCache(window: .seconds(80), capacity: 4, shardCount: 1, clock: clock)
        // "late" sits in a later slot than a plain resend would join; "plain" in an earlier one
        // than a resend retained longer would join.
        try cache.record(keyId: "a", nonce: "late", retainUntil: Fixture.now + 150_000)
        try cache.record(keyId: "a", nonce: "plain")
        #expect(throws: NonceReplayError.replayed) { try cache.record(keyId: "a", nonce: "late") }
        #expect(throws: NonceReplayError.replayed) { try cache.record(keyId: "a", nonce: "plain", retainUntil: Fixture.now + 150_000) }
        clock.advance(milliseconds: 20_000)   // a later slot for plain nonces, none expired
        try cache.record(keyId: "a", nonce: "next")
        try cache.record(keyId: "a", nonce: "fourth")
        #expect(cache.count == 4)
        // Full: a held nonce is still a replay wherever it is; only a new one finds the cache full.
        #expect(throws: NonceReplayError.replayed) { try cache.record(keyId: "a", nonce: "plain") }
        #expect(throws: NonceReplayError.replayed) { try cache.record(keyId: "a", nonce: "next") }
        #expect(throws: NonceReplayError.replayed) { try cache.record(keyId: "a", nonce: "late") }
        #expect(throws: NonceReplayError.capacityExhausted(capacity: 4)) { try cache.record(keyId: "a", nonce: "new") }
        #expect(cache.count == 4)
    }

    @Test func aBusySlotHoldsEveryNonceItWasGiven() throws {
        let clock = ManualAPIClock(unixMilliseconds: Fixture.now)
        let cache = NonceReplayCache(window: .seconds(80), capacity: 1_000_000, shardCount: 1, clock: clock)
        for index in 0..<5_000 { try cache.record(keyId: "a", nonce: "first-\(index)") }
        clock.advance(milliseconds: 10_000)   // the next slot starts sized like the first
        for index in 0..<6_000 { try cache.record(keyId: "a", nonce: "second-\(index)") }
        #expect(cache.count == 11_000)
        for index in stride(from: 0, to: 6_000, by: 7) {
            #expect(cache.contains(keyId: "a", nonce: "second-\(index)"))
            if index < 5_000 { #expect(cache.contains(keyId: "a", nonce: "first-\(index)")) }
        }
        #expect(throws: NonceReplayError.replayed) { try cache.record(keyId: "a", nonce: "second-5999") }
    }

    @Test func onlyTheSlotFollowingABusyOneStartsLarge() throws {
        let clock = ManualAPIClock(unixMilliseconds: Fixture.now)
        let cache = NonceReplayCache(window: .seconds(80), capacity: 1_000_000, shardCount: 1, clock: clock)
        for index in 0..<5_000 { try cache.record(keyId: "a", nonce: "busy-\(index)") }
        let busy = try #require(cache.slotRoom[0].last)
        #expect(busy.room >= 5_000)
        // A nonce retained longer opens a slot far ahead: it starts small.
        try cache.record(keyId: "a", nonce: "ahead-1", retainUntil: Fixture.now + 150_000)
        let ahead = try #require(cache.slotRoom[0].last)
        #expect(ahead.index > busy.index + 1 && ahead.room == 12)
        // The next plain slot directly follows the busy one: sized like it, though not the last slot.
        clock.advance(milliseconds: 10_000)
        try cache.record(keyId: "a", nonce: "next")
        let next = try #require(cache.slotRoom[0].first { $0.index == busy.index + 1 })
        #expect(next.room >= 5_000)
        // Another far slot follows only the small one: small again.
        try cache.record(keyId: "a", nonce: "ahead-2", retainUntil: Fixture.now + 160_000)
        #expect(cache.slotRoom[0].last.map { $0.index == ahead.index + 1 && $0.room == 12 } == true)
        #expect(cache.count == 5_003)
    }

    @Test func extremeWindowsAreClamped() throws {
        let clock = ManualAPIClock(unixMilliseconds: Fixture.now)
        let huge = NonceReplayCache(window: .seconds(Int64.max), capacity: 10, clock: clock)
        #expect(huge.window == .seconds(86_400))
        try huge.record(keyId: "a", nonce: "n")
        #expect(huge.contains(keyId: "a", nonce: "n"))
        #expect(NonceReplayCache(window: .zero, capacity: 10, clock: clock).window == .seconds(1))
    }

    @Test func concurrentRecordersAcceptEachNonceExactlyOnce() async {
        let cache = NonceReplayCache(window: .seconds(300), capacity: 100_000, shardCount: 8,
                                     clock: ManualAPIClock(unixMilliseconds: Fixture.now))
        let accepted = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var count = 0
                    for index in 0..<2_000 where (try? cache.record(keyId: "k", nonce: "n\(index)")) != nil {
                        count += 1
                    }
                    return count
                }
            }
            return await group.reduce(0, +)
        }
        #expect(accepted == 2_000)
        #expect(cache.count == 2_000)
    }
}
