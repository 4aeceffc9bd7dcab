/// Entries accepted by ``Ledger/enqueue(_:wakingWriter:)`` and not yet taken by the writer, in
/// seq order: each entry's type and data bytes back to back in one buffer, so queueing a record
/// costs a copy, not an encoding. The writer turns them into lines (see ``LineSealer``).
struct QueuedEntries: Sendable {
    struct Entry: Sendable {
        /// The record's time as it will be written.
        var time: Int64
        var typeLength: Int
        var dataLength: Int
    }

    private(set) var bytes: [UInt8] = []
    private(set) var entries: [Entry] = []
    /// The encoded size of the queued records, newlines included.
    private(set) var lineBytes = 0

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }

    /// Queues one entry whose encoded line (see ``LedgerRecordFormat/lineLength(seq:typeLength:dataLength:)``)
    /// is `lineLength` bytes.
    mutating func append(_ entry: LedgerEntry, time: Int64, lineLength: Int) {
        let typeStart = bytes.count
        bytes.append(contentsOf: entry.type.utf8)
        let typeLength = bytes.count - typeStart
        bytes.append(contentsOf: entry.canonicalData)
        entries.append(Entry(time: time, typeLength: typeLength, dataLength: entry.canonicalData.count))
        lineBytes += lineLength + 1
    }

    /// Calls `body` with each entry's time, type bytes and data bytes, in order.
    func forEach(_ body: (_ time: Int64, _ type: UnsafeRawBufferPointer, _ data: UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            for entry in entries {
                let type = UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + entry.typeLength)])
                offset += entry.typeLength
                let data = UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + entry.dataLength)])
                offset += entry.dataLength
                body(entry.time, type, data)
            }
        }
    }

    /// Empties the queue, keeping its storage.
    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
        lineBytes = 0
    }
}
