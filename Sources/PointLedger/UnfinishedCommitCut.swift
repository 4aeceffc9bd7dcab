import Foundation

/// `pointconnect ledger cut`: cuts a commit that a power loss left unfinished off the end of the
/// newest segment, when the operator knows the host lost power.
///
/// The service cuts a torn *last line* by itself. A power loss in the middle of a group commit
/// can leave more on file systems that expose blocks never written inside a file: zero bytes
/// with complete lines after them. That is also what damage can look like, so the service
/// refuses to open (see ``TornTail/unfinishedCommitHint(seq:)``) and the operator decides. The
/// cut accepts only what a commit cut short can be, and keeps a copy of every byte it removes:
/// - it starts at the first bad line, which is in the newest segment;
/// - no signed checkpoint covers it (a covered record was acknowledged);
/// - what it removes holds zero bytes (a write that never reached the device) and is no longer
///   than one commit can be (``LedgerOptions/maxPendingBytes`` plus one line).
public enum UnfinishedCommitCut {
    /// What was cut.
    public struct Outcome: Sendable, Equatable {
        /// The segment file name.
        public let segment: String
        /// Where the cut starts; the segment's new length.
        public let offset: Int64
        /// How many bytes were removed.
        public let bytes: Int64
        /// The copy of the removed bytes, in the data directory.
        public let copyPath: String
    }

    /// Cuts the newest segment at record `seq`, the first bad one. The service must be stopped
    /// (the ledger directory's lock is taken). Throws, changing nothing, when the ledger has
    /// nothing to cut, when `seq` is not where the damage starts, or when what would be cut is
    /// not what an unfinished commit can be.
    public static func cut(dataDirectory: String, fromSeq seq: UInt64, fileSystem: any LedgerFileSystem = PosixFileSystem(),
                           maxCommitBytes: Int = LedgerOptions().maxPendingBytes) throws(LedgerError) -> Outcome {
        let ledgerDirectory = dataDirectory + "/ledger"
        let lock = try LedgerDirectoryLock.acquire(ledgerDirectory)
        defer { lock.release() }
        let protectedSeq = try CheckpointLog.newest(dataDirectory: dataDirectory, fileSystem: fileSystem)?.size ?? 0
        guard seq > protectedSeq else {
            throw refusal("record \(seq) is covered by the newest signed checkpoint (tree size \(protectedSeq)), so it was acknowledged: cutting it would lose it. Restore the segment from a replica or backup")
        }
        // Where the damage starts: the scan stops at the first bad line.
        var damage: (file: String, offset: Int, seq: UInt64)?
        var summary = ScanSummary()
        do throws(LedgerError) {
            summary = try LedgerScanner(directory: ledgerDirectory, fileSystem: fileSystem).scan(repairTornTail: false, protectedSeq: protectedSeq) { _, _ in }
        } catch {
            guard case .corrupt(let file, let offset, let firstBad, _) = error else { throw error }
            damage = (file, offset, firstBad)
        }
        guard let damage else {
            let torn = summary.tornTail.map { " (only a torn last line at seq \($0.seq), which the service cuts itself when it opens the ledger)" } ?? ""
            throw refusal("the ledger has no damage to cut: its records run to seq \(summary.lastSeq)\(torn)")
        }
        guard damage.seq == seq else {
            throw refusal("the damage starts at seq \(damage.seq) (\(damage.file), byte \(damage.offset)), not at seq \(seq); check with `pointconnect ledger verify` and give --from-seq \(damage.seq)")
        }
        let segments = try SegmentDirectory.list(ledgerDirectory, fileSystem: fileSystem)
        guard let newest = segments.last, newest.name == damage.file else {
            throw refusal("the damage is in \(damage.file), not in the newest segment: only the newest segment's end can be an unfinished commit. Restore it from a replica or backup")
        }
        let descriptor = try newest.open(with: fileSystem, flags: O_RDWR)
        defer { fileSystem.close(descriptor) }
        let size: Int64
        do { size = try fileSystem.size(descriptor) } catch {
            throw LedgerError.io(operation: "reading the size of", path: newest.path, errno: error.code)
        }
        let removed = Int(size) - damage.offset
        guard removed <= maxCommitBytes + LedgerRecordFormat.maxLineBytes else {
            throw refusal("\(removed) bytes follow the damage, more than one commit writes (at most \(maxCommitBytes + LedgerRecordFormat.maxLineBytes)): it is not an unfinished commit. Restore the segment from a replica or backup")
        }
        let tail = try read(descriptor, from: Int64(damage.offset), count: removed, path: newest.path, fileSystem: fileSystem)
        guard tail.contains(0) else {
            throw refusal("the \(removed) bytes from seq \(seq) on hold no zero bytes, the mark of a write that never reached the device: they were written, so they are damage, not an unfinished commit. Restore the segment from a replica or backup")
        }
        let copyPath = try keepCopy(tail, named: dataDirectory + "/cut-\(newest.name.dropLast(6))-at-\(damage.offset)",
                                    directory: dataDirectory, fileSystem: fileSystem)
        do {
            try fileSystem.truncate(descriptor, length: Int64(damage.offset))
            try fileSystem.synchronizeAll(descriptor)
        } catch {
            throw LedgerError.io(operation: "cutting (a copy of the bytes to cut is in \(copyPath)) at byte \(damage.offset) of", path: newest.path,
                                 errno: error.code)
        }
        return Outcome(segment: newest.name, offset: Int64(damage.offset), bytes: Int64(removed), copyPath: copyPath)
    }

