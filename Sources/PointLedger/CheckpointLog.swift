#if canImport(Glibc)
import Glibc
#endif

/// `DATA_DIR/checkpoints.jsonl`: one ``SignedCheckpoint/jsonLine`` per line, oldest first,
/// only ever appended to, each append followed by `fdatasync`.
public enum CheckpointLog {
    /// The file name inside the data directory.
    public static let fileName = "checkpoints.jsonl"
    /// Longest accepted line.
    public static let maxLineBytes = 64 << 10

    /// What a scan of the file found.
    public struct ScanResult: Sendable, Equatable {
        /// Complete lines.
        public var lines = 0
        /// Bytes up to and including the last complete line's `\n`.
        public var validBytes: Int64 = 0
        /// The file's size; larger than `validBytes` when the last line is incomplete (a torn append).
        public var fileBytes: Int64 = 0
        /// The last complete line (without `\n`), if any.
        public var lastLine: String?
    }

    /// Syncs what an earlier run appended to the file at `path` and drops its cached pages, so
    /// that a line written but not yet synced when that run stopped is either on the device or
    /// not read at all — never published as a checkpoint the device may not hold. A missing file
    /// is nothing to settle.
    public static func settle(path: String, fileSystem: any LedgerFileSystem) throws(LedgerError) {
        let descriptor: Int32
        do { descriptor = try fileSystem.open(path, flags: O_RDONLY, mode: 0) } catch {
            if error.code == ENOENT { return }
            throw LedgerError.io(operation: "opening", path: path, errno: error.code)
        }
        defer { fileSystem.close(descriptor) }
        do { try fileSystem.synchronizeData(descriptor) } catch {
            throw LedgerError.io(operation: "syncing what the previous run appended to (refusing to open: a checkpoint may not be on the device)",
                                 path: path, errno: error.code)
        }
        fileSystem.dropCachedPages(descriptor)
    }

    /// The newest checkpoint of a scanned log, parsed (its signature unchecked); nil when there is
    /// none. Its last complete line must parse, as the service requires when it opens the directory.
    public static func newest(in scan: ScanResult) throws(LedgerError) -> SignedCheckpoint? {
        guard let line = scan.lastLine else { return nil }
        do { return try SignedCheckpoint(jsonLine: line) } catch {
            throw LedgerError.checkpointInvalid(line: scan.lines, size: nil, reason: "\(error). Run 'pointconnect ledger verify' on the data directory")
        }
    }

    /// The newest checkpoint in `dataDirectory/checkpoints.jsonl` (see ``newest(in:)``); nil when
    /// the file is missing or holds none.
    public static func newest(dataDirectory: String, fileSystem: any LedgerFileSystem = PosixFileSystem()) throws(LedgerError) -> SignedCheckpoint? {
        try newest(in: scan(path: dataDirectory + "/" + fileName, fileSystem: fileSystem))
    }

    /// Streams the complete lines of the file at `path` to `visit` (1-based line number, text).
    /// A missing file reads as empty. Memory is bounded by the read buffer.
    public static func scan(
        path: String, fileSystem: any LedgerFileSystem = PosixFileSystem(),
        visit: (_ lineNumber: Int, _ line: String) throws(LedgerError) -> Void = { _, _ in }
    ) throws(LedgerError) -> ScanResult {
        let reader = try CheckpointLogReader(path: path, fileSystem: fileSystem)
        while let (number, line) = try reader.next() { try visit(number, line) }
        return reader.result
    }
}

/// Reads `checkpoints.jsonl` one complete line at a time (pull style), so a verifier can walk
/// it alongside the ledger. Memory is bounded by the read buffer.
public final class CheckpointLogReader {
    private let path: String
    private let fileSystem: any LedgerFileSystem
    private var descriptor: Int32 = -1
    private var buffer: [UInt8] = []
    private var start = 0
    private var end = 0
    private var atEnd = false
    /// What has been read so far; complete once ``next()`` returned `nil`.
    public private(set) var result = CheckpointLog.ScanResult()

