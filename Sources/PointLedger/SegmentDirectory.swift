/// A segment file: records `firstSeq`, `firstSeq + 1`, … one per line.
public struct SegmentFile: Sendable, Equatable {
    /// The seq of the segment's first record, which is also its name.
    public let firstSeq: UInt64
    /// The file name, e.g. `00000000000000000001.jsonl`.
    public let name: String
    /// The full path.
    public let path: String
}

extension SegmentFile {
    /// Opens the segment file, reporting a failure as ``LedgerError/io(operation:path:errno:)``.
    func open(with fileSystem: any LedgerFileSystem, flags: Int32) throws(LedgerError) -> Int32 {
        do {
            return try fileSystem.open(path, flags: flags, mode: 0)
        } catch {
            throw LedgerError.io(operation: "opening", path: path, errno: error.code)
        }
    }
}

/// Naming and listing of segment files inside `<data-dir>/ledger/`.
public enum SegmentDirectory {
    /// Suffix of every segment file.
    public static let suffix = ".jsonl"
    /// Digits in a segment file's number.
    public static let digits = 20

    /// The file name of the segment starting at `firstSeq`: 20 zero-padded digits + `.jsonl`.
    public static func fileName(firstSeq: UInt64) -> String {
        let number = String(firstSeq)
        return String(repeating: "0", count: max(0, digits - number.count)) + number + suffix
    }

    /// The first seq a segment file name stands for; `nil` when the name is not a segment's.
    public static func firstSeq(ofFileName name: String) -> UInt64? {
        guard name.hasSuffix(suffix) else { return nil }
        let number = name.dropLast(suffix.count)
        guard number.count == digits, number.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let value = UInt64(number), value >= 1 else { return nil }
        return value
    }

    /// The segments in `directory`, ordered by first seq. Other files are ignored.
    public static func list(_ directory: String, fileSystem: any LedgerFileSystem) throws(LedgerError) -> [SegmentFile] {
        let names: [String]
        do {
            names = try fileSystem.listDirectory(directory)
        } catch {
            throw LedgerError.io(operation: "listing", path: directory, errno: error.code)
        }
        return names.compactMap { name in
            firstSeq(ofFileName: name).map { SegmentFile(firstSeq: $0, name: name, path: directory + "/" + name) }
        }.sorted { $0.firstSeq < $1.firstSeq }
    }
}
