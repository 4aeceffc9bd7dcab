import Foundation
import PointHTTP
import PointJSON
import Testing
@testable import PointAPI

/// docs/openapi.yaml is valid OpenAPI 3.1 and describes exactly the routes of `Endpoint.table`.
///
/// The validator is the `openapi-spec-validator` Python package
/// (`python3 -m pip install openapi-spec-validator`); a missing package fails the test with that
/// instruction rather than skipping it.
@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let documentPath = packageRoot.appendingPathComponent("docs/openapi.yaml").path
    static let installHint = "Install it with: python3 -m pip install openapi-spec-validator"

    @Test("docs/openapi.yaml passes openapi-spec-validator")
    func validatesAsOpenAPI() throws {
        try Self.requireValidator()
        let run = try OpenAPIPython.run(["-m", "openapi_spec_validator", Self.documentPath], in: Self.packageRoot)
        #expect(run.status == 0, "openapi-spec-validator rejected docs/openapi.yaml:\n\(run.output)")
    }

    @Test("Every Endpoint.table route is documented, and every documented operation is routed")
    func routesMatchTable() throws {
        let text = try String(contentsOfFile: Self.documentPath, encoding: .utf8)
        let documented = OpenAPIPathScan.operations(in: text)
        #expect(documented.count >= Endpoint.table.count, "the line scan found only \(documented.count) operations in docs/openapi.yaml")

        var routed: [String: Endpoint] = [:]
        for (method, pattern, endpoint) in Endpoint.table { routed["\(method.rawValue) \(pattern)"] = endpoint }
        let documentedKeys = Set(documented.map(\.key))
        #expect(documentedKeys.count == documented.count, "docs/openapi.yaml documents an operation twice")

        for key in routed.keys.sorted() where !documentedKeys.contains(key) {
            Issue.record("Endpoint.table routes \(key) but docs/openapi.yaml does not document it")
        }
        for operation in documented where routed[operation.key] == nil {
            Issue.record("docs/openapi.yaml documents \(operation.key) (line \(operation.line)) but Endpoint.table has no such route")
        }
        // Each documented route names its endpoint and carries the tag of the endpoint's area.
        for operation in documented {
            guard let endpoint = routed[operation.key] else { continue }
            #expect(operation.operationId == endpoint.rawValue,
                    "\(operation.key): operationId is \(operation.operationId ?? "missing"), expected \(endpoint.rawValue)")
            #expect(operation.tags == [Self.tag(for: endpoint)],
                    "\(operation.key): tags are \(operation.tags), expected [\(Self.tag(for: endpoint))]")
        }
    }

    @Test("Every operation is complete and every example matches its schema")
    func operationsAreCompleteAndExamplesValid() throws {
        try Self.requireValidator()
        let run = try OpenAPIPython.run(["-c", OpenAPIPython.lintScript, Self.documentPath], in: Self.packageRoot)
        #expect(run.status == 0, "docs/openapi.yaml lint failed:\n\(run.output)")
    }

    @Test("The path scan sees drift")
    func scanSeesDrift() {
        let sample = """
        openapi: 3.1.0
        paths:
          /v1/a:
            parameters:
              - name: x
            get:
              operationId: a
              tags: [merchant]
            post:
              operationId: b
              tags: [reviewer]
          /v1/b/{id}:
            delete:
              operationId: c
              tags: [auditor]
        components:
          schemas:
            /not/a/path:
              get: {}
        """
        let found = OpenAPIPathScan.operations(in: sample)
        #expect(found.map(\.key) == ["GET /v1/a", "POST /v1/a", "DELETE /v1/b/{id}"])
        #expect(found.map(\.operationId) == ["a", "b", "c"])
        #expect(found.map(\.tags) == [["merchant"], ["reviewer"], ["auditor"]])
    }

    static func tag(for endpoint: Endpoint) -> String {
        switch endpoint.area {
        case nil: return "operations"
        case .merchant: return "merchant"
        case .admin: return "reviewer"
        case .audit: return "auditor"
        case .finance: return "finance"
        }
    }

    /// Fails (not skips) with an install hint when python3 or the validator is missing.
    static func requireValidator() throws {
        let probe: OpenAPIPython.Run
        do {
            probe = try OpenAPIPython.run(["-c", "import openapi_spec_validator, yaml, jsonschema"], in: packageRoot)
        } catch {
            Issue.record("python3 could not be started (\(error)). \(installHint)")
            throw error
        }
        if probe.status != 0 {
            Issue.record("The Python package openapi-spec-validator is not installed. \(installHint)\n\(probe.output)")
            throw OpenAPIPython.Missing()
        }
    }
}

