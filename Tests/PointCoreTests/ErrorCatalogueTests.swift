import Foundation
import Testing

@Suite("Error catalogue")
struct ErrorCatalogueTests {
    /// Every `code: "…"` in the core's sources is documented in docs/errors.md.
    @Test("docs/errors.md lists every domain error code")
    func everyCodeDocumented() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let catalogue = try String(contentsOf: root.appendingPathComponent("docs/errors.md"), encoding: .utf8)
        let sources = root.appendingPathComponent("Sources/PointCore")
        let files = try FileManager.default.subpathsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }
        let pattern = try NSRegularExpression(pattern: #"code: "([a-z_]+)""#)
        var codes = Set<String>()
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                if let range = Range(match.range(at: 1), in: text) { codes.insert(String(text[range])) }
            }
        }
        #expect(codes.count > 30)
        for code in codes.sorted() { #expect(catalogue.contains("`\(code)`"), "docs/errors.md does not document \(code)") }
    }
}
