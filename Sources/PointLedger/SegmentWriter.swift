#if canImport(Glibc)
import Glibc
#endif

/// The newest segment file as the ledger's writer thread appends to it.
///
/// **Preallocation.** Records are written at their offset into space the writer has already
/// filled with zero bytes (``LedgerOptions/preallocationBytes`` at a time, never past the segment
/// limit), so the file's size does not change on a commit and its `fdatasync` writes the data and
/// flushes the device without also writing the inode — one device write fewer per commit. The
/// zero bytes are written and synced with the commit that first needs them. A segment the writer
/// finishes (it starts the next, or the ledger closes cleanly) is truncated to its records and
/// synced first, so only the newest segment of a running — or crashed — ledger ever ends in zero
/// bytes; readers treat a run of zero bytes at the end of the newest segment as space not yet
/// written (see ``SegmentTail``), and opening for writes truncates it. Preallocating is best
/// effort: when the zeros can't be written (a full disk), records are appended past them as
/// without preallocation, and the write that can't be made poisons the ledger as before.
///
/// Used by one thread at a time: the writer thread once it runs, the opening or closing thread
/// before it starts or after it finished.
final class SegmentWriter: @unchecked Sendable {
    /// Synced bytes left in the page cache before the writer lets them go (one call per 64 KiB).
    static let dropStrideBytes = 64 << 10
    /// Largest single write of zero bytes.
    static let zeroChunkBytes = 1 << 20
    private static let zeros = [UInt8](repeating: 0, count: zeroChunkBytes)

    private let directory: String
    private let fileSystem: any LedgerFileSystem
    private let preallocationBytes: Int
    private let maxSegmentBytes: Int

    private var descriptor: Int32 = -1
    /// First seq of the current segment (its file name).
    private(set) var firstSeq: UInt64 = 0
    /// Bytes of records in the current segment.
    private(set) var bytes = 0
    /// The file's size: the records plus the zero bytes written ahead of them.
    private(set) var allocatedBytes = 0
    /// Bytes at the start of the segment whose pages the writer has let go.
    private var droppedBytes = 0

    init(directory: String, fileSystem: any LedgerFileSystem, preallocationBytes: Int, maxSegmentBytes: Int) {
        self.directory = directory
        self.fileSystem = fileSystem
        self.preallocationBytes = max(0, preallocationBytes)
        self.maxSegmentBytes = maxSegmentBytes
    }

    deinit {
        if descriptor >= 0 { fileSystem.close(descriptor) }
    }

    /// Whether a segment is open.
    var isOpen: Bool { descriptor >= 0 }

    /// Continues the newest segment of an opened ledger, `bytes` long (its records; opening
    /// truncated anything after them).
    func resume(path: String, firstSeq: UInt64, bytes: Int) throws(SystemError) {
        descriptor = try fileSystem.open(path, flags: O_WRONLY, mode: 0)
        self.firstSeq = firstSeq
        self.bytes = bytes
        allocatedBytes = bytes
        droppedBytes = 0
    }

    /// Finishes the current segment (truncated to its records, synced, its pages let go, closed),
    /// then creates the segment starting at `firstSeq` and syncs the directory.
    func start(firstSeq: UInt64) throws(LedgerError) {
        if descriptor >= 0 {
            try trimPreallocation()
            try synchronize()
            dropSyncedPages(throughEnd: true)
            fileSystem.close(descriptor)
            descriptor = -1
        }
        bytes = 0
        allocatedBytes = 0
        droppedBytes = 0
        let name = SegmentDirectory.fileName(firstSeq: firstSeq)
        do {
            descriptor = try fileSystem.open(directory + "/" + name, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o640)
            self.firstSeq = firstSeq
            try fileSystem.synchronizeDirectory(directory)
        } catch {
            throw LedgerError.poisoned("creating segment \(name) failed: \(ErrnoName.describe(error.code))")
        }
    }