    private static func refusal(_ reason: String) -> LedgerError {
        .cutRefused(reason)
    }

    /// Reads `count` bytes at `offset` of a descriptor just opened (at offset 0): the bytes before
    /// are read through and dropped (the file system protocol has no seek).
    private static func read(_ descriptor: Int32, from offset: Int64, count: Int, path: String,
                             fileSystem: any LedgerFileSystem) throws(LedgerError) -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1 << 20), alignment: 16)
        defer { buffer.deallocate() }
        var filled = 0
        do throws(SystemError) {
            var skipped: Int64 = 0
            while skipped < offset {
                let want = Int(min(offset - skipped, Int64(buffer.count)))
                let read = try fileSystem.read(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<want]))
                guard read > 0 else { return [] }
                skipped += Int64(read)
            }
            while filled < count {
                let read = try fileSystem.read(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<count]))
                guard read > 0 else { break }
                filled += read
            }
        } catch {
            throw LedgerError.io(operation: "reading", path: path, errno: error.code)
        }
        return Array(UnsafeRawBufferPointer(rebasing: buffer[..<filled]))
    }

    /// Writes the bytes to be cut to a new file `<base>.bin` (or `<base>-2.bin`… when an earlier
    /// attempt left one: never over an existing file) and syncs it and its directory before
    /// anything is cut; a copy that could not be written whole is removed. Returns its path.
    private static func keepCopy(_ bytes: [UInt8], named base: String, directory: String,
                                 fileSystem: any LedgerFileSystem) throws(LedgerError) -> String {
        var attempt = 1
        while true {
            let path = attempt == 1 ? base + ".bin" : base + "-\(attempt).bin"
            let descriptor: Int32
            do throws(SystemError) {
                descriptor = try fileSystem.open(path, flags: O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode: 0o600)
            } catch {
                guard error.code == EEXIST, attempt < 100 else {
                    throw LedgerError.io(operation: "keeping a copy of what would be cut in", path: path, errno: error.code)
                }
                attempt += 1
                continue
            }
            do throws(SystemError) {
                defer { fileSystem.close(descriptor) }
                try bytes.withUnsafeBytes { raw in Result { () throws(SystemError) in try fileSystem.writeAll(descriptor, raw) } }.get()
                try fileSystem.synchronizeAll(descriptor)
                try fileSystem.synchronizeDirectory(directory)
            } catch {
                _ = unlink(path)
                throw LedgerError.io(operation: "keeping a copy of what would be cut in", path: path, errno: error.code)
            }
            return path
        }
    }
}
