import Foundation
import PointJSON
@testable import PointLedger

/// A fresh temporary directory, removed when the value is deinitialised.
final class TemporaryDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "pointconnect-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    var ledgerPath: String { path + "/ledger" }
}

/// A deterministic pseudo-random generator (SplitMix64) so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A sample entry about 300 bytes long once encoded.
func sampleEntry(_ index: Int, time: Int64 = 1_795_000_000_000_000) -> LedgerEntry {
    LedgerEntry(
        type: "grant.created",
        data: [
            "merchantId": "M0001",
            "orderId": .string("order-\(index)"),
            "memberId": .string("member-\(index % 977)"),
            "lineUserId": "U0123456789abcdef0123456789abcdef",
            "scenarioId": "S0001",
            "points": .int(Int64(index % 500 + 1)),
            "unitPriceTenths": 11,
            "note": "點數 grant",
        ],
        time: time + Int64(index)
    )
}

/// Reads every record of a ledger directory without opening it for writes.
func readAll(_ directory: String) throws -> [LedgerRecord] {
    var records: [LedgerRecord] = []
    _ = try LedgerScanner(directory: directory).scan(repairTornTail: false) { (view, _) throws(LedgerError) in
        if case .success(let record) = view.decode() { records.append(record) }
    }
    return records
}

func segmentFiles(_ directory: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".jsonl") }.sorted()
}
