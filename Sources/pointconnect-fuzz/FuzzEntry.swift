#if canImport(Glibc)
import Glibc
#endif
import PointFuzzTargets

#if FUZZING
import CFuzzerDriver

/// SwiftPM links an executable target's entry point as `main` under the name
/// `<module>_main`; in the fuzz build that entry hands over to libFuzzer's driver.
@_cdecl("pointconnect_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    _ = FuzzDriver.target
    return withUnsafeMutablePointer(to: &arguments) { argumentsPointer in
        argumentsPointer.withMemoryRebound(to: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?.self, capacity: 1) { pointer in
            LLVMFuzzerRunDriver(&count, pointer, { data, size in fuzzOneInput(data, size) })
        }
    }
}

/// The fuzz build (`sandbox/fuzz`: `-sanitize=fuzzer,address -DFUZZING`): libFuzzer provides
/// `main` and calls this for every input. The target comes from `POINTCONNECT_FUZZ_TARGET`.
/// A broken invariant traps, so libFuzzer saves the input as a crash artifact.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let violation = FuzzDriver.target.run(bytes) {
        FuzzDriver.report(violation, bytes)
        abort()
    }
    return 0
}

enum FuzzDriver {
    static let target: FuzzTarget = {
        let name = getenv("POINTCONNECT_FUZZ_TARGET").map { String(cString: $0) }
        guard let target = FuzzTarget.fromEnvironment(name) else {
            writeError("set POINTCONNECT_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n")
            exit(2)
        }
        return target
    }()

    static func report(_ violation: FuzzViolation, _ bytes: [UInt8]) {
        writeError("\(violation)\n")
    }

    static func writeError(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
#else
/// The plain build: replays inputs through a target (no libFuzzer), e.g. a crash artifact or a
/// corpus directory. `pointconnect-fuzz <target> <file or directory>...`; exit 1 on a violation.
@main
enum FuzzReplayMain {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count >= 2 else {
            print("usage: pointconnect-fuzz <\(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|"))> <file or directory>...")
            exit(2)
        }
        let report = FuzzReplay.replay(target, paths: Array(arguments.dropFirst()))
        for line in report.lines { print(line) }
        print("\(target.rawValue): \(report.inputs) input(s) replayed, \(report.violations) violation(s)")
        exit(report.violations == 0 ? 0 : 1)
    }
}
#endif
