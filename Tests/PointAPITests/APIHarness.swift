import Foundation
import PointAPI
import PointCore
import PointCrypto
import PointHTTP
import PointJSON
import PointLedger
import Synchronization

/// Drives the API in process — no sockets — with signed requests, on a sandbox seeded from
/// `sandbox/sandbox.json` and a clock that starts at 2026-10-15T10:00:00+08:00.
final class APIHarness: Sendable {
    let application: APIApplication
    let defaults: SandboxDefaults
    let directory: String
    private let nonceSteps = Mutex<Int64>(0)
    static let start = CivilTime.parseRFC3339("2026-10-15T10:00:00+08:00") ?? 0

    /// A sandbox in a fresh directory, or — with `directory` — reopened over an existing one
    /// (e.g. at a later `start` to simulate the end of a month).
    /// - Parameter requestLines: where request log lines go, written in place (nil: into `logs`).
    init(start: Int64 = APIHarness.start, directory: String? = nil, fileSystem: any LedgerFileSystem = PosixFileSystem(),
         requestLines: (any RequestLineSink)? = nil) async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        defaults = try SandboxDefaults(json: Array(try Data(contentsOf: root.appendingPathComponent("sandbox/sandbox.json"))))
        self.directory = directory ?? NSTemporaryDirectory() + "api-harness-\(UUID().uuidString)"
        let box = LogBox()
        application = try await ServiceAssembly.sandbox(dataDirectory: self.directory, defaults: defaults, clock: .starting(at: start),
                                                        fileSystem: fileSystem, requestLines: requestLines) { line in
            box.append(line)
        }
        self.box = box
    }

    private let box: LogBox

    var logs: [String] { box.lines }

    func close() {
        application.service.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Closes the service but keeps the data directory, to reopen it.
    func stop() {
        application.service.close()
    }

    var merchantA: SandboxDefaults.MerchantDefaults { defaults.merchants[0] }
    var merchantB: SandboxDefaults.MerchantDefaults { defaults.merchants[1] }

    func staff(_ role: String) -> (String, String) {
        let key = defaults.staff.first { $0.role == role }
        return (key?.keyID ?? "", key?.secret ?? "")
    }

    struct Reply {
        let status: Int
        let body: JSONValue
        let headers: HTTPHeaders
        let raw: [UInt8]
        var code: String? { body["code"]?.stringValue }
    }

    /// Sends a request signed with `key`/`secret` (unsigned when key is nil).
    func send(_ method: HTTPMethod, _ target: String, json: JSONValue? = nil, raw: [UInt8]? = nil, key: String?, secret: String?,
              from address: String = "127.0.0.1", nonce: String = UUID().uuidString.lowercased(), tamper: ((inout HTTPRequest) -> Void)? = nil) async -> Reply {
        var request = Self.request(method, target, body: raw ?? json.map { CanonicalJSON.encode($0) } ?? [], key: key, secret: secret,
                                   from: address, nonce: nonce)
        tamper?(&request)
        let response = await answer(request)
        let parsed = (try? JSONParser.parse(response.body)) ?? .null
        return Reply(status: response.status.code, body: parsed, headers: response.headers, raw: response.body)
    }

    /// A request signed with `key`/`secret` (unsigned when key is nil).
    static func request(_ method: HTTPMethod, _ target: String, body: [UInt8], key: String?, secret: String?,
                        from address: String = "127.0.0.1", nonce: String = UUID().uuidString.lowercased()) -> HTTPRequest {
        let request = HTTPRequest(method: method, target: target, headers: HTTPHeaders(), body: body, remoteAddress: address)
        guard let key, let secret else { return request }
        return RequestSigner(keyId: key, secret: Array(secret.utf8)).signing(request, nonce: nonce)
    }

    /// Answers `request` the way the HTTP server does: offered on the event loop first, and in a
    /// Task through `handle` when the application declines it there.
    func answer(_ request: HTTPRequest) async -> HTTPResponse {
        let application = self.application
        return await withCheckedContinuation { (continuation: CheckedContinuation<HTTPResponse, Never>) in
            let responder = HTTPResponder { continuation.resume(returning: $0) }
            switch application.answerOnEventLoop(request, responder: responder) {
            case .answered(let response): continuation.resume(returning: response)
            case .willSend: break
            case .runInTask: Task { continuation.resume(returning: await application.handle(request)) }
            }
        }
    }

    /// A nonce that carries its time (Unix milliseconds by the service's clock), as credential
    /// rotations need; consecutive calls give different nonces.
    func timedNonce() -> String {
        let step = nonceSteps.withLock { value -> Int64 in value += 1; return value }
        return String(application.service.clock.now() / 1_000 + step)
    }

    func asMerchant(_ merchant: SandboxDefaults.MerchantDefaults, _ method: HTTPMethod, _ target: String, json: JSONValue? = nil,
                    from address: String = "127.0.0.1") async -> Reply {
        await send(method, target, json: json, key: merchant.channelID, secret: merchant.channelSecret, from: address)
    }

    /// A LINE Login ID token as LINE would mint it (HS256 with the Login channel secret).
    func idToken(for merchant: SandboxDefaults.MerchantDefaults, user: Int, nonce: String? = nil) -> String {
        let now = application.service.clock.now() / 1_000_000
        var claims: [String: JSONValue] = [
            "iss": "https://access.line.me", "sub": .string(Self.lineUser(user)), "aud": .string(merchant.loginChannelID),
            "iat": .int(now), "exp": .int(now + 3600), "amr": ["pwd"],
        ]
        if let nonce { claims["nonce"] = .string(nonce) }
        let input = Base64.encodeURL(CanonicalJSON.encode(["alg": "HS256", "typ": "JWT"])) + "." + Base64.encodeURL(CanonicalJSON.encode(.object(claims)))
        return input + "." + Base64.encodeURL(HMACSHA256.authenticationCode(key: Array(merchant.loginChannelSecret.utf8), message: Array(input.utf8)))
    }

    static func lineUser(_ number: Int) -> String {
        let hex = String(number, radix: 16)
        return "U" + String(repeating: "0", count: 32 - hex.count) + hex
    }

    /// Waits (at most 5 s) until the ledger has queued a record past `seq`: a write sent in a Task
    /// has been decided (with syncs held, it is not durable yet).
    func waitUntilEnqueued(beyond seq: UInt64) async throws {
        for _ in 0..<1_000 where application.service.ledger.enqueuedSeq == seq {
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Opens `merchant`'s production environment as the reviewer (its Official Account and Login
    /// channel, a special approval), allowing `allowedSources`.
    func openProduction(_ merchant: SandboxDefaults.MerchantDefaults, allowedSources: [String] = ["127.0.0.1"]) async -> Reply {
        let (reviewer, reviewerSecret) = staff("reviewer")
        return await send(.post, "/v1/admin/merchants/\(merchant.register.merchantID)/environments/production", json: [
            "officialAccountId": "@formosabooks", "loginChannelId": "2006100001", "linkedLoginChannelId": "2006100001",
            "allowedSources": .array(allowedSources.map(JSONValue.string)),
            "eligibility": ["kind": "special_approval", "reference": "SA-2026-7", "approvedBy": "head office"],
        ], key: reviewer, secret: reviewerSecret)
    }

    /// Binds member `member` of `merchant` to LINE user `user`.
    @discardableResult
    func bind(_ merchant: SandboxDefaults.MerchantDefaults, member: String, user: Int) async -> Reply {
        await asMerchant(merchant, .post, "/v1/bindings", json: ["memberId": .string(member), "idToken": .string(idToken(for: merchant, user: user))])
    }

    func scenarioID(_ merchant: SandboxDefaults.MerchantDefaults, purpose: String) -> String {
        application.service.read { domain in
            domain.scenarios(merchantID: merchant.register.merchantID).first { $0.purpose.rawValue == purpose }?.id ?? ""
        }
    }
}

final class LogBox: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ line: String) { storage.withLock { $0.append(line) } }
    var lines: [String] { storage.withLock { $0 } }
}
