import Foundation
import Testing
@testable import PointLedger

@Suite("AdaptiveCondition")
struct AdaptiveConditionTests {
    /// A counter only ever touched with the condition's lock held.
    final class Guarded: @unchecked Sendable {
        let condition = AdaptiveCondition()
        var value = 0
        var ready = false
    }

    @Test func excludesConcurrentHolders() async {
        let guarded = Guarded()
        let rounds = 200_000
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    for _ in 0..<rounds {
                        guarded.condition.lock()
                        guarded.value += 1
                        guarded.condition.unlock()
                    }
                }
            }
        }
        #expect(guarded.value == 2 * rounds)
    }

    @Test func aTimedWaitWithoutSignalTimesOut() {
        let condition = AdaptiveCondition()
        let started = Date()
        condition.lock()
        let signalled = condition.wait(until: Date(timeIntervalSinceNow: 0.05))
        condition.unlock()
        #expect(signalled == false)
        #expect(Date().timeIntervalSince(started) >= 0.04)
        condition.lock()
        #expect(condition.wait(until: Date(timeIntervalSinceNow: -1)) == false)
        condition.unlock()
    }

    @Test func aSignalWakesAWaiterBeforeItsDeadline() {
        let guarded = Guarded()
        let waiter = Thread {
            Thread.sleep(forTimeInterval: 0.02)
            guarded.condition.lock()
            guarded.ready = true
            guarded.condition.signal()
            guarded.condition.unlock()
        }
        let started = Date()
        guarded.condition.lock()
        waiter.start()
        while !guarded.ready {
            if !guarded.condition.wait(until: Date(timeIntervalSinceNow: 10)) { break }
        }
        let ready = guarded.ready
        guarded.condition.unlock()
        #expect(ready)
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func aBroadcastWakesEveryWaiter() {
        let guarded = Guarded()
        let waiters = 3
        let woken = Guarded()
        for _ in 0..<waiters {
            Thread {
                guarded.condition.lock()
                while !guarded.ready { guarded.condition.wait() }
                guarded.condition.unlock()
                woken.condition.lock()
                woken.value += 1
                woken.condition.broadcast()
                woken.condition.unlock()
            }.start()
        }
        Thread.sleep(forTimeInterval: 0.05)
        guarded.condition.lock()
        guarded.ready = true
        guarded.condition.broadcast()
        guarded.condition.unlock()
        woken.condition.lock()
        while woken.value < waiters {
            if !woken.condition.wait(until: Date(timeIntervalSinceNow: 10)) { break }
        }
        let count = woken.value
        woken.condition.unlock()
        #expect(count == waiters)
    }
}
