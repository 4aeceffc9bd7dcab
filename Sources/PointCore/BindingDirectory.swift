import PointCollections
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The active bindings, found by member ID or by LINE user ID within a merchant: two
/// ``FingerprintIndex``es over the binding slots, confirmed against the bindings themselves.
/// No string is hashed twice or stored twice, and growing never pauses.
struct BindingDirectory: Sendable {
    private var byMember = FingerprintIndex()
    private var byLineUser = FingerprintIndex()
    /// The merchant slot of every binding ever made, by binding slot.
    private var merchantOfBinding = ChunkedArray<UInt32>()
    /// The first binding ever made of each (merchant, LINE user), never removed: a LINE user
    /// unbound and bound again is the same user (monthly caps are per LINE user).
    private var firstByLineUser = FingerprintIndex()
    /// Per binding slot, the slot of its LINE user's first binding at the merchant.
    private var userKeyOfBinding = ChunkedArray<UInt32>()

    /// The active binding of `memberID` at `merchant`.
    @inline(__always)
    func binding(merchant: UInt32, memberID: String, in bindings: [Binding]) -> UInt32? {
        lookup(byMember, merchant: merchant, key: memberID, in: bindings) { $0.memberID }
    }

    /// The active binding of `lineUserID` at `merchant`.
    @inline(__always)
    func binding(merchant: UInt32, lineUserID: String, in bindings: [Binding]) -> UInt32? {
        lookup(byLineUser, merchant: merchant, key: lineUserID, in: bindings) { $0.lineUserID }
    }

    /// Finds `key` at `merchant` in `index`, confirming a candidate by the binding's `field`.
    @inline(__always)
    private func lookup(_ index: FingerprintIndex, merchant: UInt32, key: String, in bindings: [Binding],
                        field: (Binding) -> String) -> UInt32? {
        var key = key
        return key.withUTF8 { bytes in
            index.find(fingerprint: KeyFingerprint.of(merchant: merchant, bytes)) { slot in
                merchantOfBinding[slot] == merchant && Self.equals(field(bindings[slot]), bytes)
            }
        }.map { UInt32($0) }
    }

    /// The same LINE user at the same merchant, across unbinding and binding again: the slot of
    /// the user's first binding there.
    @inline(__always)
    func userKey(of binding: UInt32) -> UInt32 { userKeyOfBinding[Int(binding)] }

    /// Records the binding just appended at `slot` (the last of `bindings`) as active. The caller
    /// has checked that neither the member nor the LINE user is bound at the merchant.
    mutating func add(_ slot: UInt32, merchant: UInt32, memberID: String, lineUserID: String, in bindings: [Binding]) {
        precondition(Int(slot) == merchantOfBinding.count, "bindings are recorded in slot order")
        merchantOfBinding.append(merchant)
        // The LINE user's key is hashed once, for both of its indexes.
        let lineUser = KeyFingerprint.of(merchant: merchant, lineUserID)
        firstByLineUser.reserveOne()
        var key = lineUserID
        let first = key.withUTF8 { bytes in
            firstByLineUser.find(fingerprint: lineUser) { merchantOfBinding[$0] == merchant && Self.equals(bindings[$0].lineUserID, bytes) }
        }
        if let first {
            userKeyOfBinding.append(UInt32(first))
        } else {
            firstByLineUser.insert(fingerprint: lineUser, slot: Int(slot))
            userKeyOfBinding.append(slot)
        }
        byMember.reserveOne()
        byMember.insert(fingerprint: KeyFingerprint.of(merchant: merchant, memberID), slot: Int(slot))
        byLineUser.reserveOne()
        byLineUser.insert(fingerprint: lineUser, slot: Int(slot))
    }

    /// Ends the binding at `slot` (it stays in the bindings, inactive).
    mutating func remove(_ slot: UInt32, memberID: String, lineUserID: String) {
        let merchant = merchantOfBinding[Int(slot)]
        byMember.remove(fingerprint: KeyFingerprint.of(merchant: merchant, memberID), slot: Int(slot))
        byLineUser.remove(fingerprint: KeyFingerprint.of(merchant: merchant, lineUserID), slot: Int(slot))
    }

    /// Number of active bindings.
    var activeCount: Int { byMember.count }

    @inline(__always)
    private static func equals(_ stored: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var stored = stored
        return stored.withUTF8 { $0.count == bytes.count && ($0.count == 0 || memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0) }
    }
}

extension BindingDirectory: Equatable {
    /// The same active bindings (by slot; the bindings themselves are compared by the caller).
    static func == (left: BindingDirectory, right: BindingDirectory) -> Bool {
        left.merchantOfBinding == right.merchantOfBinding && left.userKeyOfBinding == right.userKeyOfBinding
            && left.byMember.sortedLiveSlots() == right.byMember.sortedLiveSlots()
            && left.byLineUser.sortedLiveSlots() == right.byLineUser.sortedLiveSlots()
    }
}
