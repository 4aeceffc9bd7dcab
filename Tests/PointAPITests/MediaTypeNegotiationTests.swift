@testable import PointAPI
import Testing

@Suite("Accept negotiation")
struct MediaTypeNegotiationTests {
    static let offers = ["application/json", "text/csv", "text/html"]

    @Test("The highest weight wins, the most specific range sets an offer's weight, q=0 excludes", arguments: [
        ("text/csv", "text/csv"),
        ("*/*", "application/json"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("text/*;q=0.5, application/json;q=0.4", "text/csv"),
        ("text/*, text/csv;q=0", "text/html"),
        ("*/*;q=0.1, text/html;q=0.2", "text/html"),
        ("TEXT/CSV ; Q=1.000", "text/csv"),
        ("application/json;q=0.5, text/csv;q=0.5", "application/json"),
    ])
    func chooses(header: String, expected: String) {
        #expect(MediaTypeNegotiation.choose(accept: header, offers: Self.offers) == expected, "\(header)")
    }

    @Test("Nothing acceptable: nil", arguments: ["application/pdf", "text/csv;q=0", "*/*;q=0", "image/*", "text/csv;q=2", "text/csv;q=0.0001"])
    func noneAcceptable(header: String) {
        #expect(MediaTypeNegotiation.choose(accept: header, offers: Self.offers) == nil, "\(header)")
    }

    @Test("qvalues follow the grammar", arguments: [("0", 0), ("1", 1_000), ("0.5", 500), ("0.125", 125), ("1.000", 1_000)])
    func qvalues(text: String, value: Int) {
        #expect(MediaTypeNegotiation.qvalue(text) == value)
    }

    @Test("Malformed qvalues are refused", arguments: ["", "2", "1.5", "0.1234", "-0", ".5", "0.a"])
    func malformedQvalues(text: String) {
        #expect(MediaTypeNegotiation.qvalue(text) == nil)
    }

    @Test("A range with a malformed q is left out, not read as q=0", arguments: [
        ("text/csv;q=.5, text/html", "text/html"), ("text/csv;q=\"0.5\", application/json;q=0.1", "application/json"),
    ])
    func malformedQLeavesTheRangeOut(header: String, expected: String) {
        #expect(MediaTypeNegotiation.choose(accept: header, offers: Self.offers) == expected)
        #expect(MediaTypeNegotiation.parse("text/csv;q=.5").isEmpty)
    }

    @Test("The document format: several Accept fields are one list; an Accept with no readable range is as if absent")
    func documentFormat() throws {
        #expect(try APIApplication.format(nil, accept: "application/pdf,text/csv") == .csv)
        #expect(try APIApplication.format(nil, accept: "text/csv;q=.5") == .json)
        #expect(try APIApplication.format(nil, accept: nil) == .json)
        #expect(try APIApplication.format("html", accept: "application/pdf") == .html)
        #expect(throws: APIError.self) { try APIApplication.format(nil, accept: "application/pdf") }
    }

    @Test("At most maxRanges ranges are read")
    func bounded() {
        let header = Array(repeating: "image/png", count: MediaTypeNegotiation.maxRanges).joined(separator: ",") + ",text/csv"
        #expect(MediaTypeNegotiation.parse(header).count == MediaTypeNegotiation.maxRanges)
        #expect(MediaTypeNegotiation.choose(accept: header, offers: Self.offers) == nil)
    }
}
