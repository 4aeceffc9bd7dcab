#if canImport(Glibc)
import Glibc
#endif

/// The ledger writer thread's hold on the newest segment file: records appended and synced,
/// a new segment started where the sealer broke the lines, and synced pages let go of.
struct SegmentWriter {
    let directory: String
    let fileSystem: any LedgerFileSystem

    /// The open segment, or -1: before the first one, after ``close()``, after a failed start.
    private var descriptor: Int32 = -1
    /// The open segment's first seq (its name).
    private var firstSeq: UInt64 = 0
    /// Bytes of records in the open segment.
    private var recordBytes = 0
    /// Bytes of the open segment that have left the page cache.
    private var droppedBytes = 0

    /// Synced bytes left in the page cache before the writer lets them go (one call per 64 KiB).
    static let dropStrideBytes = 64 << 10

    init(directory: String, fileSystem: any LedgerFileSystem) {
        self.directory = directory
        self.fileSystem = fileSystem
    }

    /// Continues the newest segment after an open (whose repair cut any torn tail, so the file
    /// holds exactly `recordBytes`).
    mutating func continueSegment(_ segment: SegmentFile, recordBytes: Int) throws(LedgerError) {
        do {
            descriptor = try fileSystem.open(segment.path, flags: O_WRONLY | O_APPEND, mode: 0)
        } catch {
            throw LedgerError.io(operation: "opening for append", path: segment.path, errno: error.code)
        }
        firstSeq = segment.firstSeq
        self.recordBytes = recordBytes
    }

    /// Appends `buffer` (whole lines; a new segment starts at each of `breaks`), then
    /// `fdatasync`s. Returns the microseconds spent writing and syncing.
    mutating func writeAndSync(_ buffer: [UInt8], breaks: [(offset: Int, firstSeq: UInt64)]) throws(LedgerError) -> (writeMicros: Int64, syncMicros: Int64) {
        var writeMicros: Int64 = 0
        var cursor = 0
        var breakIndex = 0
        while cursor < buffer.count {
            if breakIndex < breaks.count && breaks[breakIndex].offset == cursor {
                try startSegment(firstSeq: breaks[breakIndex].firstSeq)
                breakIndex += 1
            }
            let end = breakIndex < breaks.count ? breaks[breakIndex].offset : buffer.count
            let started = MonotonicClock.micros()
            let failure: SystemError? = buffer.withUnsafeBytes { raw in
                do throws(SystemError) {
                    try fileSystem.writeAll(descriptor, UnsafeRawBufferPointer(rebasing: raw[cursor..<end]))
                    return nil
                } catch {
                    return error
                }
            }
            if let failure {
                throw LedgerError.poisoned("write to \(SegmentDirectory.fileName(firstSeq: firstSeq)) failed: \(ErrnoName.describe(failure.code))")
            }
            writeMicros += MonotonicClock.micros() - started
            recordBytes += end - cursor
            cursor = end
        }
        let started = MonotonicClock.micros()
        try synchronize()
        let syncMicros = MonotonicClock.micros() - started
        dropSyncedPages(throughEnd: false)
        return (writeMicros, syncMicros)
    }

    /// Closes the segment (once the ledger has written and synced everything).
    mutating func close() {
        guard descriptor >= 0 else { return }
        fileSystem.close(descriptor)
        descriptor = -1
    }

    /// Lets the page cache drop the current segment's synced pages (whole pages, at least
    /// ``dropStrideBytes`` of them at a time; with `throughEnd` everything, the last partial page
    /// too, once nothing more is appended to the segment). The records are durable and the ledger
    /// reads them only at open and for audits; without this every commit would take fresh pages,
    /// and on a virtual machine a page the guest has not used for a while costs the host a fault
    /// to back again.
    private mutating func dropSyncedPages(throughEnd: Bool) {
        let end = throughEnd ? recordBytes : recordBytes & ~4_095
        guard end > droppedBytes, throughEnd || end - droppedBytes >= Self.dropStrideBytes else { return }
        fileSystem.dropCachedPages(descriptor, offset: droppedBytes, length: end - droppedBytes)
        droppedBytes = end
    }

    private func synchronize() throws(LedgerError) {
        do {
            try fileSystem.synchronizeData(descriptor)
        } catch {
            throw LedgerError.poisoned("fdatasync of \(SegmentDirectory.fileName(firstSeq: firstSeq)) failed: \(ErrnoName.describe(error.code))")
        }
    }

    /// Syncs and closes the current segment, then creates the next and fsyncs the directory.
    private mutating func startSegment(firstSeq nextFirstSeq: UInt64) throws(LedgerError) {
        if descriptor >= 0 {
            try synchronize()
            dropSyncedPages(throughEnd: true)
            fileSystem.close(descriptor)
            descriptor = -1
        }
        recordBytes = 0
        droppedBytes = 0
        let name = SegmentDirectory.fileName(firstSeq: nextFirstSeq)
        do {
            descriptor = try fileSystem.open(directory + "/" + name, flags: O_WRONLY | O_CREAT | O_EXCL | O_APPEND, mode: 0o640)
            firstSeq = nextFirstSeq
            try fileSystem.synchronizeDirectory(directory)
        } catch {
            throw LedgerError.poisoned("creating segment \(name) failed: \(ErrnoName.describe(error.code))")
        }
    }
}
