/// The end of the newest segment's content.
///
/// A running ledger writes zero bytes ahead of its records in the newest segment (see
/// ``SegmentWriter``), and a crash leaves them there. No record holds a zero byte and every
/// record ends with a newline, so a run of zero bytes at the end of the newest segment is space
/// not yet written: readers stop before it, and opening for writes truncates it. Only the newest
/// segment may end that way; any other segment was truncated to its records before the next one
/// was created, and zero bytes at its end are damage.
enum SegmentTail {
    /// Bytes read at a time while looking back for the content's end.
    static let chunkBytes = 64 << 10

    /// The file's size less the run of zero bytes at its end.
    static func contentEnd(_ descriptor: Int32, size: Int64, fileSystem: any LedgerFileSystem) throws(SystemError) -> Int64 {
        var chunk = [UInt8](repeating: 0, count: chunkBytes)
        var end = size
        while end > 0 {
            let length = Int(min(Int64(chunkBytes), end))
            let start = end - Int64(length)
            let found: Result<Int?, SystemError> = chunk.withUnsafeMutableBytes { raw in
                var filled = 0
                while filled < length {
                    let count: Int
                    do throws(SystemError) {
                        count = try fileSystem.read(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: raw[filled..<length]),
                                                    at: start + Int64(filled))
                    } catch {
                        return .failure(error)
                    }
                    // The file shrank meanwhile: what is gone is not content.
                    if count == 0 { break }
                    filled += count
                }
                var index = filled - 1
                while index >= 0 && raw[index] == 0 { index -= 1 }
                return .success(index >= 0 ? index : nil)
            }
            let lastNonZero = try found.get()
            if let lastNonZero { return start + Int64(lastNonZero) + 1 }
            end = start
        }
        return 0
    }
}
