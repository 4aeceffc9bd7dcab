import Foundation
import Synchronization
import Testing
@testable import PointLedger

/// Records a run left behind count as durable once read back, so opening first syncs the
/// newest segments and reads them from the device.
@Suite struct OpenSettlesEarlierWritesTests {
    /// Wraps the real file system and records, by file name, the syncs, cache drops and reads.
    final class RecordingFileSystem: ForwardingFileSystem, @unchecked Sendable {
        let base: any LedgerFileSystem = PosixFileSystem()
        private let state = Mutex((paths: [Int32: String](), events: [String]()))

        var events: [String] { state.withLock { $0.events } }
        private func note(_ what: String, _ descriptor: Int32) {
            state.withLock { state in
                let name = state.paths[descriptor].map { URL(fileURLWithPath: $0).lastPathComponent } ?? "?"
                state.events.append("\(what) \(name)")
            }
        }

        func open(_ path: String, flags: Int32, mode: UInt32) throws(SystemError) -> Int32 {
            let descriptor = try base.open(path, flags: flags, mode: mode)
            state.withLock { $0.paths[descriptor] = path }
            return descriptor
        }
        func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
            note("read", descriptor)
            return try base.read(descriptor, into: buffer)
        }
        func synchronizeData(_ descriptor: Int32) throws(SystemError) {
            note("sync", descriptor)
            try base.synchronizeData(descriptor)
        }
        func dropCachedPages(_ descriptor: Int32) {
            note("drop", descriptor)
            base.dropCachedPages(descriptor)
        }
        func dropCachedPages(_ descriptor: Int32, offset: Int, length: Int) {
            note("drop \(offset)+\(length)", descriptor)
            base.dropCachedPages(descriptor, offset: offset, length: length)
        }
    }

    @Test("After each commit the writer lets go of the synced whole pages, and of a finished segment all of it; reads still see every record")
    func theWriterDropsSyncedPages() async throws {
        let directory = TemporaryDirectory()
        let disk = RecordingFileSystem()
        // Segments of about 100 KiB (past the 64 KiB the writer lets go at a time); records of about 300 bytes.
        let ledger = try Ledger.open(directory: directory.ledgerPath, options: LedgerOptions(maxSegmentBytes: 100_000), fileSystem: disk)
        for index in 0..<200 { _ = try await ledger.append((0..<3).map { sampleEntry(index * 3 + $0) }) }
        ledger.close()
        let drops = disk.events.filter { $0.hasPrefix("drop ") }.map { $0.split(separator: " ").map(String.init) }
        let segments = try segmentFiles(directory.ledgerPath)
        #expect(segments.count >= 2)
        func size(_ name: String) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: directory.ledgerPath + "/" + name))?[.size] as? Int) ?? -1
        }
        // Per file, the ranges follow each other from 0: whole pages, 64 KiB or more at a time,
        // while the file grows; a finished segment through its last byte.
        var ends: [String: Int] = [:]
        for drop in drops {
            let range = drop[1].split(separator: "+").compactMap { Int($0) }
            guard range.count == 2 else { Issue.record("\(drop)"); continue }
            #expect(range[0] == ends[drop[2], default: 0] && range[1] > 0, "\(drop)")
            ends[drop[2]] = range[0] + range[1]
            let finishing = drop[2] != segments.last && range[0] + range[1] == size(drop[2])
            #expect(finishing || (range[1] >= SegmentWriter.dropStrideBytes && (range[0] + range[1]) % 4_096 == 0), "\(drop)")
        }
        for finished in segments.dropLast() { #expect(ends[finished] == size(finished), "\(finished)") }
        #expect(drops.count >= 3)
        #expect(try readAll(directory.ledgerPath).map(\.seq) == Array(1...600))
    }

    @Test func openSyncsAndRereadsTheNewestTwoSegmentsBeforeReadingThem() async throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.open(directory: directory.ledgerPath, options: LedgerOptions(maxSegmentBytes: 1_024))
        for index in 0..<20 { _ = try await ledger.append([sampleEntry(index)]) }
        ledger.close()
        let segments = try SegmentDirectory.list(directory.ledgerPath, fileSystem: PosixFileSystem()).map(\.name)
        #expect(segments.count >= 3)

        let recording = RecordingFileSystem()
        let reopened = try Ledger.open(directory: directory.ledgerPath, fileSystem: recording)
        #expect(reopened.durableSeq == 20)
        reopened.close()
        let events = recording.events
        for name in segments.suffix(2) {
            let sync = events.firstIndex(of: "sync \(name)")
            let drop = events.firstIndex(of: "drop \(name)")
            let read = events.firstIndex(of: "read \(name)")
            #expect(sync != nil && drop != nil && read != nil, "\(name): \(events)")
            if let sync, let drop, let read { #expect(sync < drop && drop < read, "\(name): \(events)") }
        }
        for name in segments.dropLast(2) {
            #expect(!events.contains("sync \(name)"), "only the newest two segments are synced at open: \(events)")
        }
    }

    @Test func aFailingSyncAtOpenRefusesToOpenAndNamesTheFile() async throws {
        let directory = TemporaryDirectory()
        let ledger = try Ledger.open(directory: directory.ledgerPath)
        for index in 0..<5 { _ = try await ledger.append([sampleEntry(index)]) }
        ledger.close()

        let faults = FaultInjectingFileSystem(faults: [.syncError(onCall: 1, errno: EIO)])
        do {
            let opened = try Ledger.open(directory: directory.ledgerPath, fileSystem: faults)
            opened.close()
            Issue.record("opened although syncing the previous run's records failed")
        } catch {
            #expect(error.description.contains("syncing what the previous run wrote"), "\(error)")
            #expect(error.description.contains(SegmentDirectory.fileName(firstSeq: 1)), "\(error)")
            #expect(error.description.contains("EIO"), "\(error)")
        }
        faults.heal()
        let reopened = try Ledger.open(directory: directory.ledgerPath, fileSystem: faults)
        #expect(reopened.durableSeq == 5)
        reopened.close()
    }
}
