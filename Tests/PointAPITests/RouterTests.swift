import PointHTTP
import Testing
@testable import PointAPI

@Suite struct RouterTests {
    let router: Router<String>

    init() throws {
        var router = Router<String>(maxParameterBytes: 16)
        try router.add(.get, "/healthz", "health")
        try router.add(.post, "/v1/grants", "createGrant")
        try router.add(.get, "/v1/grants", "listGrants")
        try router.add(.post, "/v1/grants/batch", "batch")
        try router.add(.get, "/v1/grants/{orderId}", "getGrant")
        try router.add(.post, "/v1/grants/{orderId}/revocations", "revoke")
        try router.add(.get, "/v1/bindings/{memberId}", "getBinding")
        try router.add(.delete, "/v1/bindings/{memberId}", "deleteBinding")
        self.router = router
    }

    func found(_ method: HTTPMethod, _ path: String) -> (String, String, RouteParameters)? {
        if case .found(let handler, let pattern, let parameters) = router.match(method: method, path: path) {
            return (handler, pattern, parameters)
        }
        return nil
    }

    @Test func matchesLiteralsAndParameters() {
        #expect(found(.get, "/healthz")?.0 == "health")
        #expect(found(.post, "/v1/grants")?.0 == "createGrant")
        #expect(found(.post, "/v1/grants/batch")?.0 == "batch")
        let grant = found(.get, "/v1/grants/A-1")
        #expect(grant?.0 == "getGrant")
        #expect(grant?.1 == "/v1/grants/{orderId}")
        #expect(grant?.2["orderId"] == "A-1")
        #expect(found(.post, "/v1/grants/A-1/revocations")?.2["orderId"] == "A-1")
        // The literal "batch" route lacks GET, so the parameter route serves it.
        #expect(found(.get, "/v1/grants/batch")?.2["orderId"] == "batch")
        #expect(found(.head, "/v1/bindings/m1")?.0 == "getBinding")
        #expect(found(.head, "/healthz")?.0 == "health")
        #expect(found(.post, "/v1/grants")?.2.pairs.isEmpty == true)
        #expect(found(.post, "/v1/grants")?.1 == "/v1/grants")
    }

    @Test func decodesParameters() {
        #expect(found(.get, "/v1/bindings/a%2Fb%20c")?.2["memberId"] == "a/b c")
        #expect(found(.get, "/v1/bindings/%E3%81%82")?.2["memberId"] == "あ")
        #expect(found(.get, "/v1/bindings/a+b")?.2["memberId"] == "a+b")
    }

    @Test(arguments: ["/v1/bindings/%zz", "/v1/bindings/%E3%81", "/v1/bindings/a%00b", "/v1/bindings/%", "/v1/bindings/12345678901234567"])
    func refusesBadParametersWith400(path: String) {
        guard case .invalidParameter(let error) = router.match(method: .get, path: path) else {
            Issue.record("\(path) not refused as an invalid parameter")
            return
        }
        #expect(error.status.code == 400)
        #expect(error.details.first?.property == "memberId")
    }

    @Test(arguments: ["/", "/v1", "/v1/grants/", "/v1//grants", "/v1/grants/A-1/x", "/V1/grants", "/v1/%67rants", "/healthz/", "healthz", "/v1/grants/A-1/revocations/"])
    func unknownPathsAreNotFound(path: String) {
        guard case .notFound = router.match(method: .get, path: path) else {
            Issue.record("\(path) should be 404")
            return
        }
        #expect(router.match(method: .get, path: path).routeLabel == "unmatched")
    }

    @Test func wrongMethodsGet405WithAllow() throws {
        guard case .methodNotAllowed(let allowed) = router.match(method: .put, path: "/v1/bindings/m1") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == [.get, .head, .delete])
        do {
            _ = try router.resolve(method: .delete, path: "/v1/grants")
            Issue.record("expected 405")
        } catch {
            #expect(error.status.code == 405)
            #expect(error.headers["Allow"] == "GET, HEAD, POST")
        }
        #expect(throws: APIError.notFound()) { try router.resolve(method: .get, path: "/nope") }
    }

    @Test func veryLongPathsAreNotFound() {
        let path = String(repeating: "/a", count: 1000)
        guard case .notFound = router.match(method: .get, path: path) else {
            Issue.record("expected 404")
            return
        }
    }

    @Test func badTablesAreRefused() {
        var router = Router<Int>()
        #expect(throws: RouterError.self) { try router.add(.get, "v1", 0) }
        #expect(throws: RouterError.self) { try router.add(.get, "/v1/{id", 0) }
        #expect(throws: RouterError.self) { try router.add(.get, "/v1/{1d}", 0) }
        #expect(throws: RouterError.self) { try router.add(.get, "/v1/{id}/{id}", 0) }
        #expect(throws: RouterError.self) { try router.add(.get, "/v1//x", 0) }
        #expect(throws: RouterError.self) { try router.add(.get, "/v1/a b", 0) }
        #expect(throws: Never.self) { try router.add(.get, "/v1/{id}", 0) }
        #expect(throws: RouterError.self) { try router.add(.get, "/v1/{id}", 1) }
        #expect(throws: RouterError.self) { try router.add(.post, "/v1/{other}", 1) }
    }
}
