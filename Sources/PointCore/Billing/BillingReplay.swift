#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The settlement folded from ledger records alone, without the points domain: what
/// `pointconnect settle` recomputes invoices from.
///
/// It keeps only what billing depends on — each merchant's billing profile (in
/// ``settlement``), every grant's time and points by merchant and orderId, and whether a
/// finding stands on each revocation — and refuses, as `ledger_event_inconsistent`, every
/// record that would make an amount wrong: a grant or revocation for an unregistered merchant, a
/// merchant registered twice, an orderId granted twice in one environment, points out of range, a revocation of an
/// unknown grant or beyond its remaining points, a revocation ID used twice, a finding on an
/// unknown revocation, recorded twice or withdrawn when none stands. The usage rules behind
/// each event (bindings, scenarios, caps) are not checked again: ``PointsDomain`` checks them
/// when the service replays the ledger at start. For any ledger the domain replays, the
/// settlement is the one the service folds (tested).
///
/// `grant.issued` records — nearly every record of a ledger — are read straight from their
/// canonical bytes (``apply(type:seq:time:canonicalData:)``) and consecutive grants of one
/// merchant in one period are recorded in the settlement as one run: no string is made for
/// them. Records billing does not read (bindings, scenarios, allowlists, …) are passed over
/// undecoded (``reads(type:)``).
public struct BillingReplay: Sendable {
    /// Consecutive grants of one merchant in one period, not yet recorded in ``fold``.
    private struct GrantRun {
        var merchant: UInt32
        var window: SettlementBook.GrantRunWindow
        var time: Int64
        var count: Int64 = 1
        var points: Int64
        var firstSeq: UInt64
        var firstSlot: Int
        var lastSeq: UInt64
        var lastSlot: Int
    }

    private var fold: SettlementFold
    private var grantRun: GrantRun?
    private let maxPointsPerGrant: Int
    private var merchantSlots: [String: UInt32] = [:]
    private var merchantIDs: [String] = []
    /// The merchant of the last grant read from bytes (grants come in runs for one merchant).
    private var lastGrantMerchant: (bytes: [UInt8], slot: UInt32)?
    private var grants = GrantStore()
    /// Merchants whose production environment is open: their grants are production grants
    /// (``PointsDomain/grantEnvironment(ofMerchant:)``).
    private var liveMerchants = Set<UInt32>()
    /// Every revocation, and whether a finding stands on it.
    private var findingStands: [SettlementBook.RevocationKey: Bool] = [:]

    /// - Parameters:
    ///   - strict: refuse closes whose recorded documents differ from the recomputed ones
    ///     (otherwise they are kept as differences, as `settle` reports them).
    ///   - limits: the domain limits the grants were made under (points per grant).
    public init(strict: Bool = false, limits: PointsDomain.Limits = PointsDomain.Limits()) {
        fold = SettlementFold(strict: strict)
        maxPointsPerGrant = min(limits.maxPointsPerGrant, Int(UInt32.max))
    }

    /// The settlement folded so far (an audit fold unless made strict).
    public var settlement: SettlementFold {
        var settlement = fold
        if let grantRun { record(grantRun, into: &settlement) }
        return settlement
    }

    /// Whether billing reads records of `type`; others are passed over without being decoded.
    public static func reads(type: String) -> Bool {
        switch type {
        case "grant.issued", "revocation.recorded", "finding.recorded", "finding.withdrawn", "invoice.issued", "period.closed",
             "merchant.registered", "merchant.production_opened", "merchant.terminated":
            return true
        default:
            return false
        }
    }

    /// Whether `merchantID` was registered.
    public func isRegistered(_ merchantID: String) -> Bool { merchantSlots[merchantID] != nil }

    /// Number of grants folded.
    public var grantCount: Int { grants.count }