    /// Opens `path`; a missing file reads as empty.
    public init(path: String, fileSystem: any LedgerFileSystem = PosixFileSystem()) throws(LedgerError) {
        self.path = path
        self.fileSystem = fileSystem
        do {
            descriptor = try fileSystem.open(path, flags: O_RDONLY, mode: 0)
        } catch {
            if error.code != ENOENT { throw LedgerError.io(operation: "opening", path: path, errno: error.code) }
            atEnd = true
        }
        buffer = [UInt8](repeating: 0, count: atEnd ? 0 : CheckpointLog.maxLineBytes)
    }

    deinit {
        if descriptor >= 0 { fileSystem.close(descriptor) }
    }

    /// The next complete line (1-based number, text without `\n`); `nil` at the end, where an
    /// incomplete last line is left out (``CheckpointLog/ScanResult/fileBytes`` counts it).
    public func next() throws(LedgerError) -> (Int, String)? {
        while true {
            if let newline = buffer[start..<end].firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[start..<newline], as: UTF8.self)
                result.lines += 1
                result.validBytes += Int64(newline - start + 1)
                result.lastLine = line
                start = newline + 1
                return (result.lines, line)
            }
            if atEnd { return nil }
            if start > 0 {
                buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
                end -= start
                start = 0
            }
            guard end < buffer.count else {
                throw LedgerError.checkpointInvalid(line: result.lines + 1, size: nil, reason: "the line is longer than \(CheckpointLog.maxLineBytes) bytes")
            }
            let count: Int
            do {
                let (descriptor, fileSystem, filled) = (self.descriptor, self.fileSystem, end)
                count = try buffer.withUnsafeMutableBytes { raw in
                    try fileSystem.read(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
                }
            } catch {
                throw LedgerError.io(operation: "reading", path: path, errno: (error as? SystemError)?.code ?? EIO)
            }
            if count == 0 {
                atEnd = true
                fileSystem.close(descriptor)
                descriptor = -1
            }
            end += count
            result.fileBytes += Int64(count)
        }
    }
}

/// Appends checkpoint lines durably. Used by one thread at a time.
final class CheckpointLogWriter {
    let path: String
    private let fileSystem: any LedgerFileSystem
    private var descriptor: Int32

    /// Opens `path` for appending (creating it, and fsyncing its directory, when needed) after
    /// cutting off an incomplete last line left by a crash mid-append.
    init(path: String, directory: String, truncateTo validBytes: Int64, fileSystem: any LedgerFileSystem) throws(LedgerError) {
        self.path = path
        self.fileSystem = fileSystem
        do {
            descriptor = try fileSystem.open(path, flags: O_WRONLY | O_APPEND | O_CREAT, mode: 0o640)
        } catch {
            throw LedgerError.io(operation: "opening for append", path: path, errno: error.code)
        }
        do {
            if try fileSystem.size(descriptor) > validBytes {
                try fileSystem.truncate(descriptor, length: validBytes)
                try fileSystem.synchronizeData(descriptor)
            }
            try fileSystem.synchronizeDirectory(directory)
        } catch {
            // deinit runs for a throwing initializer of a fully initialised class: it closes it.
            close()
            throw LedgerError.io(operation: "repairing", path: path, errno: error.code)
        }
    }

    deinit { close() }

    /// Appends `line` and a newline, then `fdatasync`s.
    func append(_ line: String) throws(LedgerError) {
        guard descriptor >= 0 else { throw LedgerError.closed }
        let bytes = Array(line.utf8) + [0x0A]
        do {
            try bytes.withUnsafeBytes { raw in try fileSystem.writeAll(descriptor, raw) }
            try fileSystem.synchronizeData(descriptor)
        } catch {
            throw LedgerError.io(operation: "appending a checkpoint to", path: path, errno: (error as? SystemError)?.code ?? EIO)
        }
    }

    func close() {
        if descriptor >= 0 { fileSystem.close(descriptor) }
        descriptor = -1
    }
}
