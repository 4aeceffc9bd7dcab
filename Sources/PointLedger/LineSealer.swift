import PointCrypto

/// The writer's end of the hash chain: turns queued entries into record lines — each naming
/// the previous line's hash — hashes them and decides where a new segment file starts.
/// Owned by the writer thread alone, so the encoding and hashing run outside the ledger's lock
/// and never hold up the callers that queue records.
struct LineSealer {
    /// SHA-256 of the last line sealed (the next line's `prev`).
    private(set) var lastLineHash: SHA256Digest
    private var segmentBytes: Int
    private var hasSegment: Bool
    private let maxSegmentBytes: Int
    /// The last record time formatted, and its text (records of one batch share their time).
    private var formattedTimeMicros: Int64 = .min
    private var formattedTime: [UInt8] = []

    init(lastLineHash: SHA256Digest, tailSegmentBytes: Int, hasTailSegment: Bool, maxSegmentBytes: Int) {
        self.lastLineHash = lastLineHash
        self.segmentBytes = tailSegmentBytes
        self.hasSegment = hasTailSegment
        self.maxSegmentBytes = maxSegmentBytes
    }

    /// Appends the lines of `queued` (the first at `firstSeq`) with their newlines to `buffer`,
    /// their leaf hashes to `leaves`, and to `breaks` where in `buffer` a new segment starts.
    ///
    /// Returns the first record whose data is not canonical JSON (which the scanner would refuse
    /// to read back), and then nothing of `queued` may be written.
    mutating func seal(_ queued: QueuedEntries, firstSeq: UInt64, into buffer: inout [UInt8], leaves: inout [SHA256Digest],
                       breaks: inout [(offset: Int, firstSeq: UInt64)]) -> (seq: UInt64, problem: String)? {
        buffer.reserveCapacity(buffer.count + queued.lineBytes)
        leaves.reserveCapacity(leaves.count + queued.count)
        var seq = firstSeq
        var refusal: (seq: UInt64, problem: String)?
        queued.forEach { time, type, data in
            guard refusal == nil else { return }
            if let problem = LedgerRecordFormat.dataProblem(data) {
                refusal = (seq, problem)
                return
            }
            if time != formattedTimeMicros {
                formattedTime.removeAll(keepingCapacity: true)
                LedgerTime.append(time, to: &formattedTime)
                formattedTimeMicros = time
            }
            let start = buffer.count
            LedgerRecordFormat.encodeLine(seq: seq, type: type, formattedTime: formattedTime, prev: lastLineHash, data: data, into: &buffer)
            let lineBytes = buffer.count - start + 1
            if !hasSegment || (segmentBytes > 0 && segmentBytes + lineBytes > maxSegmentBytes) {
                breaks.append((start, seq))
                segmentBytes = 0
                hasSegment = true
            }
            let (lineHash, leafHash) = buffer.withUnsafeBytes { raw in
                let line = UnsafeRawBufferPointer(rebasing: raw[start...])
                return (SHA256.hash(line), SHA256.hash(prefix: 0x00, line))
            }
            buffer.append(0x0A)
            segmentBytes += lineBytes
            lastLineHash = lineHash
            leaves.append(leafHash)
            seq += 1
        }
        return refusal
    }
}
