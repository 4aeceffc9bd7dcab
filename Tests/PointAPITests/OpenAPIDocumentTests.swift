import Foundation
import PointHTTP
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
        case .audit, .finance: return "auditor"
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
allowed_tags = {"merchant", "reviewer", "auditor", "operations"}
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
