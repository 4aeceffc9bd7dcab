import PointCollections
import Synchronization

/// Why ``NonceReplayCache`` refused to record a nonce.
public enum NonceReplayError: Error, Sendable, Equatable {
    /// The nonce was already recorded for this key id and is still remembered.
    case replayed
    /// The cache holds `capacity` live nonces; it refuses new ones rather than forget old ones early.
    case capacityExhausted(capacity: Int)
}

/// Remembers `(key id, nonce)` pairs so that a signed request cannot be replayed.
///
/// **Window.** A recorded nonce is refused again for at least `window` (default 5 minutes) after it
/// was recorded, or until `retainUntil` if that is later (the authenticator passes the end of a
/// timestamped nonce's freshness window, capped at `now + 2 × window`). Expiry is by generation:
/// entries are grouped into slots of `window / 8`, and a slot is dropped as a whole once all of its
/// entries have expired, so a nonce may be remembered up to `window / 8` longer than required.
///
/// **Memory.** At most `capacity` nonces are held (default 16,000,000: the 5-minute window — up to
/// 337.5 s with the generation slack — at 47,000 signed requests/s sustained, 3.4× the measured
/// peak of single grants; spread over `shardCount` shards by hash, each holding
/// `capacity / shardCount`). Each is stored as a 64-bit keyed fingerprint, about 16–24 bytes with
/// hash-table overhead, so a full cache costs ≤ ~400 MB; the tables grow only with the load.
/// When a shard is full the cache **fails closed** with `.capacityExhausted` (answer 503) instead
/// of evicting live nonces. A fingerprint collision (≈ count / 2⁶⁴ per request) can only refuse
/// a genuine request, never accept a replay.
///
/// **Concurrency.** Shards are independent `Mutex`es; a record costs one hash, one lock and a
/// handful of set probes.
public final class NonceReplayCache: Sendable {
    /// The default replay window.
    public static let defaultWindow: Duration = .seconds(300)
    /// The default capacity in nonces.
    public static let defaultCapacity = 16_000_000

    /// How long a nonce is remembered at least.
    public let window: Duration
    /// Most nonces held at once (the sum over shards).
    public let capacity: Int

    private let windowMilliseconds: Int64
    private let generationMilliseconds: Int64
    private let shardCapacity: Int
    private let shards: [Shard]
    private let clock: any APIClock
    private let salt: UInt64

    /// A cache remembering nonces for `window`, holding at most `capacity` of them.
    /// `window` is clamped to between one second and one day, `capacity` and `shardCount` to at least one.
    public init(
        window: Duration = NonceReplayCache.defaultWindow,
        capacity: Int = NonceReplayCache.defaultCapacity,
        shardCount: Int = 16,
        clock: any APIClock = SystemAPIClock()
    ) {
        let windowMilliseconds = min(86_400_000, max(1000, window.wholeMilliseconds))
        let shardCount = max(1, min(shardCount, max(1, capacity)))
        self.window = .milliseconds(windowMilliseconds)
        self.windowMilliseconds = windowMilliseconds
        self.generationMilliseconds = max(1, windowMilliseconds / 8)
        self.shardCapacity = max(1, (max(1, capacity) + shardCount - 1) / shardCount)
        self.capacity = shardCapacity * shardCount
        self.shards = (0..<shardCount).map { _ in Shard() }
        self.clock = clock
        self.salt = UInt64.random(in: .min ... .max)
    }

    /// Records `nonce` for `keyId`, or throws `.replayed` if it is remembered already, or
    /// `.capacityExhausted` if its shard is full. `retainUntil` (Unix ms) extends how long it is kept.
    public func record(keyId: String, nonce: String, retainUntil: Int64? = nil) throws(NonceReplayError) {
        let now = clock.unixMilliseconds()
        var expiry = now &+ windowMilliseconds
        if let retainUntil { expiry = max(expiry, min(retainUntil, now &+ 2 * windowMilliseconds)) }
        let fingerprint = self.fingerprint(keyId: keyId, nonce: nonce)
        let shard = shards[Int((fingerprint >> 32) % UInt64(shards.count))]
        let generation = expiry / generationMilliseconds
        let outcome: NonceReplayError? = shard.state.withLock { state in
            state.dropGenerations(before: now, generationMilliseconds: generationMilliseconds)
            return state.record(fingerprint, generation: generation, capacity: shardCapacity, totalCapacity: capacity)
        }
        if let outcome { throw outcome }
    }

