import Foundation
import Testing
import PointJSON
@testable import PointLedger

@Suite struct LedgerBatchReaderTests {
    /// Writes `count` sample records in segments of about 3 KB.
    private func writeLedger(_ directory: TemporaryDirectory, count: Int) async throws -> [AppendedRecord] {
        let ledger = try Ledger.open(directory: directory.ledgerPath, options: LedgerOptions(maxSegmentBytes: 3_000))
        var appended: [AppendedRecord] = []
        for start in stride(from: 1, through: count, by: 50) {
            appended += try await ledger.append((start..<min(start + 50, count + 1)).map { sampleEntry($0) })
        }
        ledger.close()
        return appended
    }

    private struct Seen {
        var seqs: [UInt64] = []
        var types: [String] = []
        var data: [[UInt8]] = []
        var batchSizes: [Int] = []
    }

    @Test func deliversEveryRecordInOrderAcrossSegmentsAndBatches() async throws {
        let directory = TemporaryDirectory()
        let appended = try await writeLedger(directory, count: 230)
        #expect(try segmentFiles(directory.ledgerPath).count > 10)
        var seen = Seen()
        let summary = try LedgerBatchReader.read(directory: directory.ledgerPath, batchRecords: 7) { batch in
            seen.batchSizes.append(batch.count)
            for index in 0..<batch.count {
                seen.seqs.append(batch.seqs[index])
                seen.types.append(batch.types[index])
                seen.data.append(batch.withData(index) { Array($0) })
            }
        }
        #expect(summary.records == 230)
        #expect(summary.lastSeq == 230)
        #expect(seen.seqs == appended.map(\.seq))
        #expect(seen.batchSizes.allSatisfy { $0 >= 1 && $0 <= 7 })
        #expect(seen.batchSizes.dropLast().allSatisfy { $0 == 7 })
        // The data bytes are exactly each record's canonical data.
        let records = try readAll(directory.ledgerPath)
        #expect(seen.types == records.map(\.type))
        #expect(seen.data == records.map { CanonicalJSON.encode($0.data) })
    }

    private final class FirstSeqs {
        let seqs: [UInt64]
        let thread: pthread_t
        init(_ seqs: [UInt64], thread: pthread_t) { self.seqs = seqs; self.thread = thread }
    }

    @Test("prepare runs on the reader thread for every batch, the last partial one included, and is never seen stale")
    func prepareRunsOnTheReaderThreadForEveryBatch() async throws {
        let directory = TemporaryDirectory()
        _ = try await writeLedger(directory, count: 100)
        var batches = 0
        var delivered: [UInt64] = []
        _ = try LedgerBatchReader.read(directory: directory.ledgerPath, batchRecords: 9, prepare: { batch in
            #expect(batch.prepared == nil, "a reused batch kept what was prepared for its earlier contents")
            batch.prepared = FirstSeqs(batch.seqs, thread: pthread_self())
        }) { batch in
            batches += 1
            guard let prepared = batch.prepared as? FirstSeqs else { Issue.record("batch \(batches) was not prepared"); return }
            #expect(pthread_equal(prepared.thread, pthread_self()) == 0, "prepared on the consuming thread")
            #expect(prepared.seqs == batch.seqs)
            delivered += prepared.seqs
        }
        #expect(batches == 12)   // 11 batches of 9 and one of 1
        #expect(delivered == Array(1...100))
    }

    private struct Refusal: Error { let message: String }

    @Test func aConsumerFailureStopsTheReadAndIsReported() async throws {
        let directory = TemporaryDirectory()
        _ = try await writeLedger(directory, count: 120)
        var consumed: [UInt64] = []
        do {
            _ = try LedgerBatchReader.read(directory: directory.ledgerPath, batchRecords: 10) { batch throws(Refusal) in
                for index in 0..<batch.count {
                    if batch.seqs[index] == 35 { throw Refusal(message: "record 35 refused") }
                    consumed.append(batch.seqs[index])
                }
            }
            Issue.record("the read should have failed")
        } catch {
            guard case .consumer(let failure) = error else { Issue.record("expected the consumer's failure, got \(error)"); return }
            #expect(failure.message == "record 35 refused")
        }
        #expect(consumed == Array(1...34))
    }

    @Test func damageIsReportedAfterTheValidPrefixWasDelivered() async throws {
        let directory = TemporaryDirectory()
        _ = try await writeLedger(directory, count: 60)
        // Alter one byte inside record 30's data: its line no longer matches record 31's prev.
        let records = try readAll(directory.ledgerPath)
        let target = try #require(records.first { $0.seq == 30 })
        let file = try #require(try segmentFiles(directory.ledgerPath).last { name in
            (UInt64(name.prefix(20)) ?? 0) <= 30
        })
        let path = directory.ledgerPath + "/" + file
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let line = target.line
        let start = try #require(bytes.firstRange(of: line)).lowerBound
        let orderOffset = try #require(line.firstRange(of: Array("order-30".utf8))).lowerBound
        bytes[start + orderOffset + 6] = UInt8(ascii: "9")
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        var delivered: [UInt64] = []
        do {
            _ = try LedgerBatchReader.read(directory: directory.ledgerPath, batchRecords: 4) { batch in
                delivered += batch.seqs
            }
            Issue.record("the read should have failed")
        } catch {
            guard case .ledger(.corrupt(_, _, let seq, let reason)) = error else { Issue.record("expected corruption, got \(error)"); return }
            #expect(seq == 31)
            #expect(reason.contains("hash chain"))
        }
        #expect(delivered.last ?? 0 <= 30)
        #expect(delivered == Array(1...UInt64(delivered.count)))
    }

    @Test func aTornLastLineIsIgnoredAndTheFilesAreNotChanged() async throws {
        let directory = TemporaryDirectory()
        _ = try await writeLedger(directory, count: 20)
        let last = try #require(try segmentFiles(directory.ledgerPath).last)
        let path = directory.ledgerPath + "/" + last
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"seq":21,"time":"2026"#.utf8))
        try handle.close()
        let sizeBefore = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int

        var count = 0
        let summary = try LedgerBatchReader.read(directory: directory.ledgerPath) { batch in count += batch.count }
        #expect(count == 20)
        #expect(summary.tornTail?.seq == 21)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == sizeBefore)
    }

    @Test func anEmptyDirectoryReadsAsNoRecords() throws {
        let directory = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.ledgerPath, withIntermediateDirectories: true)
        var batches = 0
        let summary = try LedgerBatchReader.read(directory: directory.ledgerPath) { _ in batches += 1 }
        #expect(summary.records == 0)
        #expect(batches == 0)
    }
}
