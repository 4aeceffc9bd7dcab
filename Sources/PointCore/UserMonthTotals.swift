import PointCollections

/// Points granted per LINE user (keyed by the user's first binding at the merchant, see
/// ``BindingDirectory/userKey(of:)``), scenario and Asia/Taipei month, for scenarios with a
/// monthly per-user cap: a ``FingerprintIndex`` over chunked entries (integer keys, no string hashing,
/// growth without pauses).
struct UserMonthTotals: Sendable, Equatable {
    private struct Entry: Sendable, Equatable {
        let binding: UInt32
        let scenario: UInt32
        let month: Int32
        var points: Int64
    }

    private var entries = ChunkedArray<Entry>()
    private var index = FingerprintIndex()

    /// Points so far for the binding under the scenario in `month`.
    func points(binding: UInt32, scenario: UInt32, month: Int32) -> Int64 {
        position(binding: binding, scenario: scenario, month: month).map { entries[$0].points } ?? 0
    }

    /// Adds `points` to the binding's total under the scenario in `month`.
    mutating func add(_ points: Int64, binding: UInt32, scenario: UInt32, month: Int32) {
        if let position = position(binding: binding, scenario: scenario, month: month) {
            entries[position].points += points
            return
        }
        index.reserveOne()
        index.insert(fingerprint: KeyFingerprint.of(binding, scenario, month), slot: entries.count)
        entries.append(Entry(binding: binding, scenario: scenario, month: month, points: points))
    }

    /// Number of (binding, scenario, month) totals held.
    var count: Int { entries.count }

    static func == (left: UserMonthTotals, right: UserMonthTotals) -> Bool { left.entries == right.entries }

    @inline(__always)
    private func position(binding: UInt32, scenario: UInt32, month: Int32) -> Int? {
        index.find(fingerprint: KeyFingerprint.of(binding, scenario, month)) { slot in
            let entry = entries[slot]
            return entry.binding == binding && entry.scenario == scenario && entry.month == month
        }
    }
}
