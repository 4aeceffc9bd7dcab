import Foundation
import Synchronization
import Testing
@testable import PointAPI

/// Collects what a ``BufferedLineLogger`` writes, chunk by chunk.
final class ChunkCollector: Sendable {
    let state = Mutex<(bytes: [UInt8], chunks: Int)>(([], 0))
    func write(_ chunk: UnsafeRawBufferPointer) -> Bool {
        state.withLock { $0.bytes.append(contentsOf: chunk); $0.chunks += 1 }
        return true
    }
    var lines: [String] { state.withLock { String(decoding: $0.bytes, as: UTF8.self) }.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
    var chunks: Int { state.withLock { $0.chunks } }

    /// Polls until `condition` holds or `seconds` pass.
    func waitFor(seconds: Double, _ condition: (ChunkCollector) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            if condition(self) { return true }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return condition(self)
    }
}

@Suite struct BufferedLineLoggerTests {
    @Test("Lines come out whole and in order, from one thread and from many")
    func orderingPreserved() async {
        let collector = ChunkCollector()
        let logger = BufferedLineLogger(capacity: 1 << 20, flushThreshold: 512, flushInterval: .milliseconds(5)) { collector.write($0) }
        for index in 0..<2_000 { logger.append("line \(index)") }
        logger.flush()
        #expect(collector.lines == (0..<2_000).map { "line \($0)" })

        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask { for index in 0..<2_000 { logger.append("w\(writer) \(index)") } }
            }
        }
        logger.close()
        let concurrent = collector.lines.dropFirst(2_000)
        #expect(concurrent.count == 8_000)
        for writer in 0..<4 {
            let mine = concurrent.filter { $0.hasPrefix("w\(writer) ") }.map { Int($0.split(separator: " ")[1]) ?? -1 }
            #expect(mine == Array(0..<2_000), "writer \(writer)")
        }
        #expect(logger.droppedLines == 0)
        #expect(collector.chunks < 10_000, "lines are written in chunks, not one write per line")
    }

    @Test("close() writes everything still buffered and stops the writer; later lines are written directly")
    func flushOnClose() {
        let collector = ChunkCollector()
        // A long interval and a large threshold: only close() can write these.
        let logger = BufferedLineLogger(capacity: 1 << 20, flushThreshold: 1 << 20, flushInterval: .seconds(60)) { collector.write($0) }
        logger.append("a")
        logger.appendLine { $0.append(contentsOf: "b".utf8) }
        logger.append("{\"event\":\"fraud_signal\"}")
        #expect(collector.lines.isEmpty)
        logger.close()
        #expect(collector.lines == ["a", "b", "{\"event\":\"fraud_signal\"}"])
        #expect(logger.bufferedBytes == 0)
        logger.close()  // idempotent
        logger.append("after close")
        #expect(collector.lines.last == "after close")
    }

    @Test("flush() returns once the sink has every line appended before it")
    func flushIsSynchronous() {
        let collector = ChunkCollector()
        let logger = BufferedLineLogger(capacity: 1 << 20, flushThreshold: 1 << 20, flushInterval: .seconds(60)) { collector.write($0) }
        defer { logger.close() }
        logger.flush()  // nothing buffered: returns at once
        for index in 0..<10 { logger.append("\(index)") }
        logger.flush()
        #expect(collector.lines.count == 10)
    }

    @Test("The writer flushes on its interval and when the threshold fills, without being asked")
    func flushesByItself() {
        let timed = ChunkCollector()
        let byTime = BufferedLineLogger(capacity: 1 << 20, flushThreshold: 1 << 20, flushInterval: .milliseconds(20)) { timed.write($0) }
        defer { byTime.close() }
        byTime.append("soon")
        #expect(timed.waitFor(seconds: 5) { $0.lines == ["soon"] })

        let sized = ChunkCollector()
        let bySize = BufferedLineLogger(capacity: 1 << 20, flushThreshold: 100, flushInterval: .seconds(60)) { sized.write($0) }
        defer { bySize.close() }
        // 6 + 3 × 31 = 99 bytes stay under the threshold of 100; the fourth long line fills it,
        // and everything buffered by then is written without waiting for the 60-second interval.
        bySize.append("short")
        for _ in 0..<4 { bySize.append(String(repeating: "x", count: 30)) }
        #expect(sized.waitFor(seconds: 5) { $0.lines.count == 5 })
    }

    /// A logger of 1,000 bytes whose writer has taken the line `first` writes and is stuck in the
    /// sink until `gate` is signalled: what is appended meanwhile stays in the buffer.
    static func stuckLogger(first: (BufferedLineLogger) -> Void) -> (BufferedLineLogger, ChunkCollector, DispatchSemaphore) {
        let collector = ChunkCollector()
        let gate = DispatchSemaphore(value: 0)
        let entered = Atomic<Int>(0)
        let logger = BufferedLineLogger(capacity: 1_000, flushThreshold: 10, flushInterval: .milliseconds(1)) { chunk in
            if entered.add(1, ordering: .relaxed).oldValue == 0 { gate.wait() }
            return collector.write(chunk)
        }
        first(logger)
        #expect(collector.waitFor(seconds: 5) { _ in entered.load(ordering: .relaxed) == 1 })
        return (logger, collector, gate)
    }

    @Test("The buffer is bounded: with the sink stuck, lines beyond the capacity are dropped and counted")
    func boundedAndCountsDrops() {
        let (logger, collector, gate) = Self.stuckLogger { $0.append("first") }
        let line = String(repeating: "y", count: 99)  // 100 bytes with its newline
        for _ in 0..<50 { logger.append(line) }
        #expect(logger.bufferedBytes <= logger.capacity)
        #expect(logger.bufferedBytes == 1_000)
        #expect(logger.droppedLines == 40)
        logger.append(String(repeating: "z", count: 5_000))  // larger than the whole buffer
        #expect(logger.droppedLines == 41)
        gate.signal()
        logger.close()
        #expect(collector.lines.count == 11)
        #expect(collector.lines.first == "first")
    }

    @Test("Lines written in place keep their order among the others, are bounded like them, and are written directly after close")
    func linesWrittenInPlace() {
        let (logger, collector, gate) = Self.stuckLogger { logger in logger.appendLine { $0.append(contentsOf: "first".utf8) } }
        logger.append("a")
        logger.appendLine { $0.append(contentsOf: "b".utf8) }
        logger.append("c")
        #expect(logger.bufferedBytes == 6)
        // 100 bytes with the newline: nine fit beside "a", "b" and "c"; the rest are taken back out.
        let line = Array(repeating: UInt8(ascii: "y"), count: 99)
        for _ in 0..<20 { logger.appendLine { $0.append(contentsOf: line) } }
        #expect(logger.bufferedBytes == 906)
        #expect(logger.droppedLines == 11)
        logger.appendLine { $0.append(contentsOf: Array(repeating: UInt8(ascii: "z"), count: 5_000)) }
        #expect(logger.droppedLines == 12)
        #expect(logger.bufferedBytes == 906, "a dropped line leaves nothing of itself in the buffer")
        gate.signal()
        logger.close()
        logger.appendLine { $0.append(contentsOf: "after close".utf8) }
        #expect(collector.lines == ["first", "a", "b", "c"] + Array(repeating: String(repeating: "y", count: 99), count: 9) + ["after close"])
    }

    @Test("A failing sink is counted")
    func failedWritesCounted() {
        let logger = BufferedLineLogger(capacity: 1 << 16, flushThreshold: 1 << 16, flushInterval: .seconds(60)) { _ in false }
        logger.append("lost")
        logger.close()
        #expect(logger.failedWrites == 1)
        #expect(logger.droppedLines == 0)
    }
}
