/// An append-only array stored in fixed-size chunks: appending never moves or copies the
/// elements already stored, so the cost of an append is bounded (one chunk allocation at
/// most) however large the array grows. A plain Array doubles by copying everything, which
/// with millions of elements is a pause of tens to hundreds of milliseconds — under a lock,
/// a pause every caller waits out.
public struct ChunkedArray<Element>: RandomAccessCollection {
    /// Elements per chunk (a power of two).
    @inlinable public static var chunkCapacity: Int { 1 << chunkShift }
    @inlinable static var chunkShift: Int { 16 }
    @inlinable static var chunkMask: Int { chunkCapacity - 1 }

    @usableFromInline var chunks: [[Element]] = []
    /// Number of elements.
    @usableFromInline var storedCount = 0
    @inlinable public var count: Int { storedCount }

    /// An empty array.
    @inlinable public init() {}

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { count }

    /// The element at `position`. Out-of-range positions trap in the chunk arrays' own
    /// bounds checks (a negative one in the outer array's, one past the end in the last chunk's).
    @inlinable public subscript(position: Int) -> Element {
        get { chunks[position >> Self.chunkShift][position & Self.chunkMask] }
        _modify { yield &chunks[position >> Self.chunkShift][position & Self.chunkMask] }
    }

    /// Appends `element`; allocates one new chunk when the last is full.
    @inlinable public mutating func append(_ element: Element) {
        if count & Self.chunkMask == 0 {
            var chunk: [Element] = []
            chunk.reserveCapacity(Self.chunkCapacity)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(element)
        storedCount += 1
    }
}

extension ChunkedArray: Equatable where Element: Equatable {
    @inlinable public static func == (left: ChunkedArray, right: ChunkedArray) -> Bool {
        left.count == right.count && left.chunks == right.chunks
    }
}

extension ChunkedArray: Sendable where Element: Sendable {}
