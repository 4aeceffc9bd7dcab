#if canImport(Glibc)
import Glibc
#endif
import PointFuzzTargets

#if FUZZING
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
            fputs("set POINTCONNECT_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n", stderr)
            exit(2)
        }
        return target
    }()

    static func report(_ violation: FuzzViolation, _ bytes: [UInt8]) {
        fputs("\(violation)\n", stderr)
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
