/// The grant store's order IDs, packed end to end in fixed 1 MiB chunks so that growing never
/// copies the bytes already stored. An ID never straddles two chunks (IDs are at most 255
/// bytes, so at most that much of a chunk is left unused). An ID's reference is its chunk
/// number × 2^20 + its offset in the chunk, which fits 32 bits for up to 4,096 chunks (4 GiB).
struct OrderIDArena: Sendable, Equatable {
    static let chunkBytes = 1 << 20
    static let maxChunks = 4_096
    static let maxIDBytes = 255

    private var chunks: [[UInt8]] = []

    /// Bytes reserved so far (whole chunks).
    var reservedBytes: Int { chunks.count * Self.chunkBytes }

    /// Whether an ID of `length` bytes fits within the limits.
    func hasRoom(forBytes length: Int) -> Bool {
        guard length <= Self.maxIDBytes else { return false }
        if let last = chunks.last, last.count + length <= Self.chunkBytes { return true }
        return chunks.count < Self.maxChunks
    }

    /// Stores `bytes` and returns their reference. The caller has checked ``hasRoom(forBytes:)``.
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        precondition(hasRoom(forBytes: bytes.count), "order ID arena limits are checked by the caller")
        if chunks.isEmpty || chunks[chunks.count - 1].count + bytes.count > Self.chunkBytes {
            var chunk: [UInt8] = []
            chunk.reserveCapacity(Self.chunkBytes)
            chunks.append(chunk)
        }
        let chunk = chunks.count - 1
        let offset = chunks[chunk].count
        chunks[chunk].append(contentsOf: bytes)
        return UInt32(chunk) << 20 | UInt32(offset)
    }

    /// Whether the ID at `reference` (of `length` bytes) equals `bytes`.
    func equals(_ reference: UInt32, length: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard length == bytes.count else { return false }
        let start = Int(reference & 0xF_FFFF)
        return chunks[Int(reference >> 20)].withUnsafeBufferPointer { chunk in
            for offset in 0..<length where chunk[start + offset] != bytes[offset] { return false }
            return true
        }
    }

    /// The ID at `reference`.
    func string(_ reference: UInt32, length: Int) -> String {
        let start = Int(reference & 0xF_FFFF)
        return String(decoding: chunks[Int(reference >> 20)][start..<(start + length)], as: UTF8.self)
    }
}
