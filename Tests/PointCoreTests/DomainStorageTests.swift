import Testing
@testable import PointCore

/// The domain's storage building blocks: the order ID arena, the fingerprint
/// index that grows incrementally, and what is built on them. Each must keep every entry
/// reachable at every step of growing, and forget exactly what was removed.
struct DomainStorageTests {
    @Test func orderIDArenaStartsANewChunkRatherThanSplittingAnID() {
        var arena = OrderIDArena()
        let long = Array(repeating: UInt8(ascii: "x"), count: OrderIDArena.maxIDBytes)
        var references: [UInt32] = []
        // Enough 255-byte IDs to spill into a second chunk.
        let count = OrderIDArena.chunkBytes / OrderIDArena.maxIDBytes + 2
        for index in 0..<count {
            var bytes = long
            bytes[0] = UInt8(index % 256)
            bytes[1] = UInt8(index / 256 % 256)
            references.append(bytes.withUnsafeBufferPointer { arena.append($0) })
        }
        #expect(arena.reservedBytes == 2 * OrderIDArena.chunkBytes)
        #expect(references.contains { $0 >> 20 == 1 && $0 & 0xF_FFFF == 0 }, "the first ID that does not fit starts chunk 1")
        for (index, reference) in references.enumerated() {
            var bytes = long
            bytes[0] = UInt8(index % 256)
            bytes[1] = UInt8(index / 256 % 256)
            #expect(arena.string(reference, length: bytes.count) == String(decoding: bytes, as: UTF8.self))
            #expect(bytes.withUnsafeBufferPointer { arena.equals(reference, length: bytes.count, $0) })
        }
        #expect(!arena.hasRoom(forBytes: OrderIDArena.maxIDBytes + 1))
        #expect(arena.hasRoom(forBytes: OrderIDArena.maxIDBytes))
    }

    /// Keys with deliberately colliding fingerprints (every third key shares one with its
    /// neighbour) so probe runs cross the positions being moved.
    private static func fingerprint(of key: Int) -> UInt32 {
        var value = UInt64(key / 3 * 3) &* 0x9E37_79B9_7F4A_7C15
        value ^= value >> 29
        return UInt32(truncatingIfNeeded: value)
    }

    /// Inserts `key` under slot `key`, as the index's callers do: reserve, then insert.
    private static func add(_ key: Int, to index: inout FingerprintIndex) {
        index.reserveOne()
        index.insert(fingerprint: fingerprint(of: key), slot: key)
    }

    @Test func indexFindsEveryKeyAtEveryStepOfGrowing() {
        var index = FingerprintIndex(initialCapacity: 16)
        var keys: [Int] = []
        var sawGrowing = false
        for key in 0..<40_000 {
            index.reserveOne()
            let fingerprint = Self.fingerprint(of: key)
            #expect(index.find(fingerprint: fingerprint) { keys[$0] == key } == nil)
            index.insert(fingerprint: fingerprint, slot: keys.count)
            keys.append(key)
            if index.isGrowing {
                sawGrowing = true
                // While two tables exist, a sample of old and new keys must all be found.
                for probe in stride(from: key % 97, to: keys.count, by: 97) {
                    let found = index.find(fingerprint: Self.fingerprint(of: probe)) { keys[$0] == probe }
                    #expect(found == probe, "key \(probe) lost while growing at \(key)")
                }
            }
        }
        #expect(sawGrowing)
        #expect(index.count == 40_000)
        #expect(index.capacity >= 80_000 && index.capacity & (index.capacity - 1) == 0)
        for key in 0..<40_000 {
            #expect(index.find(fingerprint: Self.fingerprint(of: key)) { keys[$0] == key } == key)
        }
        #expect(index.find(fingerprint: Self.fingerprint(of: 40_001)) { keys[$0] == 40_001 } == nil)
    }

    @Test func indexCopiesAreIndependent() {
        var original = FingerprintIndex(initialCapacity: 16)
        for key in 0..<10 {
            Self.add(key, to: &original)
        }
        var copy = original
        Self.add(10, to: &copy)
        #expect(copy.find(fingerprint: Self.fingerprint(of: 10)) { $0 == 10 } == 10)
        #expect(original.find(fingerprint: Self.fingerprint(of: 10)) { $0 == 10 } == nil)
        #expect(original.count == 10)
    }

