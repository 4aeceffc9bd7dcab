#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A hash index from a key's 32-bit fingerprint to the slot where the caller keeps the key
/// (grants, bindings, monthly totals): open addressing with linear probing over 64-bit entries
/// that pack the fingerprint (high half) and the slot index + 1 (low half); 0 is an empty
/// position and a slot part of all ones a removed entry (a tombstone, which keeps probe runs
/// intact). The caller confirms a candidate by comparing the key stored in its slot.
///
/// It grows without a pause: from three-eighths load it prepares a table twice the size (zero
/// pages faulted in a few at a time), at half load switches to it and then moves
/// ``migrationStride`` positions of the old table into the new one on every insert, while
/// lookups consult both. Entries move by their fingerprints alone, never touching the keys.
/// The old table is done long before the new one is half full (it needs half of the inserts
/// that would fill it), so at most two tables ever exist.
struct FingerprintIndex: Sendable {
    /// Old positions moved into the new table per insert while growing.
    static let migrationStride = 4
    /// While the next table is being prepared, one of its pages is faulted in per this many
    /// inserts: page faults cost microseconds on a virtual machine, and tens of thousands of
    /// them at once (random placements into a fresh table) would be a pause of their own.
    static let insertsPerTouchedPage = 16

    private var current: IndexTable
    /// The table being emptied into `current` while growing; nil otherwise.
    private var previous: IndexTable?
    /// Positions of `previous` already moved.
    private var migrated = 0
    /// The next, twice larger table, allocated at three-eighths load and faulted in page by
    /// page until the current one is half full (a sixteenth of that window is enough).
    private var next: IndexTable?
    private var touchedPages = 0
    /// Live entries held (each once, though a moved one sits in both tables while growing).
    private(set) var count = 0
    /// Tombstones in the current table: they occupy positions, so they count towards the load.
    private var tombstones = 0

    init(initialCapacity: Int = 1024) {
        precondition(initialCapacity >= 4 && initialCapacity & (initialCapacity - 1) == 0, "a power of two")
        current = IndexTable(capacity: initialCapacity)
    }

    /// Positions in the newest table.
    var capacity: Int { current.capacity }
    /// Whether an older table is still being moved.
    var isGrowing: Bool { previous != nil }

    /// The slot whose key has `fingerprint` and satisfies `matches`, if any.
    @inline(__always)
    func find(fingerprint: UInt32, matches: (Int) -> Bool) -> Int? {
        if let slot = current.find(fingerprint: fingerprint, matches: matches) { return slot }
        return previous?.find(fingerprint: fingerprint, matches: matches)
    }

    /// Makes room for one more entry: starts growing at half load and moves a stride of the
    /// old table. Call before ``find(fingerprint:matches:)`` and ``insert(fingerprint:slot:)``
    /// of a new key, so that the probe and the insert see the same tables.
    mutating func reserveOne() {
        makeCurrentUnique()
        let load = count + tombstones + 1
        if load * 2 > current.capacity {
            // Normally finished long ago; finishing here keeps at most two tables.
            while previous != nil { migrateStride() }
            previous = current
            current = next ?? IndexTable(capacity: current.capacity * 2)
            next = nil
            migrated = 0
            tombstones = 0
            // A copy of this index made while the next table was prepared shares it.
            makeCurrentUnique()
        } else if previous == nil && next == nil && load * 8 > current.capacity * 3 {
            next = IndexTable(capacity: current.capacity * 2)
            touchedPages = 0
        }
        if previous != nil { migrateStride() }
        if let next, touchedPages < next.pages, count % Self.insertsPerTouchedPage == 0 {
            next.touch(page: touchedPages)
            touchedPages += 1
        }
    }

    /// Inserts an entry for a key that is not present (the caller has just looked, after
    /// ``reserveOne()``, which also made the table this writes to unshared).
    mutating func insert(fingerprint: UInt32, slot: Int) {
        current.place(UInt64(fingerprint) << 32 | UInt64(slot + 1))
        count += 1
    }

    /// Removes the entry of `slot` (whose key has `fingerprint`), from both tables while growing.
    mutating func remove(fingerprint: UInt32, slot: Int) {
        makeCurrentUnique()
        var removed = false
        if current.bury(fingerprint: fingerprint, slot: slot) {
            removed = true
            tombstones += 1
        }
        if previous != nil {
            // No other local reference may be held here, or the check would always copy.
            if !isKnownUniquelyReferenced(&previous) { previous = previous.map { IndexTable(copying: $0) } }
            if let old = previous, old.bury(fingerprint: fingerprint, slot: slot) { removed = true }
        }
        if removed { count -= 1 }
    }

