import PointHTTP
import PointJSON
import Testing
@testable import PointAPI

@Suite struct APIErrorTests {
    @Test func rendersTheDocumentedShape() throws {
        let error = APIError(
            status: .unprocessableContent, code: .validationFailed, message: "Fix \"these\".",
            details: [APIErrorDetail(property: "items[3].points", message: "must be at least 1")]
        )
        #expect(String(decoding: error.body, as: UTF8.self) ==
            #"{"code":"validation_failed","message":"Fix \"these\".","details":[{"property":"items[3].points","message":"must be at least 1"}]}"#)
        let parsed = try JSONParser.parse(error.body)
        #expect(parsed["details"]?.arrayValue?.count == 1)
        let response = error.response
        #expect(response.status.code == 422)
        #expect(response.headers["Content-Type"] == "application/json")
    }

    @Test func methodNotAllowedCarriesAllow() {
        let response = APIError.methodNotAllowed(.put, allowed: [.get, .delete]).response
        #expect(response.status.code == 405)
        #expect(response.headers["Allow"] == "GET, DELETE")
    }

    @Test func detailsAreCappedWhenRendered() throws {
        let details = (0..<250).map { APIErrorDetail(property: "p\($0)", message: "bad") }
        let parsed = try JSONParser.parse(APIError.validationFailed(details).body)
        let rendered = parsed["details"]?.arrayValue ?? []
        #expect(rendered.count == APIError.maxRenderedDetails + 1)
        #expect(rendered.last?["message"]?.stringValue == "150 more problems not shown")
    }

    @Test func controlCharactersAreEscaped() throws {
        let error = APIError.badRequest("line\nbreak\u{0}")
        let parsed = try JSONParser.parse(error.body)
        #expect(parsed["message"]?.stringValue == "line\nbreak\u{0}")
    }
}