    /// Writes `lines` after the segment's records (not yet synced).
    func append(_ lines: UnsafeRawBufferPointer) throws(LedgerError) {
        preallocate(upTo: bytes + lines.count)
        do {
            try fileSystem.writeAll(descriptor, lines, at: Int64(bytes))
        } catch {
            throw LedgerError.poisoned("write to \(fileName) failed: \(ErrnoName.describe(error.code))")
        }
        bytes += lines.count
        allocatedBytes = max(allocatedBytes, bytes)
    }

    /// `fdatasync`s the segment, then lets the page cache drop its synced pages.
    func synchronizeAndDropPages() throws(LedgerError) {
        try synchronize()
        dropSyncedPages(throughEnd: false)
    }

    /// At a clean close: truncates the segment to its records and syncs it, then closes it. A
    /// failure leaves the zero bytes for the next open to remove.
    func finish() {
        guard descriptor >= 0 else { return }
        if allocatedBytes > bytes {
            do {
                try trimPreallocation()
                try synchronize()
            } catch {
                // Opening removes them.
            }
        }
        close()
    }

    /// Closes the segment as it is (after a failure, or when the writer never ran).
    func close() {
        guard descriptor >= 0 else { return }
        fileSystem.close(descriptor)
        descriptor = -1
    }

    private var fileName: String { SegmentDirectory.fileName(firstSeq: firstSeq) }

    private func synchronize() throws(LedgerError) {
        do {
            try fileSystem.synchronizeData(descriptor)
        } catch {
            throw LedgerError.poisoned("fdatasync of \(fileName) failed: \(ErrnoName.describe(error.code))")
        }
    }

    /// Fills the file with zero bytes to at least `needed`, in whole preallocation steps but not
    /// past the segment limit. Best effort: stops at the first write that fails or falls short.
    private func preallocate(upTo needed: Int) {
        guard preallocationBytes > 0, needed > allocatedBytes else { return }
        let steps = (needed - allocatedBytes + preallocationBytes - 1) / preallocationBytes
        let target = min(max(needed, maxSegmentBytes), allocatedBytes + steps * preallocationBytes)
        while allocatedBytes < target {
            let length = min(Self.zeroChunkBytes, target - allocatedBytes)
            let offset = Int64(allocatedBytes)
            let written: Int? = Self.zeros.withUnsafeBytes { zeros in
                try? fileSystem.write(descriptor, UnsafeRawBufferPointer(rebasing: zeros[..<length]), at: offset)
            }
            guard let written, written > 0 else { return }
            allocatedBytes += written
            if written < length { return }
        }
    }

    /// Truncates the zero bytes after the records.
    private func trimPreallocation() throws(LedgerError) {
        guard allocatedBytes > bytes else { return }
        do {
            try fileSystem.truncate(descriptor, length: Int64(bytes))
        } catch {
            throw LedgerError.poisoned("truncating the preallocated end of \(fileName) failed: \(ErrnoName.describe(error.code))")
        }
        allocatedBytes = bytes
    }

    /// Lets the page cache drop the segment's synced pages (whole pages, at least
    /// ``dropStrideBytes`` of them at a time; with `throughEnd` everything, the last partial page
    /// too, once nothing more is appended to the segment). The records are durable and the ledger
    /// reads them only at open and for audits; without this every commit would take fresh pages,
    /// and on a virtual machine a page the guest has not used for a while costs the host a fault
    /// to back again. Pages of the zero bytes ahead of the records stay: the next commits write
    /// into them.
    private func dropSyncedPages(throughEnd: Bool) {
        let end = throughEnd ? bytes : bytes & ~4_095
        guard end > droppedBytes, throughEnd || end - droppedBytes >= Self.dropStrideBytes else { return }
        fileSystem.dropCachedPages(descriptor, offset: droppedBytes, length: end - droppedBytes)
        droppedBytes = end
    }
}
