import Foundation

/// Replays saved inputs (corpus directories, crash artifacts) through a target without libFuzzer.
public enum FuzzReplay {
    public struct Report: Sendable {
        public var inputs = 0
        public var violations = 0
        public var lines: [String] = []
    }

    /// The files at `paths` (directories are read one level deep), in name order.
    public static func inputs(at paths: [String]) -> [(name: String, bytes: [UInt8])] {
        var found: [(String, [UInt8])] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let files = isDirectory.boolValue
                ? ((try? manager.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 } : [path]
            for file in files {
                if let data = manager.contents(atPath: file) { found.append((file, Array(data))) }
            }
        }
        return found
    }

    public static func replay(_ target: FuzzTarget, paths: [String]) -> Report {
        var report = Report()
        for (name, bytes) in inputs(at: paths) {
            report.inputs += 1
            if let violation = target.run(bytes) {
                report.violations += 1
                report.lines.append("\(name): \(violation)")
            }
        }
        return report
    }
}
