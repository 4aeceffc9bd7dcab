import PointCollections

/// A grant as callers see it.
public struct Grant: Sendable, Equatable {
    public let merchantID: String
    /// The environment the grant was made in: an orderId is unique per merchant and
    /// environment, so a production grant never answers as a replay of a sandbox test grant.
    public let environment: MerchantEnvironment
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
/// an arena, and an open-addressing index from (merchant, environment, orderId) to slot. About 80 bytes per
/// retained grant, so ten million grants fit in well under 1.5 GB. Every part grows in bounded
/// steps (chunked slots and arena, an index that grows incrementally), so no grant waits for
/// the store to copy or rehash what it already holds.
struct GrantStore: Sendable {
    struct Slot: Sendable, Equatable {
        var seq: UInt64
        var time: Int64
        var points: UInt32
        var revoked: UInt32
        var merchant: UInt32
        var binding: UInt32
        var scenario: UInt32
        var orderReference: UInt32
        var orderLength: UInt8
        /// ``GrantStore/environmentCode(_:)`` of the environment the grant was made in.
        var environment: UInt8
    }

    /// The compact code of an environment in a slot and in the index key.
    @inline(__always)
    static func environmentCode(_ environment: MerchantEnvironment) -> UInt8 {
        environment == .production ? 1 : 0
    }

    /// The environment a slot's code stands for (the inverse of ``environmentCode(_:)``).
    @inline(__always)
    static func environment(ofCode code: UInt8) -> MerchantEnvironment {
        code == 1 ? .production : .sandbox
    }

    /// The index key's merchant part: the merchant slot with the environment in its top bit
    /// (merchants are far fewer than 2^31).
    @inline(__always)
    private static func indexKey(_ merchant: UInt32, _ environment: UInt8) -> UInt32 {
        merchant | UInt32(environment) << 31
    }

    /// Explicit limits: order IDs live in a 4 GiB arena; positions come from 32-bit
    /// fingerprints, so the index stops at 2^31 entries and holds at most 2^30 grants.
    static let maxGrants = 1 << 30

    private(set) var slots = ChunkedArray<Slot>()
    private var orderIDs = OrderIDArena()
    private var index = FingerprintIndex()

    var count: Int { slots.count }

    /// The slot index of `orderID` for `merchant` in `environment`, if granted.
    func find(merchant: UInt32, environment: MerchantEnvironment, orderID: String) -> Int? {
        var orderID = orderID
        return orderID.withUTF8 { bytes in find(merchant: merchant, environment: environment, orderIDBytes: bytes) }
    }

    /// The slot index of the order ID with these UTF-8 bytes for `merchant` in `environment`, if granted.
    func find(merchant: UInt32, environment: MerchantEnvironment, orderIDBytes bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let code = Self.environmentCode(environment)
        return index.find(fingerprint: KeyFingerprint.of(merchant: Self.indexKey(merchant, code), bytes)) { slot in
            matches(slot, merchant, code, bytes)
        }
    }

    /// The grant an orderId names for reads and revocations of a merchant that grants in
    /// `environment` now: its grant there, else — once in production — its sandbox test grant.
    /// (A new grant is looked up in `environment` only.)
    func findForReading(merchant: UInt32, environment: MerchantEnvironment, orderID: String) -> Int? {
        if let slot = find(merchant: merchant, environment: environment, orderID: orderID) { return slot }
        guard environment == .production else { return nil }
        return find(merchant: merchant, environment: .sandbox, orderID: orderID)
    }

    /// Whether another grant fits within the explicit limits.
    func hasRoom(forOrderIDBytes length: Int) -> Bool {
        slots.count < Self.maxGrants && orderIDs.hasRoom(forBytes: length)
    }

    /// Adds a grant unless `orderID` is already granted for `merchant` (then returns nil and
    /// changes nothing visible). The caller has checked that there is room.
    mutating func addIfAbsent(merchant: UInt32, environment: MerchantEnvironment, orderID: String, binding: UInt32, scenario: UInt32,
                              points: UInt32, seq: UInt64, time: Int64) -> Int? {
        var orderID = orderID
        return orderID.withUTF8 { bytes -> Int? in
            addIfAbsent(merchant: merchant, environment: environment, orderIDBytes: bytes, binding: binding, scenario: scenario,
                        points: points, seq: seq, time: time)
        }
    }

    /// ``addIfAbsent(merchant:environment:orderID:binding:scenario:points:seq:time:)`` for an
    /// order ID given as its UTF-8 bytes (at most 255 of them, as order IDs are).
    mutating func addIfAbsent(merchant: UInt32, environment: MerchantEnvironment, orderIDBytes bytes: UnsafeBufferPointer<UInt8>,
                              binding: UInt32, scenario: UInt32, points: UInt32, seq: UInt64, time: Int64) -> Int? {
        precondition(hasRoom(forOrderIDBytes: bytes.count) && bytes.count <= Int(UInt8.max), "grant store limits checked by the caller")
        index.reserveOne()
        let code = Self.environmentCode(environment)
        let fingerprint = KeyFingerprint.of(merchant: Self.indexKey(merchant, code), bytes)
        if index.find(fingerprint: fingerprint, matches: { slot in matches(slot, merchant, code, bytes) }) != nil { return nil }
        let reference = orderIDs.append(bytes)
        let slotIndex = slots.count
        slots.append(Slot(seq: seq, time: time, points: points, revoked: 0, merchant: merchant, binding: binding,
                          scenario: scenario, orderReference: reference, orderLength: UInt8(bytes.count), environment: code))
        index.insert(fingerprint: fingerprint, slot: slotIndex)
        return slotIndex
    }

    /// The slot of the grant `revoked` takes its points from (`found`, looked up by the caller's
    /// rule), for a replay: throws
    /// `ledger_event_inconsistent` when there is no such grant or the points exceed what it has left.
    func revocationSlot(_ found: Int?, _ revoked: PointsRevoked, seq: UInt64) throws(DomainError) -> Int {
        guard let slot = found else {
            throw .inconsistent(seq, "revocation of unknown grant \(revoked.orderID)")
        }
        let grant = slots[slot]
        guard revoked.points > 0, revoked.points <= Int(grant.points) - Int(grant.revoked) else {
            throw .inconsistent(seq, "revocation \(revoked.revocationID) exceeds the grant")
        }
        return slot
    }

    mutating func addRevoked(_ slotIndex: Int, points: UInt32) {
        slots[slotIndex].revoked += points
    }

    func orderID(of slotIndex: Int) -> String {
        let slot = slots[slotIndex]
        return orderIDs.string(slot.orderReference, length: Int(slot.orderLength))
    }

    @inline(__always)
    private func matches(_ slotIndex: Int, _ merchant: UInt32, _ environment: UInt8, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let slot = slots[slotIndex]
        return slot.merchant == merchant && slot.environment == environment
            && orderIDs.equals(slot.orderReference, length: Int(slot.orderLength), bytes)
    }
}