    /// Folds one record from its type and canonical `data` bytes; records of other layers'
    /// types are skipped.
    public mutating func apply(type: String, seq: UInt64, time: Int64, canonicalData data: UnsafeRawBufferPointer) throws(DomainError) {
        if type == "grant.issued", let fields = CanonicalGrantReader.locate(data) {
            try applyGrant(fields, data, seq: seq, time: time)
            return
        }
        guard Self.reads(type: type), let event = try DomainEvent.decode(type: type, canonicalData: data) else { return }
        try apply(event, seq: seq, time: time)
    }

    /// Folds one event.
    public mutating func apply(_ event: DomainEvent, seq: UInt64, time: Int64) throws(DomainError) {
        flushGrantRun()
        var revokedGrant: SettlementFold.RevokedGrant?
        switch event {
        case .merchantRegistered(let registered):
            guard merchantSlots[registered.merchantID] == nil else { throw .inconsistent(seq, "merchant \(registered.merchantID) registered twice") }
            merchantSlots[registered.merchantID] = UInt32(merchantIDs.count)
            merchantIDs.append(registered.merchantID)
        case .productionOpened(let merchantID, _, _):
            liveMerchants.insert(try merchantSlot(merchantID, seq))
        case .merchantTerminated(let merchantID, _):
            _ = try merchantSlot(merchantID, seq)
        case .pointsGranted(let granted):
            let merchant = try merchantSlot(granted.merchantID, seq)
            var orderID = granted.orderID
            let added = orderID.withUTF8 { bytes in addGrant(merchant: merchant, orderIDBytes: bytes, points: granted.points, seq: seq, time: time) }
            guard added else { throw .inconsistent(seq, "grant \(granted.orderID) is a duplicate or out of range") }
            fold.recordGrant(merchantID: granted.merchantID, orderID: granted.orderID, points: granted.points, seq: seq, time: time)
            return
        case .pointsRevoked(let revoked):
            let merchant = try merchantSlot(revoked.merchantID, seq)
            // As the points domain finds it (``GrantStore/findForReading(merchant:environment:orderID:)``).
            let found = grants.findForReading(merchant: merchant, environment: environment(of: merchant), orderID: revoked.orderID)
            let slot = try grants.revocationSlot(found, revoked, seq: seq)
            let key = SettlementBook.RevocationKey(merchantID: revoked.merchantID, revocationID: revoked.revocationID)
            guard findingStands[key] == nil else { throw .inconsistent(seq, "revocation \(revoked.revocationID) recorded twice") }
            findingStands[key] = false
            grants.addRevoked(slot, points: UInt32(revoked.points))
            revokedGrant = SettlementFold.RevokedGrant(time: grants.slots[slot].time,
                                                       environment: GrantStore.environment(ofCode: grants.slots[slot].environment))
        case .findingRecorded(let merchantID, let revocationID, _), .findingWithdrawn(let merchantID, let revocationID, _):
            let key = SettlementBook.RevocationKey(merchantID: merchantID, revocationID: revocationID)
            guard let standing = findingStands[key] else { throw .inconsistent(seq, "unknown revocation \(revocationID) of merchant \(merchantID)") }
            let recording = if case .findingRecorded = event { true } else { false }
            guard standing != recording else {
                throw .inconsistent(seq, recording ? "finding on \(revocationID) recorded twice" : "no standing finding on \(revocationID)")
            }
            findingStands[key] = recording
        case .sandboxOpened, .merchantSuspended, .merchantReinstated, .allowlistUpdated, .credentialRotated, .scenarioSubmitted,
             .scenarioApproved, .scenarioRejected, .userBound, .userUnbound, .invoiceIssued, .periodClosed:
            break
        }
        try fold.apply(event, seq: seq, time: time, revokedGrant: revokedGrant)
    }

