#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A lock with a condition, like `NSCondition`, whose mutex spins briefly before sleeping
/// (`PTHREAD_MUTEX_ADAPTIVE_NP`) and whose timed waits run on the monotonic clock.
///
/// The ledger's lock is taken by the threads that queue records (an event loop, for every
/// grant) and by its writer, each for a few instructions at a time. With a plain mutex, a
/// thread that finds it held goes to sleep in the kernel and must be woken again, a round trip
/// that costs far more than the hold it waited for; spinning first lets it take the lock as
/// soon as the holder on the other processor lets go.
final class AdaptiveCondition: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        var mutexAttributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&mutexAttributes)
        pthread_mutexattr_settype(&mutexAttributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
        let mutexStatus = pthread_mutex_init(mutex, &mutexAttributes)
        pthread_mutexattr_destroy(&mutexAttributes)
        var conditionAttributes = pthread_condattr_t()
        pthread_condattr_init(&conditionAttributes)
        pthread_condattr_setclock(&conditionAttributes, CLOCK_MONOTONIC)
        let conditionStatus = pthread_cond_init(condition, &conditionAttributes)
        pthread_condattr_destroy(&conditionAttributes)
        precondition(mutexStatus == 0 && conditionStatus == 0, "pthread_mutex_init/pthread_cond_init failed")
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func lock() {
        pthread_mutex_lock(mutex)
    }

    func unlock() {
        pthread_mutex_unlock(mutex)
    }

    /// Waits (the lock held) until signalled; may also return spuriously, like every condition wait.
    func wait() {
        pthread_cond_wait(condition, mutex)
    }

    /// Waits (the lock held) until signalled or until `deadline`; false once the deadline passed.
    func wait(until deadline: Date) -> Bool {
        let remaining = deadline.timeIntervalSinceNow
        guard remaining > 0 else { return false }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let total = Int64(now.tv_nsec) + Int64(min(remaining, 1e9) * 1e9)
        var until = timespec(tv_sec: now.tv_sec + Int(total / 1_000_000_000), tv_nsec: Int(total % 1_000_000_000))
        return pthread_cond_timedwait(condition, mutex, &until) != ETIMEDOUT
    }

    /// Wakes one waiter.
    func signal() {
        pthread_cond_signal(condition)
    }

    /// Wakes every waiter.
    func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