/// A line-based scan of the `paths:` section of an OpenAPI YAML document written in block style
/// (two-space indents): path keys at indent 2, methods at indent 4, their fields at indent 6.
enum OpenAPIPathScan {
    struct Operation: Equatable {
        var method: String
        var path: String
        var line: Int
        var operationId: String?
        var tags: [String] = []
        var key: String { "\(method) \(path)" }
    }

    static let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    static func operations(in text: String) -> [Operation] {
        var operations: [Operation] = []
        var inPaths = false
        var path: String?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(rawLine)
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.trimmingCharacters(in: .whitespaces).hasPrefix("#") { continue }
            let indent = line.prefix { $0 == " " }.count
            let content = line.dropFirst(indent)
            if indent == 0 {
                inPaths = content.hasPrefix("paths:")
                path = nil
                continue
            }
            guard inPaths else { continue }
            if indent == 2, content.hasPrefix("/"), let colon = content.lastIndex(of: ":") {
                path = String(content[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "\"' "))
            } else if indent == 4, let path, content.hasSuffix(":"), methods.contains(String(content.dropLast())) {
                operations.append(Operation(method: String(content.dropLast()).uppercased(), path: path, line: index + 1))
            } else if indent == 6, !operations.isEmpty, operations[operations.count - 1].path == path {
                if content.hasPrefix("operationId:") {
                    operations[operations.count - 1].operationId = content.dropFirst("operationId:".count).trimmingCharacters(in: .whitespaces)
                } else if content.hasPrefix("tags:") {
                    let list = content.dropFirst("tags:".count).trimmingCharacters(in: CharacterSet(charactersIn: " []"))
                    operations[operations.count - 1].tags = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                }
            } else if indent == 4 {
                // `parameters:` or another path-level field: not an operation.
                continue
            }
        }
        return operations
    }
}

/// Runs python3 for the OpenAPI checks.
enum OpenAPIPython {
    struct Run {
        var status: Int32
        var output: String
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String { "openapi-spec-validator is not installed; \(OpenAPIDocumentTests.installHint)" }
    }

