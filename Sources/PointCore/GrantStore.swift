/// A grant as callers see it.
public struct Grant: Sendable, Equatable {
    public let merchantID: String
    public let orderID: String
    public let memberID: String
    public let lineUserID: String
    public let scenarioID: String
    public let points: Int
    public let revokedPoints: Int
    public let seq: UInt64
    public let grantedAt: Int64

    /// Points still held by the user: granted minus revoked, never below zero.
    public var remainingPoints: Int { points - revokedPoints }
}

/// Every grant ever made, stored compactly: one fixed-size slot per grant, order IDs packed in
/// one byte arena, and an open-addressing index from (merchant, orderId) to slot. About 80
/// bytes per retained grant, so ten million grants fit in well under 1.5 GB.
struct GrantStore: Sendable {
    struct Slot: Sendable, Equatable {
        var seq: UInt64
        var time: Int64
        var points: UInt32
        var revoked: UInt32
        var merchant: UInt32
        var binding: UInt32
        var scenario: UInt32
        var orderOffset: UInt32
        var orderLength: UInt8
    }

    /// Explicit limits: order IDs live in a 4 GiB arena; positions come from 32-bit
    /// fingerprints, so the index stops at 2^31 entries and holds at most 2^30 grants.
    static let maxGrants = 1 << 30
    static let maxArenaBytes = Int(UInt32.max)

    private(set) var slots: [Slot] = []
    private var orderBytes: [UInt8] = []
    /// Open addressing, linear probing. Each entry packs a 32-bit fingerprint of the key's
    /// hash (high half) and slot index + 1 (low half); 0 = empty. The fingerprint filters
    /// almost every non-matching probe without touching the slot, and positions derive from
    /// it, so growing never rehashes order IDs.
    private var index: [UInt64] = Array(repeating: 0, count: 1024)
    private var indexMask = 1023

    var count: Int { slots.count }

    /// The slot index of `orderID` for `merchant`, if granted.
    func find(merchant: UInt32, orderID: String) -> Int? {
        var orderID = orderID
        return orderID.withUTF8 { bytes in
            let fingerprint = Self.fingerprint(merchant: merchant, bytes)
            var position = Int(fingerprint) & indexMask
            while true {
                let entry = index[position]
                if entry == 0 { return nil }
                if UInt32(truncatingIfNeeded: entry >> 32) == fingerprint {
                    let slotIndex = Int(UInt32(truncatingIfNeeded: entry) - 1)
                    if slots[slotIndex].merchant == merchant, orderIDEquals(slotIndex, bytes) { return slotIndex }
                }
                position = (position + 1) & indexMask
            }
        }
    }

    /// Whether another grant fits within the explicit limits.
    func hasRoom(forOrderIDBytes length: Int) -> Bool {
        slots.count < Self.maxGrants && orderBytes.count + length <= Self.maxArenaBytes
    }

    /// Adds a grant unless `orderID` is already granted for `merchant` (then returns nil and
    /// changes nothing). One probe sequence finds the duplicate or the free position. The
    /// caller has checked that there is room.
    mutating func addIfAbsent(merchant: UInt32, orderID: String, binding: UInt32, scenario: UInt32,
                              points: UInt32, seq: UInt64, time: Int64) -> Int? {
        precondition(hasRoom(forOrderIDBytes: orderID.utf8.count), "grant store limits checked by the caller")
        if slots.count * 2 + 2 > index.count { grow() }
        var orderID = orderID
        let probe: (position: Int, fingerprint: UInt32)? = orderID.withUTF8 { bytes in
            let fingerprint = Self.fingerprint(merchant: merchant, bytes)
            var position = Int(fingerprint) & indexMask
            while true {
                let entry = index[position]
                if entry == 0 { return (position, fingerprint) }
                if UInt32(truncatingIfNeeded: entry >> 32) == fingerprint {
                    let slotIndex = Int(UInt32(truncatingIfNeeded: entry) - 1)
                    if slots[slotIndex].merchant == merchant, orderIDEquals(slotIndex, bytes) { return nil }
                }
                position = (position + 1) & indexMask
            }
        }
        guard let probe else { return nil }
        let offset = UInt32(orderBytes.count)
        orderBytes.append(contentsOf: orderID.utf8)
        let slotIndex = slots.count
        slots.append(Slot(seq: seq, time: time, points: points, revoked: 0, merchant: merchant, binding: binding,
                          scenario: scenario, orderOffset: offset, orderLength: UInt8(orderID.utf8.count)))
        index[probe.position] = UInt64(probe.fingerprint) << 32 | UInt64(slotIndex + 1)
        return slotIndex
    }

    mutating func addRevoked(_ slotIndex: Int, points: UInt32) {
        slots[slotIndex].revoked += points
    }

    func orderID(of slotIndex: Int) -> String {
        let slot = slots[slotIndex]
        let start = Int(slot.orderOffset)
        return String(decoding: orderBytes[start..<(start + Int(slot.orderLength))], as: UTF8.self)
    }

    private func orderIDEquals(_ slotIndex: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let slot = slots[slotIndex]
        guard Int(slot.orderLength) == bytes.count else { return false }
        let start = Int(slot.orderOffset)
        return orderBytes.withUnsafeBufferPointer { arena in
            for offset in 0..<bytes.count where arena[start + offset] != bytes[offset] { return false }
            return true
        }
    }

    /// Doubles the index; entries move by their fingerprints alone.
    private mutating func grow() {
        let old = index
        index = Array(repeating: 0, count: old.count * 2)
        indexMask = index.count - 1
        for entry in old where entry != 0 {
            var position = Int(entry >> 32) & indexMask
            while index[position] != 0 { position = (position + 1) & indexMask }
            index[position] = entry
        }
    }

    /// FNV-1a over the merchant and the order ID bytes, finished with a 64-bit mix so linear
    /// probing sees well-spread positions.
    private static func fingerprint(merchant: UInt32, _ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(merchant)
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        return UInt32(truncatingIfNeeded: hash)
    }
}