    /// Whether `nonce` is currently remembered for `keyId` (expired slots are dropped first).
    public func contains(keyId: String, nonce: String) -> Bool {
        let now = clock.unixMilliseconds()
        let fingerprint = self.fingerprint(keyId: keyId, nonce: nonce)
        let shard = shards[Int((fingerprint >> 32) % UInt64(shards.count))]
        return shard.state.withLock { state in
            state.dropGenerations(before: now, generationMilliseconds: generationMilliseconds)
            return state.contains(fingerprint)
        }
    }

    /// How many nonces are held (expired slots are dropped first).
    public var count: Int {
        let now = clock.unixMilliseconds()
        return shards.reduce(0) { total, shard in
            total + shard.state.withLock { state in
                state.dropGenerations(before: now, generationMilliseconds: generationMilliseconds)
                return state.count
            }
        }
    }

    /// Each shard's slots: index and room (fingerprints its table holds before growing), for tests.
    var slotRoom: [[(index: Int64, room: Int)]] { shards.map { $0.state.withLock { $0.slotRoom } } }

    /// Seconds until the oldest slot expires: a sensible `Retry-After` when the cache is full.
    public var retryAfterSeconds: Int {
        Int(max(1, (generationMilliseconds + 999) / 1000))
    }

    private func fingerprint(keyId: String, nonce: String) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(salt)
        hasher.combine(keyId)
        hasher.combine(nonce)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    private final class Shard: Sendable {
        let state = Mutex(ShardState())
    }

    private struct ShardState {
        /// Slots in ascending order of `index` (an expiry time divided by the slot length).
        var generations: [(index: Int64, fingerprints: FingerprintSet)] = []
        var count = 0

        mutating func dropGenerations(before now: Int64, generationMilliseconds: Int64) {
            var dropped = 0
            for generation in generations {
                // Every entry in slot `index` expires before (index + 1) × length.
                guard (generation.index + 1) * generationMilliseconds <= now else { break }
                count -= generation.fingerprints.count
                dropped += 1
            }
            if dropped > 0 { generations.removeFirst(dropped) }
        }

        func contains(_ fingerprint: UInt64) -> Bool {
            generations.contains { $0.fingerprints.contains(fingerprint) }
        }

        /// Each slot's index and the fingerprints its table has room for (tests).
        var slotRoom: [(index: Int64, room: Int)] { generations.map { ($0.index, $0.fingerprints.capacity) } }

        /// Records `fingerprint` in slot `index` unless any slot holds it (`.replayed`) or the
        /// shard is full (`.capacityExhausted`, only for a fingerprint not held). The slot it
        /// joins is probed once, by the insertion itself.
        mutating func record(_ fingerprint: UInt64, generation index: Int64, capacity: Int, totalCapacity: Int) -> NonceReplayError? {
            for generation in generations where generation.index != index {
                if generation.fingerprints.contains(fingerprint) { return .replayed }
            }
            var position = generations.count
            while position > 0, generations[position - 1].index > index { position -= 1 }
            let joins = position > 0 && generations[position - 1].index == index
            guard count < capacity else {
                let held = joins && generations[position - 1].fingerprints.contains(fingerprint)
                return held ? .replayed : .capacityExhausted(capacity: totalCapacity)
            }
            if joins {
                guard generations[position - 1].fingerprints.insert(fingerprint) else { return .replayed }
            } else {
                // A slot that directly follows another is where plain nonces go next: sized like
                // that one, under a steady load it never grows (each growth copies the whole
                // table while the lock is held). A slot further ahead — made by a nonce retained
                // longer — starts small, so such nonces cannot make the cache reserve a busy
                // slot's worth of memory each.
                let follows = position > 0 && generations[position - 1].index == index - 1
                let expected = follows ? min(generations[position - 1].fingerprints.count, capacity - count) : 0
                var fingerprints = FingerprintSet(minimumCapacity: max(12, expected))
                fingerprints.insert(fingerprint)
                generations.insert((index: index, fingerprints: fingerprints), at: position)
            }
            count += 1
            return nil
        }
    }
}
