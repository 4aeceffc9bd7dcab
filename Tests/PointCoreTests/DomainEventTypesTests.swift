import Foundation
import PointCore
import PointJSON
import Testing

@Suite("Record types")
struct DomainEventTypesTests {
    @Test("The record types listed are exactly the decoder's: each listed one decodes, each decoded one is listed")
    func recordTypesAreTheDecodersTypes() throws {
        // The decoder's own cases, read from its source: a type added there but not to the list
        // would make audit export refuse a real record type.
        let source = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/PointCore/DomainEventCoding.swift").path, encoding: .utf8)
        let decodeFunction = try #require(source.range(of: "public static func decode(type: String"))
        let rest = source[decodeFunction.upperBound...]
        let body = rest[..<(rest.range(of: "\n    }\n")?.lowerBound ?? rest.endIndex)]
        // Every quoted name on the function's `case "…":` lines (one or several per line).
        let decoded = body.split(separator: "\n").flatMap { line -> [String] in
            let text = line.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("case \""), text.hasSuffix(":") else { return [] }
            return text.dropFirst(5).dropLast().split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        #expect(Set(decoded) == Set(DomainEvent.recordTypes), "decoder: \(decoded.sorted())")
        #expect(Set(DomainEvent.recordTypes).count == DomainEvent.recordTypes.count)
        for type in DomainEvent.recordTypes {
            // An empty payload is refused for a missing field (a known type), never answered nil (unknown).
            var answeredNil = false
            do { answeredNil = try DomainEvent.decode(type: type, data: .object([:])) == nil } catch {}
            #expect(!answeredNil, "\(type) is listed but not decoded")
        }
        #expect(try DomainEvent.decode(type: "grant.isued", data: .object([:])) == nil)
    }

    @Test("An export filter's types: known types pass; unknown or empty ones are named with the list of types")
    func exportTypeProblems() {
        #expect(LedgerExportFilter.problem(withTypes: ["grant.issued", "revocation.recorded"]) == nil)
        let problem = LedgerExportFilter.problem(withTypes: ["grant.issued", "grant.isued", "refund"])
        #expect(problem?.hasPrefix("are not record types: grant.isued, refund; the record types are merchant.registered, ") == true, "\(problem ?? "")")
        #expect(LedgerExportFilter.problem(withTypes: ["grant.issued", ""])?.hasPrefix("must list record types") == true)
        #expect(LedgerExportFilter.problem(withTypes: [])?.hasPrefix("must list record types") == true)
    }
}