    private mutating func applyGrant(_ fields: CanonicalGrantReader.Fields, _ data: UnsafeRawBufferPointer, seq: UInt64, time: Int64) throws(DomainError) {
        let merchantBytes = UnsafeRawBufferPointer(rebasing: data[fields.merchantID])
        let merchant: UInt32
        if let cached = lastGrantMerchant, Self.sameBytes(cached.bytes, merchantBytes) {
            merchant = cached.slot
        } else {
            merchant = try merchantSlot(String(decoding: merchantBytes, as: UTF8.self), seq)
            lastGrantMerchant = (Array(merchantBytes), merchant)
        }
        let orderBytes = UnsafeRawBufferPointer(rebasing: data[fields.orderID]).assumingMemoryBound(to: UInt8.self)
        guard addGrant(merchant: merchant, orderIDBytes: orderBytes, points: fields.points, seq: seq, time: time) else {
            throw .inconsistent(seq, "grant \(String(decoding: orderBytes, as: UTF8.self)) is a duplicate or out of range")
        }
        let slot = grants.count - 1
        let points = Int64(fields.points)
        if var run = grantRun, run.merchant == merchant, time >= run.window.start, time < run.window.end,
           points <= run.window.pointsRoom - run.points {
            run.count += 1
            run.points += points
            run.lastSeq = seq
            run.lastSlot = slot
            grantRun = run
            return
        }
        flushGrantRun()
        let merchantID = merchantIDs[Int(merchant)]
        if let window = fold.book.grantRunWindow(merchantID: merchantID, time: time), points <= window.pointsRoom {
            grantRun = GrantRun(merchant: merchant, window: window, time: time, points: points, firstSeq: seq, firstSlot: slot, lastSeq: seq, lastSlot: slot)
        } else {
            // The settlement records the fault this grant makes, under its own seq (and in the
            // record's own spelling of the merchant ID, as the full replay does).
            fold.recordGrant(merchantID: String(decoding: merchantBytes, as: UTF8.self), orderID: String(decoding: orderBytes, as: UTF8.self),
                             points: fields.points, seq: seq, time: time)
        }
    }

    private mutating func flushGrantRun() {
        guard let run = grantRun else { return }
        grantRun = nil
        record(run, into: &fold)
    }

    private func record(_ run: GrantRun, into settlement: inout SettlementFold) {
        settlement.recordGrantRun(merchantID: merchantIDs[Int(run.merchant)], time: run.time, count: run.count, points: run.points,
                                  firstSeq: run.firstSeq, firstID: grants.orderID(of: run.firstSlot),
                                  lastSeq: run.lastSeq, lastID: grants.orderID(of: run.lastSlot))
    }

    private static func sameBytes(_ stored: [UInt8], _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard stored.count == bytes.count else { return false }
        return stored.withUnsafeBytes { storedBytes in
            guard let left = storedBytes.baseAddress, let right = bytes.baseAddress else { return true }
            return memcmp(left, right, bytes.count) == 0
        }
    }

    /// Adds a grant; false when its points are out of range, the store is full or the orderId
    /// was granted before (nothing changes then).
    private mutating func addGrant(merchant: UInt32, orderIDBytes: UnsafeBufferPointer<UInt8>, points: Int, seq: UInt64, time: Int64) -> Bool {
        guard points > 0, points <= maxPointsPerGrant, grants.hasRoom(forOrderIDBytes: orderIDBytes.count) else { return false }
        return grants.addIfAbsent(merchant: merchant, environment: environment(of: merchant), orderIDBytes: orderIDBytes, binding: 0,
                                  scenario: 0, points: UInt32(points), seq: seq, time: time) != nil
    }

    private func environment(of merchant: UInt32) -> MerchantEnvironment {
        liveMerchants.contains(merchant) ? .production : .sandbox
    }

    private func merchantSlot(_ merchantID: String, _ seq: UInt64) throws(DomainError) -> UInt32 {
        guard let slot = merchantSlots[merchantID] else { throw .inconsistent(seq, "unknown merchant \(merchantID)") }
        return slot
    }
}
