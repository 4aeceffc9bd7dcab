import Foundation
import PointFuzzTargets
import Testing

/// The seed corpora of `Tests/Fuzz/corpus/<target>/` pass every target's invariants.
@Suite("Fuzz corpora")
struct FuzzCorpusTests {
    static let corpusRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus").path

    @Test("Each seed corpus replays without a broken invariant", arguments: FuzzTarget.allCases)
    func corpus(_ target: FuzzTarget) {
        let report = FuzzReplay.replay(target, paths: [Self.corpusRoot + "/" + target.rawValue])
        #expect(report.inputs > 0, "no seeds for \(target.rawValue)")
        #expect(report.violations == 0, "\(report.lines.joined(separator: "\n"))")
    }
}
