import Foundation
import Testing

/// docs/errors.md documents every error code the API and HTTP layers can answer, with the
/// status the code answers it with.
///
/// Sources are scanned as text, so a new `APIErrorCode("…")`, `HTTPRequestError(… code: "…")` or
/// `LineIDTokenError("…", …)` fails this test until docs/errors.md has a row for it.
@Suite("Error documentation")
struct ErrorDocumentationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    static func sources(in directory: String) throws -> [(name: String, text: String)] {
        let url = root.appendingPathComponent(directory)
        return try FileManager.default.subpathsOfDirectory(atPath: url.path).filter { $0.hasSuffix(".swift") }.sorted().map {
            ($0, try String(contentsOf: url.appendingPathComponent($0), encoding: .utf8))
        }
    }

    static func matches(_ pattern: String, in text: String) -> [[String]] {
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return [] }
        return expression.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { match in
            (1..<match.numberOfRanges).map { index in
                Range(match.range(at: index), in: text).map { String(text[$0]) } ?? ""
            }
        }
    }

    /// Status codes by `HTTPStatus` constant name (`notFound` → 404).
    static func statusNumbers() throws -> [String: Int] {
        var numbers: [String: Int] = [:]
        for match in matches(#"static let (\w+) = HTTPStatus\(code: (\d+)\)"#, in: try read("Sources/PointHTTP/HTTPStatus.swift")) {
            numbers[match[0]] = Int(match[1])
        }
        return numbers
    }

    /// The statuses docs/errors.md gives `code` in its table rows (`| \`code\` | 401 | …`).
    static func documentedStatuses(of code: String, in catalogue: String) -> Set<Int> {
        Set(matches(#"(?m)^\| `\#(NSRegularExpression.escapedPattern(for: code))` \| (\d{3}) \|"#, in: catalogue).compactMap { Int($0[0]) })
    }

    /// The part of docs/errors.md after the "Transport and authentication codes" heading.
    static func transportSection(of catalogue: String) -> String? {
        guard let range = catalogue.range(of: "## Transport and authentication codes") else { return nil }
        return String(catalogue[range.lowerBound...])
    }

    @Test("Every APIErrorCode constant is documented in the transport section")
    func apiErrorCodesDocumented() throws {
        let catalogue = try Self.read("docs/errors.md")
        let section = try #require(Self.transportSection(of: catalogue), "docs/errors.md has no \"## Transport and authentication codes\" section")
        let codes = Self.matches(#"static let \w+ = APIErrorCode\("([a-z_]+)"\)"#, in: try Self.read("Sources/PointAPI/APIErrorCode.swift")).map { $0[0] }
        #expect(codes.count >= 19, "found only \(codes.count) APIErrorCode constants; has APIErrorCode.swift changed shape?")
        for code in codes {
            let mentioned = section.contains("`\(code)`")
            #expect(mentioned, "docs/errors.md's transport section does not document \(code)")
            #expect(!Self.documentedStatuses(of: code, in: section).isEmpty, "docs/errors.md has no table row with a status for \(code)")
        }
    }

    @Test("Every code the API layer answers is documented with the status it is answered with")
    func apiStatusesDocumented() throws {
        let catalogue = try Self.read("docs/errors.md")
        let statuses = try Self.statusNumbers()
        var constants: [String: String] = [:]
        for match in Self.matches(#"static let (\w+) = APIErrorCode\("([a-z_]+)"\)"#, in: try Self.read("Sources/PointAPI/APIErrorCode.swift")) {
            constants[match[0]] = match[1]
        }
        var pairs: [(file: String, status: String, code: String)] = []
        for (name, text) in try Self.sources(in: "Sources/PointAPI") {
            for match in Self.matches(#"status: \.(\w+), code: \.(\w+)"#, in: text) {
                pairs.append((name, match[0], constants[match[1]] ?? "unknown constant .\(match[1])"))
            }
            for match in Self.matches(#"status: \.(\w+), code: APIErrorCode\("([a-z_]+)"\)"#, in: text) {
                pairs.append((name, match[0], match[1]))
            }
        }
        #expect(pairs.count > 15, "found only \(pairs.count) status/code pairs in Sources/PointAPI")
        for pair in pairs {
            let number = try #require(statuses[pair.status], "\(pair.file): unknown HTTPStatus .\(pair.status)")
            let documented = Self.documentedStatuses(of: pair.code, in: catalogue)
            #expect(documented.contains(number),
                    "\(pair.file) answers \(pair.code) with \(number), but docs/errors.md gives it \(documented.isEmpty ? "no row" : "\(documented.sorted())")")
        }
    }

    @Test("Every HTTP server error code is documented with its status")
    func httpServerCodesDocumented() throws {
        let catalogue = try Self.read("docs/errors.md")
        let section = try #require(Self.transportSection(of: catalogue), "docs/errors.md has no \"## Transport and authentication codes\" section")
        let statuses = try Self.statusNumbers()
        var found = 0
        for (name, text) in try Self.sources(in: "Sources/PointHTTP") {
            for match in Self.matches(#"status: \.(\w+),\s*code: "([a-z_]+)""#, in: text) {
                found += 1
                let number = try #require(statuses[match[0]], "\(name): unknown HTTPStatus .\(match[0])")
                let documented = Self.documentedStatuses(of: match[1], in: section)
                #expect(documented.contains(number),
                        "\(name) answers \(match[1]) with \(number), but docs/errors.md's transport section gives it \(documented.isEmpty ? "no row" : "\(documented.sorted())")")
            }
        }
        // 400, 408, 411, 413, 414, 417, 431, 500, 501, 503, 505.
        #expect(found >= 11, "found only \(found) HTTP server error codes in Sources/PointHTTP")
    }

    @Test("Every LINE Login ID token code is documented as 422")
    func idTokenCodesDocumented() throws {
        let catalogue = try Self.read("docs/errors.md")
        let verifier = try Self.read("Sources/PointCrypto/LineIDTokenVerifier.swift")
        let codes = Set(Self.matches(#"LineIDTokenError\(\s*"([a-z_]+)""#, in: verifier).map { $0[0] })
        #expect(codes.count >= 8, "found only \(codes.count) ID token codes")
        // POST /v1/bindings answers every verifier refusal with 422 (MerchantEndpoints.swift).
        let endpoints = try Self.read("Sources/PointAPI/MerchantEndpoints.swift")
        #expect(endpoints.contains("status: .unprocessableContent, code: APIErrorCode(error.code)"),
                "MerchantEndpoints.swift no longer answers ID token refusals with 422; update docs/errors.md and this test")
        for code in codes.sorted() {
            #expect(Self.documentedStatuses(of: code, in: catalogue).contains(422), "docs/errors.md does not document \(code) as 422")
        }
    }
}
