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

    /// Streams the complete lines of the file at `path` to `visit` (1-based line number, text).
    /// A missing file reads as empty. Memory is bounded by the read buffer.
    public static func scan(
        path: String, fileSystem: any LedgerFileSystem = PosixFileSystem(),
        visit: (_ lineNumber: Int, _ line: String) throws(LedgerError) -> Void = { _, _ in }
    ) throws(LedgerError) -> ScanResult {
        var result = ScanResult()
        let descriptor: Int32
        do {
            descriptor = try fileSystem.open(path, flags: O_RDONLY, mode: 0)
        } catch {
            if error.code == ENOENT { return result }
            throw LedgerError.io(operation: "opening", path: path, errno: error.code)
        }
        defer { fileSystem.close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var carry: [UInt8] = []
        while true {
            let count: Int
            do {
                count = try buffer.withUnsafeMutableBytes { raw in try fileSystem.read(descriptor, into: raw) }
            } catch {
                throw LedgerError.io(operation: "reading", path: path, errno: (error as? SystemError)?.code ?? EIO)
            }
            if count == 0 { break }
            result.fileBytes += Int64(count)
            var start = 0
            for index in 0..<count where buffer[index] == 0x0A {
                carry.append(contentsOf: buffer[start..<index])
                result.lines += 1
                result.validBytes += Int64(carry.count + 1)
                let line = String(decoding: carry, as: UTF8.self)
                try visit(result.lines, line)
                result.lastLine = line
                carry.removeAll(keepingCapacity: true)
                start = index + 1
            }
            carry.append(contentsOf: buffer[start..<count])
            guard carry.count <= maxLineBytes else {
                throw LedgerError.checkpointInvalid(line: result.lines + 1, size: nil, reason: "the line is longer than \(maxLineBytes) bytes")
            }
        }
        return result
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
            fileSystem.close(descriptor)
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
