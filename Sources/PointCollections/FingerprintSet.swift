/// A set of 64-bit fingerprints that are already uniformly distributed (salted hashes), so their
/// own bits choose the slot: open addressing with linear probing, no hashing of its own, no
/// removal (a set is dropped whole). At most three quarters full; it doubles past that.
///
/// `Set<UInt64>` hashes every key again with SipHash on each lookup; for keys that are hashes
/// already, that is the larger part of a lookup.
public struct FingerprintSet: Sendable {
    /// Slots; 0 marks an empty one (the fingerprint 0 is kept in `containsZero`).
    private var slots: [UInt64]
    private var containsZero = false
    /// How many fingerprints are in the set.
    public private(set) var count = 0

    /// How many fingerprints fit before the set next grows.
    public var capacity: Int { slots.count * 3 / 4 }

    /// An empty set with room for `minimumCapacity` fingerprints before it first grows.
    public init(minimumCapacity: Int = 12) {
        var size = 16
        while size * 3 / 4 < minimumCapacity { size *= 2 }
        slots = [UInt64](repeating: 0, count: size)
    }

    /// Whether `fingerprint` is in the set.
    public func contains(_ fingerprint: UInt64) -> Bool {
        if fingerprint == 0 { return containsZero }
        return slots.withUnsafeBufferPointer { slots in
            let mask = slots.count - 1
            var index = Int(truncatingIfNeeded: fingerprint) & mask
            while true {
                let stored = slots[index]
                if stored == fingerprint { return true }
                if stored == 0 { return false }
                index = (index + 1) & mask
            }
        }
    }

    /// Adds `fingerprint`; false if it was already there.
    @discardableResult
    public mutating func insert(_ fingerprint: UInt64) -> Bool {
        if fingerprint == 0 {
            guard !containsZero else { return false }
            containsZero = true
            count += 1
            return true
        }
        if (count + 1) * 4 > slots.count * 3 { grow() }
        guard Self.place(fingerprint, in: &slots) else { return false }
        count += 1
        return true
    }

    /// Puts `fingerprint` (not 0) in its slot; false if it is there already. The table has a free slot.
    private static func place(_ fingerprint: UInt64, in slots: inout [UInt64]) -> Bool {
        slots.withUnsafeMutableBufferPointer { slots in
            let mask = slots.count - 1
            var index = Int(truncatingIfNeeded: fingerprint) & mask
            while true {
                let stored = slots[index]
                if stored == fingerprint { return false }
                if stored == 0 {
                    slots[index] = fingerprint
                    return true
                }
                index = (index + 1) & mask
            }
        }
    }

    private mutating func grow() {
        var larger = [UInt64](repeating: 0, count: slots.count * 2)
        for fingerprint in slots where fingerprint != 0 { _ = Self.place(fingerprint, in: &larger) }
        slots = larger
    }
}