    /// The slots of every live entry, sorted (for comparing two indexes).
    func sortedLiveSlots() -> [Int] {
        var slots: [Int] = []
        slots.reserveCapacity(count)
        current.liveSlots(into: &slots)
        if let previous {
            // Entries not yet moved are only in the old table.
            var old: [Int] = []
            previous.liveSlots(into: &old)
            slots.append(contentsOf: old)
            return Array(Set(slots)).sorted()
        }
        return slots.sorted()
    }

    private mutating func migrateStride() {
        guard let old = previous else { return }
        let end = min(migrated + Self.migrationStride, old.capacity)
        for position in migrated..<end {
            let entry = old.entries[position]
            if entry != 0 && UInt32(truncatingIfNeeded: entry) != IndexTable.tombstone { current.place(entry) }
        }
        migrated = end
        if migrated == old.capacity { previous = nil }
    }

    private mutating func makeCurrentUnique() {
        if !isKnownUniquelyReferenced(&current) { current = IndexTable(copying: current) }
    }
}

/// One open-addressing table in zero-initialised memory it owns (from `calloc`: a large table
/// is a fresh mapping whose pages stay unallocated until first written). Shared between
/// copies of a ``FingerprintIndex`` until one of them writes (copy on write).
final class IndexTable: @unchecked Sendable {
    let entries: UnsafeMutablePointer<UInt64>
    let capacity: Int
    private let mask: Int

    /// Entries per 4 KiB memory page.
    static let entriesPerPage = 4_096 / MemoryLayout<UInt64>.stride
    var pages: Int { (capacity + Self.entriesPerPage - 1) / Self.entriesPerPage }

    init(capacity: Int) {
        guard let memory = calloc(capacity, MemoryLayout<UInt64>.stride) else {
            fatalError("the index could not allocate \(capacity) entries")
        }
        entries = memory.bindMemory(to: UInt64.self, capacity: capacity)
        self.capacity = capacity
        mask = capacity - 1
    }

    convenience init(copying other: IndexTable) {
        self.init(capacity: other.capacity)
        entries.update(from: other.entries, count: capacity)
    }

    deinit { free(entries) }

    /// Faults in the memory page `page` of a table that is not in use yet, so that the kernel
    /// allocates it now instead of on the first write after the switch. On Linux
    /// `MADV_POPULATE_WRITE` does it without touching the contents; elsewhere (or on kernels
    /// before 5.14) a zero is stored through a call the optimiser can't see into — a plain
    /// self-assignment would be removed as a no-op, and the page would never be touched.
    func touch(page: Int) {
        let position = page * Self.entriesPerPage
        guard position < capacity else { return }
        #if os(Linux)
        let pageStart = UInt(bitPattern: entries + position) & ~UInt(4_095)
        if let address = UnsafeMutableRawPointer(bitPattern: pageStart), madvise(address, 4_096, 23 /* MADV_POPULATE_WRITE */) == 0 {
            return
        }
        #endif
        Self.storeZero(entries + position)
    }

    @inline(never)
    private static func storeZero(_ entry: UnsafeMutablePointer<UInt64>) {
        entry.pointee = 0
    }

    @inline(__always)
    func find(fingerprint: UInt32, matches: (Int) -> Bool) -> Int? {
        var position = Int(fingerprint) & mask
        while true {
            let entry = entries[position]
            if entry == 0 { return nil }
            if UInt32(truncatingIfNeeded: entry >> 32) == fingerprint {
                let stored = UInt32(truncatingIfNeeded: entry)
                if stored != Self.tombstone, matches(Int(stored - 1)) { return Int(stored - 1) }
            }
            position = (position + 1) & mask
        }
    }

    /// Slot part of a removed entry.
    static let tombstone = UInt32.max

    /// Turns the entry for `slot` into a tombstone; returns whether it was present.
    func bury(fingerprint: UInt32, slot: Int) -> Bool {
        var position = Int(fingerprint) & mask
        let wanted = UInt64(fingerprint) << 32 | UInt64(slot + 1)
        while true {
            let entry = entries[position]
            if entry == 0 { return false }
            if entry == wanted {
                entries[position] = UInt64(fingerprint) << 32 | UInt64(Self.tombstone)
                return true
            }
            position = (position + 1) & mask
        }
    }

    /// The slots of every live entry, in table order.
    func liveSlots(into slots: inout [Int]) {
        for position in 0..<capacity {
            let stored = UInt32(truncatingIfNeeded: entries[position])
            if stored != 0, stored != Self.tombstone { slots.append(Int(stored - 1)) }
        }
    }

    /// Puts `entry` at the first free position of its probe sequence.
    @inline(__always)
    func place(_ entry: UInt64) {
        var position = Int(entry >> 32) & mask
        while entries[position] != 0 { position = (position + 1) & mask }
        entries[position] = entry
    }
}
