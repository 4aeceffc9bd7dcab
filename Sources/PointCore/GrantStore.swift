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

    /// Explicit limits: slots are addressed by UInt32, order IDs live in a 4 GiB arena.
    static let maxGrants = Int(UInt32.max - 1)
    static let maxArenaBytes = Int(UInt32.max)

    private(set) var slots: [Slot] = []
    private var orderBytes: [UInt8] = []
    /// Open addressing, linear probing: 0 = empty, otherwise slot index + 1.
    private var index: [UInt32] = Array(repeating: 0, count: 1024)
    private var indexMask = 1023

    var count: Int { slots.count }

    /// The slot index of `orderID` for `merchant`, if granted.
    func find(merchant: UInt32, orderID: String) -> Int? {
        var orderID = orderID
        return orderID.withUTF8 { bytes in
            var position = Self.hash(merchant: merchant, bytes) & indexMask
            while true {
                let entry = index[position]
                if entry == 0 { return nil }
                let slotIndex = Int(entry - 1)
                if slots[slotIndex].merchant == merchant, orderIDEquals(slotIndex, bytes) { return slotIndex }
                position = (position + 1) & indexMask
            }
        }
    }

    /// Whether another grant fits within the explicit limits.
    func hasRoom(forOrderIDBytes length: Int) -> Bool {
        slots.count < Self.maxGrants && orderBytes.count + length <= Self.maxArenaBytes
    }

    /// Adds a grant; the caller has checked that `orderID` is new for `merchant` and that there is room.
    mutating func add(merchant: UInt32, orderID: String, binding: UInt32, scenario: UInt32,
                      points: UInt32, seq: UInt64, time: Int64) -> Int {
        precondition(hasRoom(forOrderIDBytes: orderID.utf8.count), "grant store limits checked by the caller")
        let offset = UInt32(orderBytes.count)
        orderBytes.append(contentsOf: orderID.utf8)
        let slotIndex = slots.count
        slots.append(Slot(seq: seq, time: time, points: points, revoked: 0, merchant: merchant, binding: binding,
                          scenario: scenario, orderOffset: offset, orderLength: UInt8(orderID.utf8.count)))
        if slots.count * 2 > index.count { grow() }
        insert(slotIndex)
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

    private mutating func insert(_ slotIndex: Int) {
        let slot = slots[slotIndex]
        let start = Int(slot.orderOffset)
        let hash = orderBytes.withUnsafeBufferPointer { arena in
            Self.hash(merchant: slot.merchant, UnsafeBufferPointer(rebasing: arena[start..<(start + Int(slot.orderLength))]))
        }
        var position = hash & indexMask
        while index[position] != 0 { position = (position + 1) & indexMask }
        index[position] = UInt32(slotIndex + 1)
    }

    private mutating func grow() {
        index = Array(repeating: 0, count: index.count * 2)
        indexMask = index.count - 1
        for slotIndex in slots.indices { insert(slotIndex) }
    }

    /// FNV-1a over the merchant and the order ID bytes, finished with a 64-bit mix so linear
    /// probing sees well-spread positions.
    private static func hash(merchant: UInt32, _ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(merchant)
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        return Int(truncatingIfNeeded: hash & 0x7fff_ffff_ffff_ffff)
    }
}
