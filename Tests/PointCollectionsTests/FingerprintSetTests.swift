import PointCollections
import Testing

/// The fingerprint set answers as a `Set<UInt64>` would, through growth, collisions in the low
/// bits and the fingerprint 0.
struct FingerprintSetTests {
    @Test func membershipMatchesASetThroughGrowth() {
        var set = FingerprintSet()
        var reference = Set<UInt64>()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let fingerprint = UInt64.random(in: .min ... .max, using: &generator)
            let inserted = set.insert(fingerprint)
            #expect(inserted == reference.insert(fingerprint).inserted)
        }
        #expect(set.count == reference.count)
        for fingerprint in reference { #expect(set.contains(fingerprint)) }
        for _ in 0..<20_000 {
            let probe = UInt64.random(in: .min ... .max, using: &generator)
            #expect(set.contains(probe) == reference.contains(probe))
        }
    }

    @Test func keysSharingTheirLowBitsAndZeroAreKeptApart() {
        var set = FingerprintSet(minimumCapacity: 4)
        // Equal low 32 bits: the same first slot for every table size here.
        let colliding = (1...200).map { UInt64($0) << 32 | 0x5 }
        var inserted = colliding.map { set.insert($0) }
        #expect(inserted.allSatisfy { $0 })
        #expect(!set.contains(0))
        inserted = [set.insert(0), set.insert(0), set.insert(colliding[17])]
        #expect(inserted == [true, false, false])
        #expect(set.count == colliding.count + 1)
        for fingerprint in colliding { #expect(set.contains(fingerprint)) }
        #expect(set.contains(0))
        #expect(!set.contains(UInt64(201) << 32 | 0x5))
        #expect(!set.contains(0x5))
    }
}
