import PointCollections
import Testing

/// Appending never moves what is stored; reads, in-place changes and copies behave as an Array's.
struct ChunkedArrayTests {
    @Test func chunkedArrayKeepsEveryElementAcrossChunksAndModifiesInPlace() {
        var array = ChunkedArray<Int>()
        let total = ChunkedArray<Int>.chunkCapacity * 3 + 5
        for value in 0..<total { array.append(value * 7) }
        #expect(array.count == total)
        #expect(array.indices == 0..<total)
        for position in [0, 1, ChunkedArray<Int>.chunkCapacity - 1, ChunkedArray<Int>.chunkCapacity, total - 1] {
            #expect(array[position] == position * 7)
        }
        #expect(array.allSatisfy { $0 % 7 == 0 })
        array[ChunkedArray<Int>.chunkCapacity] += 1
        #expect(array[ChunkedArray<Int>.chunkCapacity] == ChunkedArray<Int>.chunkCapacity * 7 + 1)
    }

    @Test func chunkedArrayHasValueSemantics() {
        var original = ChunkedArray<Int>()
        for value in 0..<100 { original.append(value) }
        var copy = original
        copy[3] = -1
        copy.append(100)
        #expect(original[3] == 3)
        #expect(original.count == 100)
        #expect(copy.count == 101)
        #expect(original != copy)
        copy[3] = 3
        var trimmed = ChunkedArray<Int>()
        for value in 0..<100 { trimmed.append(value) }
        #expect(original == trimmed)
    }
}
