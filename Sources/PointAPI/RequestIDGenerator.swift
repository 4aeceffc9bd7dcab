import PointCrypto
import Synchronization

/// Issues `X-Line-Request-Id` values: 32 lowercase hex characters, a random per-process prefix
/// followed by a counter. Unique within a process, practically unique across restarts, and one
/// atomic add per id.
public final class RequestIDGenerator: Sendable {
    /// The response header carrying the id.
    public static let headerName = "X-Line-Request-Id"

    private let prefix: UInt64
    private let counter: Atomic<UInt64>

    /// A generator with a random prefix and starting point.
    public init() {
        var generator = SystemRandomNumberGenerator()
        prefix = generator.next()
        counter = Atomic(generator.next() >> 16)
    }

    /// A generator with a fixed prefix and starting point (tests).
    public init(prefix: UInt64, start: UInt64) {
        self.prefix = prefix
        counter = Atomic(start)
    }

    /// The next id.
    public func next() -> String {
        let sequence = counter.wrappingAdd(1, ordering: .relaxed).oldValue
        return String(unsafeUninitializedCapacity: 32) { bytes in
            Self.writeHex(prefix, into: bytes, at: 0)
            Self.writeHex(sequence, into: bytes, at: 16)
            return 32
        }
    }

    private static func writeHex(_ value: UInt64, into bytes: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        for index in 0..<16 {
            bytes[offset + index] = Hex.digit(UInt8(truncatingIfNeeded: value >> UInt64(60 - 4 * index)) & 0xF)
        }
    }
}