    static func run(_ arguments: [String], in directory: URL) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// Checks what the validator does not: each operation has an operationId, summary,
    /// description, one tag and responses; every response the application produces declares
    /// `X-Line-Request-Id`; writes with a body document 201 (or 200) and body methods have a
    /// request body with examples; every 4xx/5xx uses the shared `Error` schema; and every example
    /// validates against its schema (JSON Schema 2020-12).
    static let lintScript = #"""
import sys, yaml, jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

document = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
problems = []

def localize(node):
    if isinstance(node, dict):
        return {k: ("urn:openapi" + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else localize(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [localize(x) for x in node]
    return node

doc = localize(document)
registry = Registry().with_resource("urn:openapi", Resource.from_contents(doc, default_specification=DRAFT202012))

def resolve(node):
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        target = doc
        for part in node["$ref"].split("#", 1)[1].strip("/").split("/"):
            target = target[part]
        node, seen = target, seen + 1
    return node

def check_example(schema, value, where):
    validator = jsonschema.Draft202012Validator(schema, registry=registry, format_checker=jsonschema.FormatChecker())
    for error in validator.iter_errors(value):
        problems.append(f"{where}: example does not match schema: {error.message} at {list(error.absolute_path)}")

def check_media(media, where):
    schema = media.get("schema")
    if schema is None:
        problems.append(f"{where}: no schema")
        return
    if "example" in media:
        check_example(schema, media["example"], where)
    for name, example in (media.get("examples") or {}).items():
        example = resolve(example)
        if "value" in example:
            check_example(schema, example["value"], f"{where} example {name}")

operation_ids = set()
allowed_tags = {"merchant", "reviewer", "auditor", "finance", "operations"}
methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
for path, item in doc.get("paths", {}).items():
    for method, op in item.items():
        if method not in methods:
            continue
        where = f"{method.upper()} {path}"
        for field in ("operationId", "summary", "description", "tags", "responses"):
            if not op.get(field):
                problems.append(f"{where}: missing {field}")
        if op.get("operationId") in operation_ids:
            problems.append(f"{where}: duplicate operationId {op.get('operationId')}")
        operation_ids.add(op.get("operationId"))
        tags = op.get("tags") or []
        if len(tags) != 1 or tags[0] not in allowed_tags:
            problems.append(f"{where}: tags must be exactly one of {sorted(allowed_tags)}, not {tags}")
        body = op.get("requestBody")
        if body is not None:
            for content_type, media in resolve(body).get("content", {}).items():
                if not media.get("examples") and "example" not in media:
                    problems.append(f"{where}: request body has no examples")
                check_media(media, f"{where} request {content_type}")
        responses = op.get("responses") or {}
        successes = [status for status in responses if str(status).startswith("2")]
        if not successes:
            problems.append(f"{where}: no success response")
        for status, response in responses.items():
            status = str(status)
            reference = response.get("$ref", "") if isinstance(response, dict) else ""
            response = resolve(response)
            headers = response.get("headers") or {}
            # 413 comes from the HTTP server before the application, without a request id.
            if status != "413" and "X-Line-Request-Id" not in headers:
                problems.append(f"{where} {status}: no X-Line-Request-Id header")
            content = response.get("content") or {}
            if status[0] in "45":
                schema = (content.get("application/json") or {}).get("schema") or {}
                if schema.get("$ref") != "urn:openapi#/components/schemas/Error":
                    problems.append(f"{where} {status}: error response does not use the Error schema")
            for content_type, media in content.items():
                check_media(media, f"{where} {status} {content_type}")
        if responses.get("200") is not None and responses.get("201") is not None:
            if "Idempotent-Replay" not in (resolve(responses["200"]).get("headers") or {}):
                problems.append(f"{where}: a 200 beside a 201 is an idempotent replay and must declare Idempotent-Replay")

for name, schema in doc.get("components", {}).get("schemas", {}).items():
    if "example" in schema:
        check_example(schema, schema["example"], f"schema {name}")

if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"ok: {len(operation_ids)} operations")
"""#
}

/// Real responses conform to docs/openapi.yaml: drives the in-process sandbox through every
/// operation (successes, replays and typical refusals), then checks each response's status is
/// documented for its operation, its body validates against the documented schema, and the
/// `X-Line-Request-Id` / `Idempotent-Replay` headers are present exactly as documented.
@Suite("OpenAPI conformance")
struct OpenAPIConformanceTests {
    struct Exchange {
        var method: HTTPMethod
        var target: String
        var status: Int
        var contentType: String
        var body: String
        var requestID: Bool
        var replay: Bool

        var json: JSONValue {
            [
                "method": .string(method.rawValue.lowercased()), "target": .string(target), "status": .int(Int64(status)),
                "contentType": .string(contentType), "body": .string(body), "requestId": .bool(requestID), "replay": .bool(replay),
            ]
        }
    }

    final class Recorder: @unchecked Sendable {
        var exchanges: [Exchange] = []
        let harness: APIHarness
        init(_ harness: APIHarness) { self.harness = harness }

        @discardableResult
        func send(_ method: HTTPMethod, _ target: String, json: JSONValue? = nil, raw: [UInt8]? = nil,
                  as credential: (String, String)?, timedNonce: Bool = false) async -> (status: Int, body: JSONValue) {
            let body = raw ?? json.map { CanonicalJSON.encode($0) } ?? []
            var request = HTTPRequest(method: method, target: target, headers: HTTPHeaders(), body: body, remoteAddress: "127.0.0.1")
            if let (key, secret) = credential {
                let signer = RequestSigner(keyId: key, secret: Array(secret.utf8))
                request = timedNonce ? signer.signing(request, nonce: harness.timedNonce()) : signer.signing(request)
            }
            let response = await harness.application.handle(request)
            exchanges.append(Exchange(
                method: method, target: target, status: response.status.code,
                contentType: response.headers["Content-Type"] ?? "", body: String(decoding: response.body, as: UTF8.self),
                requestID: response.headers["X-Line-Request-Id"] != nil, replay: response.headers["Idempotent-Replay"] == "true"))
            return (response.status.code, (try? JSONParser.parse(response.body)) ?? .null)
        }
    }

    @Test("Responses of every operation match docs/openapi.yaml")
    func responsesMatchDocument() async throws {
        try OpenAPIDocumentTests.requireValidator()
        let harness = try await APIHarness()
        defer { harness.close() }
        let recorder = Recorder(harness)
        let a = harness.merchantA
        let merchant = (a.channelID, a.channelSecret)
        let reviewer = harness.staff("reviewer")
        let auditor = harness.staff("auditor")
        let finance = harness.staff("finance")
        let scenario = harness.scenarioID(a, purpose: "purchase_cashback")

        await recorder.send(.get, "/healthz", as: nil)
        await recorder.send(.get, "/readyz", as: nil)
        await recorder.send(.get, "/metrics", as: nil)

        // Bindings.
        let bind: JSONValue = ["memberId": "M-1", "idToken": .string(harness.idToken(for: a, user: 1))]
        await recorder.send(.post, "/v1/bindings", json: bind, as: merchant)
        await recorder.send(.post, "/v1/bindings", json: bind, as: merchant)
        await recorder.send(.post, "/v1/bindings", json: ["memberId": "M-2", "idToken": .string(harness.idToken(for: a, user: 2))], as: merchant)
        await recorder.send(.post, "/v1/bindings", json: ["memberId": "M-9", "idToken": "not-a-token"], as: merchant)
        await recorder.send(.get, "/v1/bindings/M-1", as: merchant)
        await recorder.send(.get, "/v1/bindings/nobody", as: merchant)

        // Grants.
        let grant: JSONValue = ["orderId": "O-1", "memberId": "M-1", "scenarioId": .string(scenario), "points": 100]
        await recorder.send(.post, "/v1/grants", json: grant, as: merchant)
        await recorder.send(.post, "/v1/grants", json: grant, as: merchant)
        await recorder.send(.post, "/v1/grants", json: ["orderId": "O-1", "memberId": "M-1", "scenarioId": .string(scenario), "points": 101], as: merchant)
        await recorder.send(.post, "/v1/grants", json: ["orderId": "O-2", "points": 0, "extra": true], as: merchant)
        await recorder.send(.post, "/v1/grants", raw: Array("{\"orderId\":".utf8), as: merchant)
        await recorder.send(.post, "/v1/grants/batch", json: ["grants": [
            ["orderId": "O-3", "lineUserId": .string(APIHarness.lineUser(2)), "scenarioId": .string(scenario), "points": 10],
            grant,
            ["orderId": "O-4", "memberId": "M-unbound", "scenarioId": .string(scenario), "points": 10],
        ]], as: merchant)
        await recorder.send(.get, "/v1/grants?limit=2", as: merchant)
        await recorder.send(.get, "/v1/grants?limit=0", as: merchant)
        await recorder.send(.get, "/v1/grants/O-1", as: merchant)
        await recorder.send(.get, "/v1/grants/O-404", as: merchant)
        await recorder.send(.delete, "/v1/bindings/M-2", as: merchant)
        await recorder.send(.delete, "/v1/bindings/M-2", as: merchant)

        // Revocations.
        let revocation: JSONValue = ["revocationId": "R-1", "points": 10, "reason": "purchase_cancelled",
                                     "evidence": ["cancellation": "refund", "transactionReference": "TX-1"]]
        await recorder.send(.post, "/v1/grants/O-1/revocations", json: revocation, as: merchant)
        await recorder.send(.post, "/v1/grants/O-1/revocations", json: revocation, as: merchant)
        await recorder.send(.post, "/v1/grants/O-1/revocations", json: ["revocationId": "R-2", "points": 5, "reason": "fraud",
                                                                       "evidence": ["fraudKind": "point_theft", "caseReference": "C-1"]], as: merchant)
        await recorder.send(.post, "/v1/grants/O-1/revocations", json: ["revocationId": "R-3", "points": 1, "reason": "customer_left"], as: merchant)

        // Scenarios.
        await recorder.send(.get, "/v1/scenarios", as: merchant)
        let submitted = await recorder.send(.post, "/v1/scenarios", json: [
            "title": "Survey thanks", "purpose": "survey", "description": "10 points for answering the survey.",
            "grantConditions": "Survey completed.", "campaignRules": [["kind": "limit", "text": "Once per member."]],
            "caps": ["maxPointsPerGrant": 10], "activeFrom": "2026-10-01T00:00:00+08:00", "activeUntil": "2027-10-01T00:00:00+08:00",
        ], as: merchant)
        let identified: JSONValue = [
            "title": "Birthday", "purpose": "member_registration", "description": "Points on joining.", "grantConditions": "Joined.",
            "activeFrom": "2026-10-01T00:00:00+08:00", "activeUntil": "2027-10-01T00:00:00+08:00", "submissionId": "SUB-1",
        ]
        await recorder.send(.post, "/v1/scenarios", json: identified, as: merchant)
        await recorder.send(.post, "/v1/scenarios", json: identified, as: merchant)
        await recorder.send(.post, "/v1/scenarios", json: [
            "title": "Birthday!", "purpose": "member_registration", "description": "Points on joining.", "grantConditions": "Joined.",
            "activeFrom": "2026-10-01T00:00:00+08:00", "activeUntil": "2027-10-01T00:00:00+08:00", "submissionId": "SUB-1",
        ], as: merchant)
        let second = await recorder.send(.post, "/v1/scenarios", json: [
            "title": "Event", "purpose": "event_participation", "description": "Points for attending.",
            "grantConditions": "Checked in.", "activeFrom": "2026-10-01T00:00:00+08:00", "activeUntil": "2027-10-01T00:00:00+08:00",
        ], as: merchant)
        await recorder.send(.post, "/v1/scenarios", json: [
            "title": "Coins", "purpose": "purchase_cashback", "description": "Cashback on coin packs.", "grantConditions": "Paid.",
            "purchaseChannels": ["in_app"], "inAppPurchaseStatement": "Coin packs pay for deliveries only; no effect on downloads or ranking.",
            "activeFrom": "2026-10-01T00:00:00+08:00", "activeUntil": "2027-10-01T00:00:00+08:00",
        ], as: merchant)
        await recorder.send(.post, "/v1/scenarios", json: [
            "title": "Resell", "purpose": "resale", "description": "x", "grantConditions": "x",
            "activeFrom": "2026-10-01T00:00:00+08:00", "activeUntil": "2027-10-01T00:00:00+08:00",
        ], as: merchant)

        // Admin.
        await recorder.send(.get, "/v1/admin/merchants", as: reviewer)
        await recorder.send(.get, "/v1/admin/merchants", as: merchant)
        await recorder.send(.post, "/v1/admin/merchants", json: [
            "merchantId": "1650000099", "name": "Conformance Co.", "taxId": "04595257", "appliedOn": "2026-10-01", "contractStartDate": "2026-11-01",
        ], as: reviewer)
        await recorder.send(.post, "/v1/admin/merchants", json: [
            "merchantId": "1650000099", "name": "Conformance Co.", "taxId": "04595257", "appliedOn": "2026-10-01", "contractStartDate": "2026-11-01",
        ], as: reviewer)
        await recorder.send(.post, "/v1/admin/merchants", json: ["merchantId": "1"], as: auditor)
        await recorder.send(.get, "/v1/admin/merchants/1650000099", as: auditor)
        await recorder.send(.get, "/v1/admin/merchants/0000000000", as: reviewer)
        await recorder.send(.post, "/v1/admin/merchants/1650000099/environments/sandbox", json: [
            "officialAccountId": "@conformance", "loginChannelId": "2006000099", "linkedLoginChannelId": "2006000099",
            "loginChannelSecret": "conformance-login-secret", "allowedSources": ["203.0.113.0/24"],
        ], as: reviewer)
        await recorder.send(.post, "/v1/admin/merchants/1650000099/environments/staging", json: [:], as: reviewer)
        await recorder.send(.put, "/v1/admin/merchants/1650000099/environments/sandbox/allowlist", json: ["allowedSources": ["203.0.113.7", "2001:db8::/48"]], as: reviewer)
        await recorder.send(.put, "/v1/admin/merchants/1650000099/environments/production/allowlist", json: ["allowedSources": ["203.0.113.7"]], as: reviewer)
        await recorder.send(.post, "/v1/admin/merchants/1650000099/status", json: ["action": "suspend", "reason": "Conformance test."], as: reviewer)
        await recorder.send(.post, "/v1/admin/merchants/1650000099/status", json: ["action": "pause", "reason": "x"], as: reviewer)
        await recorder.send(.post, "/v1/admin/merchants/1650000099/credentials/rotate", as: reviewer)
        await recorder.send(.post, "/v1/admin/merchants/1650000099/credentials/rotate", as: reviewer, timedNonce: true)
        await recorder.send(.get, "/v1/admin/scenarios?status=submitted", as: reviewer)
        await recorder.send(.get, "/v1/admin/scenarios?status=pending", as: reviewer)
        let firstID = submitted.body["scenario"]?["scenarioId"]?.stringValue ?? "SCN-missing"
        let secondID = second.body["scenario"]?["scenarioId"]?.stringValue ?? "SCN-missing"
        await recorder.send(.post, "/v1/admin/scenarios/\(firstID)/approve", json: ["note": "Fine."], as: reviewer)
        await recorder.send(.post, "/v1/admin/scenarios/\(firstID)/approve", json: ["note": "Again."], as: reviewer)
        await recorder.send(.post, "/v1/admin/scenarios/\(secondID)/reject", json: ["reason": "Too vague."], as: reviewer)
        await recorder.send(.post, "/v1/admin/revocations/R-1/findings", json: ["merchantId": .string(a.register.merchantID), "note": "Late notice."], as: reviewer)
        await recorder.send(.post, "/v1/admin/revocations/R-1/findings", json: ["merchantId": .string(a.register.merchantID), "note": "Twice."], as: reviewer)
        await recorder.send(.delete, "/v1/admin/revocations/R-1/findings?merchantId=\(a.register.merchantID)&note=Resolved", as: reviewer)
        await recorder.send(.delete, "/v1/admin/revocations/R-1/findings", as: reviewer)

        // Audit.
        await recorder.send(.get, "/v1/audit/ledger?limit=3", as: auditor)
        await recorder.send(.get, "/v1/audit/ledger?fromSeq=0", as: auditor)
        await recorder.send(.get, "/v1/audit/ledger", as: merchant)
        await recorder.send(.get, "/v1/audit/checkpoints/latest", as: auditor)
        await recorder.send(.get, "/v1/audit/proofs/inclusion?seq=1&treeSize=2", as: auditor)
        await recorder.send(.get, "/v1/audit/proofs/consistency?from=1&to=2", as: auditor)
        await recorder.send(.get, "/v1/audit/export?merchantId=\(a.register.merchantID)&type=grant.issued,revocation.recorded&limit=2", as: auditor)
        await recorder.send(.get, "/v1/audit/export?memberId=M-1&format=csv", as: finance)
        await recorder.send(.get, "/v1/audit/export?format=jsonl&month=2026-10", as: reviewer)
        await recorder.send(.get, "/v1/audit/export?format=xml", as: auditor)
        await recorder.send(.get, "/v1/audit/export?month=2026-13", as: auditor)
        await recorder.send(.get, "/v1/audit/compliance?month=2026-10", as: auditor)
        await recorder.send(.get, "/v1/audit/compliance?month=2026-10&merchantId=0000000000", as: auditor)
        await recorder.send(.get, "/v1/audit/compliance", as: auditor)
        await recorder.send(.get, "/v1/audit/trace?merchantId=\(a.register.merchantID)&orderId=O-1", as: auditor)
        await recorder.send(.get, "/v1/audit/trace?merchantId=\(a.register.merchantID)&orderId=O-404", as: auditor)
        await recorder.send(.get, "/v1/audit/trace?orderId=O-1", as: auditor)
        await recorder.send(.get, "/v1/audit/trace?merchantId=\(a.register.merchantID)&orderId=O-1", as: merchant)

        // Finance and statements (the harness clock is 2026-10-15: October is open, September ended without activity).
        await recorder.send(.get, "/v1/finance/invoices?month=2026-10", as: finance)
        await recorder.send(.get, "/v1/finance/invoices?month=2026-10&merchantId=\(a.register.merchantID)", as: auditor)
        await recorder.send(.get, "/v1/finance/invoices", as: finance)
        await recorder.send(.get, "/v1/finance/invoices?month=2026-13", as: finance)
        await recorder.send(.get, "/v1/finance/invoices?month=2026-10", as: merchant)
        await recorder.send(.post, "/v1/finance/periods/2026-10/close", as: finance)
        await recorder.send(.post, "/v1/finance/periods/2026-10/close", json: ["force": true], as: finance)
        await recorder.send(.post, "/v1/finance/periods/2026-09/close", json: [:], as: finance)
        await recorder.send(.post, "/v1/finance/periods/2026-09/close", as: finance)
        await recorder.send(.post, "/v1/finance/periods/2026-08/close", as: finance)
        await recorder.send(.post, "/v1/finance/periods/2026-09/close", as: auditor)
        await recorder.send(.get, "/v1/finance/invoices?month=2026-09", as: finance)
        await recorder.send(.get, "/v1/finance/invoices/PC-2026-000404", as: finance)
        await recorder.send(.get, "/v1/finance/invoices/PC-2026-000404?format=csv", as: finance)
        await recorder.send(.get, "/v1/finance/invoices/not-a-number", as: auditor)
        await recorder.send(.get, "/v1/finance/invoices/PC-2026-000001?format=pdf", as: finance)
        await recorder.send(.get, "/v1/statements/2026-10", as: merchant)
        await recorder.send(.get, "/v1/statements/2026-10?format=csv", as: merchant)
        await recorder.send(.get, "/v1/statements/2026-10?format=html", as: merchant)
        await recorder.send(.get, "/v1/statements/2026-09", as: merchant)
        await recorder.send(.get, "/v1/statements/2026-09?format=csv", as: merchant)
        await recorder.send(.get, "/v1/statements/10-2026", as: merchant)
        await recorder.send(.get, "/v1/statements/2026-10", as: finance)

        // Authentication.
        await recorder.send(.get, "/v1/grants", as: nil)
        await recorder.send(.get, "/v1/grants", as: (a.channelID, "wrong-secret"))
        await recorder.send(.get, "/v1/grants", as: ("9999999999", "x"))

        let statuses = Set(recorder.exchanges.map(\.status))
        #expect(statuses.isSuperset(of: [200, 201, 400, 401, 403, 404, 406, 409, 422]), "the conformance run did not reach every status: \(statuses.sorted())")

        let file = NSTemporaryDirectory() + "openapi-exchanges-\(UUID().uuidString).json"
        try Data(CanonicalJSON.encode(.array(recorder.exchanges.map(\.json)))).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let run = try OpenAPIPython.run(["-c", OpenAPIPython.conformanceScript, OpenAPIDocumentTests.documentPath, file],
                                        in: OpenAPIDocumentTests.packageRoot)
        #expect(run.status == 0, "responses do not match docs/openapi.yaml:\n\(run.output)")
    }
}

extension OpenAPIPython {
    /// Matches each recorded exchange to its operation and checks status, body and headers.
    static let conformanceScript = #"""
import sys, json, re, yaml, jsonschema
from urllib.parse import urlsplit
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

def localize(node):
    if isinstance(node, dict):
        return {k: ("urn:openapi" + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else localize(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [localize(x) for x in node]
    return node

doc = localize(yaml.safe_load(open(sys.argv[1], encoding="utf-8")))
registry = Registry().with_resource("urn:openapi", Resource.from_contents(doc, default_specification=DRAFT202012))
exchanges = json.load(open(sys.argv[2], encoding="utf-8"))

def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        target = doc
        for part in node["$ref"].split("#", 1)[1].strip("/").split("/"):
            target = target[part]
        node = target
    return node

routes = []
for path, item in doc["paths"].items():
    pattern = "^" + re.sub(r"\\\{[^/]+\\\}", "[^/]+", re.escape(path)) + "$"
    literal = path.count("{")
    routes.append((literal, re.compile(pattern), path, item))
routes.sort(key=lambda r: r[0])

problems = []
for exchange in exchanges:
    method, target, status = exchange["method"], exchange["target"], str(exchange["status"])
    where = f"{method.upper()} {target} -> {status}"
    path = urlsplit(target).path
    match = next(((p, item) for _, regex, p, item in routes if regex.match(path) and method in item), None)
    if match is None:
        problems.append(f"{where}: no documented operation")
        continue
    operation = match[1][method]
    response = operation["responses"].get(status)
    if response is None:
        problems.append(f"{where}: status {status} is not documented for {method.upper()} {match[0]} (body {exchange['body'][:200]})")
        continue
    response = resolve(response)
    headers = response.get("headers") or {}
    if "X-Line-Request-Id" in headers and not exchange["requestId"]:
        problems.append(f"{where}: X-Line-Request-Id missing")
    replay_header = headers.get("Idempotent-Replay")
    if replay_header is None and exchange["replay"]:
        problems.append(f"{where}: Idempotent-Replay header sent but documented absent")
    elif replay_header is not None and resolve(replay_header).get("required", False) and not exchange["replay"]:
        problems.append(f"{where}: Idempotent-Replay header missing but documented present")
    content = response.get("content") or {}
    media_type = exchange["contentType"].split(";")[0].strip()
    media = content.get(media_type)
    if media is None:
        problems.append(f"{where}: content type {media_type} is not documented ({sorted(content)})")
        continue
    if media_type != "application/json":
        continue
    body = json.loads(exchange["body"])
    validator = jsonschema.Draft202012Validator(media["schema"], registry=registry)
    for error in validator.iter_errors(body):
        problems.append(f"{where}: {error.message[:300]} at {list(error.absolute_path)}")

if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"ok: {len(exchanges)} exchanges")
"""#
}