    @Test func grantStoreRefusesDuplicatesAcrossGrowthAndKeepsOrderIDs() {
        var store = GrantStore()
        let total = 150_000
        for index in 0..<total {
            let slot = store.addIfAbsent(merchant: UInt32(index % 3), environment: .sandbox, orderID: "ORD-\(index)", binding: 1, scenario: 2,
                                         points: 5, seq: UInt64(index + 1), time: Int64(index))
            #expect(slot == index)
        }
        #expect(store.count == total)
        for index in stride(from: 0, to: total, by: 1_009) {
            #expect(store.find(merchant: UInt32(index % 3), environment: .sandbox, orderID: "ORD-\(index)") == index)
            #expect(store.find(merchant: UInt32((index + 1) % 3), environment: .sandbox, orderID: "ORD-\(index)") == nil, "another merchant's order")
            #expect(store.find(merchant: UInt32(index % 3), environment: .production, orderID: "ORD-\(index)") == nil, "another environment's order")
            #expect(store.orderID(of: index) == "ORD-\(index)")
            #expect(store.addIfAbsent(merchant: UInt32(index % 3), environment: .sandbox, orderID: "ORD-\(index)", binding: 1, scenario: 2,
                                      points: 5, seq: 0, time: 0) == nil)
        }
        #expect(store.count == total)
        // The same merchant and orderId in production is another grant.
        let production = store.addIfAbsent(merchant: 0, environment: .production, orderID: "ORD-0", binding: 1, scenario: 2,
                                           points: 5, seq: UInt64(total + 1), time: 0)
        #expect(production == total)
        #expect(store.find(merchant: 0, environment: .production, orderID: "ORD-0") == total)
        #expect(store.find(merchant: 0, environment: .sandbox, orderID: "ORD-0") == 0)
        store.addRevoked(7, points: 3)
        #expect(store.slots[7].revoked == 3)
    }

    @Test func indexRemovalLeavesOtherKeysReachableAndAllowsReinsertion() {
        var index = FingerprintIndex(initialCapacity: 16)
        var keys: [Int] = []
        var live = Set<Int>()
        var removedWhileGrowing = 0
        for key in 0..<30_000 {
            index.reserveOne()
            index.insert(fingerprint: Self.fingerprint(of: key), slot: keys.count)
            keys.append(key)
            live.insert(key)
            // Remove an earlier key now and then, including while two tables exist.
            if key % 5 == 4 {
                let victim = key - 3
                if index.isGrowing { removedWhileGrowing += 1 }
                index.remove(fingerprint: Self.fingerprint(of: victim), slot: victim)
                live.remove(victim)
            }
        }
        #expect(removedWhileGrowing > 0)
        #expect(index.count == live.count)
        for key in 0..<30_000 {
            let found = index.find(fingerprint: Self.fingerprint(of: key)) { keys[$0] == key }
            #expect(found == (live.contains(key) ? key : nil), "key \(key)")
        }
        #expect(index.sortedLiveSlots() == live.sorted())
        // A removed key can come back under a new slot.
        index.reserveOne()
        index.insert(fingerprint: Self.fingerprint(of: 1), slot: keys.count)
        keys.append(1)
        #expect(index.find(fingerprint: Self.fingerprint(of: 1)) { keys[$0] == 1 } == keys.count - 1)
        #expect(index.count == live.count + 1)
    }

    @Test func indexRemovalInACopyLeavesTheOriginalIntact() {
        var original = FingerprintIndex(initialCapacity: 16)
        for key in 0..<6 {
            Self.add(key, to: &original)
        }
        var copy = original
        copy.remove(fingerprint: Self.fingerprint(of: 2), slot: 2)
        #expect(copy.find(fingerprint: Self.fingerprint(of: 2)) { $0 == 2 } == nil)
        #expect(original.find(fingerprint: Self.fingerprint(of: 2)) { $0 == 2 } == 2)
    }

    @Test func userMonthTotalsAddUpPerKeyAcrossGrowth() {
        var totals = UserMonthTotals()
        for round in 0..<3 {
            for binding in 0..<5_000 {
                totals.add(Int64(binding % 7 + 1), binding: UInt32(binding), scenario: UInt32(binding % 4), month: Int32(24_000 + round % 2))
            }
        }
        // Rounds 0 and 2 share a month; round 1 is the next month.
        #expect(totals.count == 10_000)
        #expect(totals.points(binding: 6, scenario: 2, month: 24_000) == 2 * 7)
        #expect(totals.points(binding: 6, scenario: 2, month: 24_001) == 7)
        #expect(totals.points(binding: 6, scenario: 1, month: 24_000) == 0, "another scenario")
        #expect(totals.points(binding: 5_000, scenario: 0, month: 24_000) == 0, "an unknown binding")
    }

    /// A copy made while the next table is being prepared shares it; each copy must still grow
    /// into a table of its own.
    @Test func copiesMadeWhileTheNextTableIsPreparedGrowApart() {
        var original = FingerprintIndex(initialCapacity: 1_024)
        // 3/8 of 1,024 = 384: past it the next table exists; the switch comes at 512.
        for key in 0..<400 {
            Self.add(key, to: &original)
        }
        var copy = original
        for key in 400..<700 {
            Self.add(key, to: &copy)
        }
        for key in 1_000..<1_300 {
            Self.add(key, to: &original)
        }
        #expect(copy.capacity > 1_024 && original.capacity > 1_024)
        for key in 0..<400 {
            #expect(original.find(fingerprint: Self.fingerprint(of: key)) { $0 == key } == key)
            #expect(copy.find(fingerprint: Self.fingerprint(of: key)) { $0 == key } == key)
        }
        for key in 400..<700 {
            #expect(copy.find(fingerprint: Self.fingerprint(of: key)) { $0 == key } == key)
            #expect(original.find(fingerprint: Self.fingerprint(of: key)) { $0 == key } == nil, "the copy's key \(key) leaked")
        }
        for key in 1_000..<1_300 {
            #expect(original.find(fingerprint: Self.fingerprint(of: key)) { $0 == key } == key)
            #expect(copy.find(fingerprint: Self.fingerprint(of: key)) { $0 == key } == nil, "the original's key \(key) leaked")
        }
    }

    /// Events are decoded and copied by the million when the ledger is read: one is no larger
    /// than a grant's payload and its case tag (the large, rare cases are boxed).
    @Test func anEventIsTheSizeOfAGrant() {
        #expect(MemoryLayout<DomainEvent>.size <= MemoryLayout<PointsGranted>.size + 1)
        #expect(MemoryLayout<ScenarioSubmitted>.size > MemoryLayout<PointsGranted>.size, "the boxed cases are the larger ones")
    }

    @Test func fingerprintsAreSeededPerProcess() {
        // The same key hashed without the seed: FNV-1a and the same finishing mix as KeyFingerprint.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ 7
        for byte in "ORD-1".utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        #expect(KeyFingerprint.of(merchant: 7, "ORD-1") != UInt32(truncatingIfNeeded: hash), "positions can't be computed outside the process")
        #expect(KeyFingerprint.of(merchant: 7, "ORD-1") == KeyFingerprint.of(merchant: 7, "ORD-1"))
    }
}
