import PointCore
import PointJSON
import Testing

@Suite("Record types")
struct DomainEventTypesTests {
    @Test("Every record type listed is one the decoder knows, and a type it does not know is not listed")
    func recordTypesAreTheDecodersTypes() throws {
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
