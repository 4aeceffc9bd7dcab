import Foundation
import PointCore
import PointCrypto
import PointHTTP
import PointJSON
import PointLedger
import Synchronization

/// The v1 API: authenticates every request, checks role, IP allowlist and ownership, runs the
/// endpoint against the ``PointService``, and answers with JSON, an `X-Line-Request-Id`, and
/// one structured log line.
public final class APIApplication: HTTPHandler, Sendable {
    public let service: PointService
    public let authenticator: RequestAuthenticator
    public let vault: CredentialVault
    /// The deployment this service runs (named in IP refusals).
    public let deployment: ServiceEnvironment
    /// Request, ledger and connection metrics (also the HTTP server's observer).
    public let metrics: ServiceMetrics
    let router: Router<Endpoint>
    let addressResolver: ClientAddressResolver
    let jwks: JSONWebKeySet?
    let idTokenClockSkew: Int64
    let log: @Sendable (String) -> Void
    /// Receives each request's log line, written in place.
    let requestLines: any RequestLineSink
    private let allowlists = Mutex<[String: (sources: [String], list: IPAllowlist)]>([:])
    private let requestIDs = RequestIDGenerator()
    /// Merchants with a write in progress that stores secrets beside its record (registration,
    /// environment opening, credential rotation): one at a time per merchant, so the secret in
    /// force is the one of the last write recorded.
    let rotationsInProgress = Mutex<Set<String>>([])

    /// - Parameters:
    ///   - jwks: LINE's signing keys for ES256 ID tokens (nil: only HS256 tokens, signed with
    ///     each Login channel's secret from the vault).
    ///   - log: receives security events and service messages, and each request's JSON line
    ///     unless `requestLines` is given.
    ///   - requestLines: where each request's log line is written, in place (nil: as a string to `log`).
    public init(service: PointService, authenticator: RequestAuthenticator, vault: CredentialVault, deployment: ServiceEnvironment,
                trustedProxies: IPAllowlist = IPAllowlist(networks: []), jwks: JSONWebKeySet? = nil, idTokenClockSkew: Int64 = 60,
                metrics: ServiceMetrics = ServiceMetrics(), requestLines: (any RequestLineSink)? = nil,
                log: @escaping @Sendable (String) -> Void) throws {
        var router = Router<Endpoint>()
        for (method, pattern, endpoint) in Endpoint.table { try router.add(method, pattern, endpoint) }
        self.router = router
        self.service = service
        self.authenticator = authenticator
        self.vault = vault
        self.deployment = deployment
        self.addressResolver = ClientAddressResolver(trustedProxies: trustedProxies)
        self.jwks = jwks
        self.idTokenClockSkew = idTokenClockSkew
        self.log = log
        self.requestLines = requestLines ?? LinesAsStrings(log: log)
        self.metrics = metrics
    }

    /// Request lines handed to a `log` function as strings, when no line sink is given.
    private struct LinesAsStrings: RequestLineSink {
        let log: @Sendable (String) -> Void

        func appendLine(writing write: (inout [UInt8]) -> Void) {
            var line: [UInt8] = []
            write(&line)
            log(String(decoding: line, as: UTF8.self))
        }
    }

    /// What an endpoint sees of its request.
    struct Context {
        let request: HTTPRequest
        let credential: Credential?
        let parameters: RouteParameters
        let requestID: String

        /// The merchant the caller acts for (merchant credentials only).
        var merchantID: String? { credential?.merchantId }

        func parameter(_ name: String) -> String { parameters[name] ?? "" }
    }

    /// Errors the HTTP server answers itself (malformed requests, limits, timeouts, over
    /// capacity) carry an `X-Line-Request-Id` too, and are logged and counted like every other
    /// answer (route `http_server`: they never reached routing; no caller, method or address).
    public func decorateGeneratedResponse(_ response: inout HTTPResponse) {
        let requestID = requestIDs.next()
        response.headers.set(name: RequestIDGenerator.headerName, value: requestID)
        metrics.requestAnswered(method: "-", route: Self.serverRoute, status: response.status.code, seconds: 0)
        let status = response.status.code
        requestLines.appendLine { output in
            CanonicalBytes.appendLogLine(requestID: requestID, keyID: "-", method: "-", route: Self.serverRoute, status: status, micros: 0,
                                         remote: "-", to: &output)
        }
    }

    /// The route label of answers the HTTP server gives before a request reaches routing.
    static let serverRoute = "http_server"

    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        var trace = RequestTrace(requestID: requestIDs.next(), request: request)
        var response: HTTPResponse
        do throws(APIError) {
            let (endpoint, context) = try admit(request, router.match(method: request.method, path: request.path), trace: &trace)
            response = try await dispatch(endpoint, context)
        } catch {
            response = error.response
        }
        return finish(response, trace: trace)
    }

    /// Answers on the event loop's thread the requests whose work is short and never blocks:
    /// health, single grants and grant reads. A grant is decided and queued here, and its answer
    /// is sent when the ledger's commit makes it durable (one wake-up of the loop per commit);
    /// everything else runs in a Task through ``handle(_:)``.
    public func answerOnEventLoop(_ request: HTTPRequest, responder: HTTPResponder) -> HTTPEventLoopAnswer {
        let match = router.match(method: request.method, path: request.path)
        guard case .found(let candidate, _, _) = match, candidate.answersOnEventLoop else { return .runInTask }
        var trace = RequestTrace(requestID: requestIDs.next(), request: request)
        do throws(APIError) {
            let (endpoint, context) = try admit(request, match, trace: &trace)
            switch endpoint {
            case .createGrant:
                let pending = PendingGrantAnswer(application: self, queued: try enqueueGrant(context), trace: trace, responder: responder)
                service.whenDurable(seq: pending.queued.answerSeq, waiter: pending)
                return .willSend
            case .getGrant:
                return .answered(finish(try getGrant(context), trace: trace))
            case .health, .ready:
                return .answered(finish(try health(endpoint), trace: trace))
            default:
                // Unreachable: `Endpoint.answersOnEventLoop` lists only the cases above.
                throw .internalError(requestId: trace.requestID)
            }
        } catch {
            return .answered(finish(error.response, trace: trace))
        }
    }

    /// A single grant taken on the event loop, waiting for its record to be durable: everything
    /// its answer needs in one object, which the ledger keeps as its waiter and the commit posts
    /// to the loop as it is (the answer is made on the loop's thread, not the ledger writer's). The request itself is not kept:
    /// its head and body are freed once the grant is queued.
    final class PendingGrantAnswer: HTTPDeferredResponse, LedgerDurabilityWaiter {
        let application: APIApplication
        let queued: QueuedGrant
        let trace: RequestTrace
        let responder: HTTPResponder

        init(application: APIApplication, queued: QueuedGrant, trace: RequestTrace, responder: HTTPResponder) {
            self.application = application
            self.queued = queued
            self.trace = trace
            self.responder = responder
        }

        /// The commit's outcome (on the ledger's writer thread): posts this object to the loop,
        /// which makes the answer.
        func durabilityDecided(_ result: Result<Void, LedgerError>) {
            switch result {
            case .success: responder.send(deferred: self)
            case .failure(let failure): responder.send { self.makeResponse(failure: .ledger(failure)) }
            }
        }

        /// The answer once the record is durable.
        func makeResponse() -> HTTPResponse { makeResponse(failure: nil) }

        /// The answer, or the error when the ledger failed before the record was durable.
        func makeResponse(failure: ServiceError?) -> HTTPResponse {
            var response: HTTPResponse
            do throws(APIError) {
                if let failure { throw APIError(failure) }
                response = try application.grantAnswer(queued)
            } catch {
                response = error.response
            }
            return application.finish(response, trace: trace)
        }
    }

    /// What the log line and metrics of a request need, gathered as it is admitted.
    struct RequestTrace {
        let started = DispatchTime.now().uptimeNanoseconds
        let requestID: String
        let method: HTTPMethod
        let remoteAddress: String
        var routeLabel = "unmatched"
        var keyID = "-"

        init(requestID: String, request: HTTPRequest) {
            self.requestID = requestID
            method = request.method
            remoteAddress = request.remoteAddress
        }
    }

    /// Routes, authenticates and authorizes a request (role, merchant source address, no query
    /// on a signed body): the endpoint and what it sees, or the refusal.
    private func admit(_ request: HTTPRequest, _ match: RouteMatch<Endpoint>, trace: inout RequestTrace) throws(APIError) -> (Endpoint, Context) {
        trace.routeLabel = match.routeLabel
        let (endpoint, parameters) = try Self.resolved(match, method: request.method)
        var credential: Credential?
        if let area = endpoint.area {
            let authenticated: Credential
            do throws(AuthenticationFailure) { authenticated = try authenticator.authenticate(request) } catch { throw error.apiError }
            trace.keyID = authenticated.keyId
            try AccessPolicy.authorize(authenticated, area: area, method: request.method)
            if authenticated.role == .merchant { try checkSource(of: request, for: authenticated) }
            credential = authenticated
        }
        // For POST, PUT and PATCH the signature covers the body, not the query: a query there
        // would be unauthenticated input, so none is taken.
        if let query = request.query, !query.isEmpty, [.post, .put, .patch].contains(request.method) {
            throw .badRequest("\(request.method.rawValue) \(request.path) takes no query string (the signature of a \(request.method.rawValue) covers only its body); send every field in the body.",
                              details: [APIErrorDetail(property: "query", message: "not accepted on \(request.method.rawValue)")])
        }
        return (endpoint, Context(request: request, credential: credential, parameters: parameters, requestID: trace.requestID))
    }

    /// Adds the request id, counts the answer and writes its log line.
    func finish(_ answer: consuming HTTPResponse, trace: RequestTrace) -> HTTPResponse {
        // Consumed, not copied: adding the id to a copy would copy its header list first.
        var response = answer
        response.headers.set(name: RequestIDGenerator.headerName, value: trace.requestID)
        let micros = (DispatchTime.now().uptimeNanoseconds - trace.started) / 1_000
        metrics.requestAnswered(method: trace.method.rawValue, route: trace.routeLabel, status: response.status.code, seconds: Double(micros) / 1_000_000)
        let status = response.status.code
        requestLines.appendLine { output in
            CanonicalBytes.appendLogLine(requestID: trace.requestID, keyID: trace.keyID, method: trace.method.rawValue, route: trace.routeLabel,
                                         status: status, micros: micros, remote: trace.remoteAddress, to: &output)
        }
        return response
    }

    private static func resolved(_ match: RouteMatch<Endpoint>, method: HTTPMethod) throws(APIError) -> (Endpoint, RouteParameters) {
        switch match {
        case .found(let endpoint, _, let parameters): return (endpoint, parameters)
        case .notFound: throw .notFound()
        case .methodNotAllowed(let allowed): throw .methodNotAllowed(method, allowed: allowed)
        case .invalidParameter(let error): throw error
        }
    }

    /// Refuses a merchant request from outside the merchant's allowlist for its environment,
    /// naming the address, the channel and the environment.
    private func checkSource(of request: HTTPRequest, for credential: Credential) throws(APIError) {
        guard let merchantID = credential.merchantId else { throw .forbiddenRole("A merchant credential needs a merchant.") }
        let access = service.read { domain in domain.sourceAccess(merchantID: merchantID) }
        guard let access else {
            throw APIError(status: .forbidden, code: APIErrorCode("merchant_not_onboarded"),
                           message: "Merchant \(merchantID) has no environment open yet, so no source address is allowed; finish onboarding first.")
        }
        let list: IPAllowlist = try allowlists.withLock { (cache) throws(APIError) -> IPAllowlist in
            if let cached = cache[merchantID], cached.sources == access.allowedSources { return cached.list }
            do throws(IPNetworkError) {
                let list = try IPAllowlist(access.allowedSources)
                cache[merchantID] = (access.allowedSources, list)
                return list
            } catch {
                throw .unavailable("Merchant \(merchantID)'s allowlist can't be read (\(error)); ask the platform to correct it.")
            }
        }
        try list.check(addressResolver.clientAddress(of: request), channelId: credential.keyId,
                       environment: ServiceEnvironment(rawValue: access.environment.rawValue))
    }

    private func dispatch(_ endpoint: Endpoint, _ context: Context) async throws(APIError) -> HTTPResponse {
        switch endpoint {
        case .health, .ready: return try health(endpoint)
        case .metrics:
            var response = HTTPResponse.text(metrics.render())
            response.headers.set(name: "Content-Type", value: MetricsRegistry.contentType)
            return response
        case .createBinding: return try await createBinding(context)
        case .getBinding: return try getBinding(context)
        case .deleteBinding: return try await deleteBinding(context)
        case .createGrant: return try await createGrant(context)
        case .createGrantBatch: return try await createGrantBatch(context)
        case .getGrant: return try getGrant(context)
        case .listGrants: return try listGrants(context)
        case .createRevocation: return try await createRevocation(context)
        case .listScenarios: return try listScenarios(context)
        case .submitScenario: return try await submitScenario(context)
        case .adminListMerchants: return adminListMerchants()
        case .adminCreateMerchant: return try await adminCreateMerchant(context)
        case .adminGetMerchant: return try adminGetMerchant(context)
        case .adminOpenEnvironment: return try await adminOpenEnvironment(context)
        case .adminUpdateAllowlist: return try await adminUpdateAllowlist(context)
        case .adminChangeStatus: return try await adminChangeStatus(context)
        case .adminRotateCredential: return try await adminRotateCredential(context)
        case .adminListScenarios: return try adminListScenarios(context)
        case .adminApproveScenario: return try await adminReviewScenario(context, approve: true)
        case .adminRejectScenario: return try await adminReviewScenario(context, approve: false)
        case .adminRecordFinding: return try await adminFinding(context, record: true)
        case .adminWithdrawFinding: return try await adminFinding(context, record: false)
        case .auditLedger: return try auditLedger(context)
        case .auditLatestCheckpoint: return try await auditLatestCheckpoint()
        case .auditInclusionProof: return try await auditInclusionProof(context)
        case .auditConsistencyProof: return try auditConsistencyProof(context)
        case .auditExport: return try auditExport(context)
        case .auditCompliance: return try auditCompliance(context)
        case .auditTrace: return try await auditTrace(context)
        case .financeClosePeriod: return try await financeClosePeriod(context)
        case .financeListInvoices: return try financeListInvoices(context)
        case .financeGetInvoice: return try financeGetInvoice(context)
        case .merchantStatement: return try merchantStatement(context)
        }
    }

    /// `GET /healthz` and `GET /readyz`.
    private func health(_ endpoint: Endpoint) throws(APIError) -> HTTPResponse {
        guard endpoint == .ready else { return Self.json(["status": "ok"]) }
        if let reason = service.ledger.poisonReason {
            throw .unavailable("The ledger can't take writes (\(reason)); restart the service after fixing the disk.")
        }
        if let reason = service.store.checkpointer.failureReason {
            throw .unavailable("Checkpoint signing has stopped (\(reason)): writes are durable but new receipts can't be proven against a signed checkpoint; restart the service after fixing the disk.")
        }
        return Self.json(["status": "ready", "ledgerSeq": .int(Int64(service.ledger.durableSeq)),
                          "now": .string(CivilTime.formatUTC(service.clock.now())), "environment": .string(deployment.rawValue)])
    }

    // MARK: Shared helpers

    /// Runs a domain decision through the service, mapping refusals to API errors.
    func execute(_ decide: (borrowing PointsDomain, Int64) throws(DomainError) -> Decision) async throws(APIError) -> CommandReceipt {
        do throws(ServiceError) { return try await service.execute(decide) } catch { throw APIError(error) }
    }

    static func json(_ value: JSONValue, status: HTTPStatus = .ok, replay: Bool = false) -> HTTPResponse {
        var response = HTTPResponse.json(CanonicalJSON.encode(value), status: status)
        if replay { response.headers.set(name: "Idempotent-Replay", value: "true") }
        return response
    }

    /// A write's receipt: where its record is in the ledger and how to prove it.
    func receipt(_ receipt: CommandReceipt) -> JSONValue {
        ProofRepresentations.receipt(seq: receipt.seq, time: receipt.time, leafHash: receipt.leafHash, ledger: service.ledger)
    }

    /// Query parameters, one value each; a repeated parameter is refused.
    static func query(_ request: HTTPRequest, allowed: Set<String>) throws(APIError) -> [String: String] {
        var values: [String: String] = [:]
        for item in request.queryItems {
            let name = item.name
            let value = item.value
            guard allowed.contains(name) else {
                throw .badRequest("Unknown query parameter \(name); accepted: \(allowed.sorted().joined(separator: ", ")).",
                                  details: [APIErrorDetail(property: name, message: "is not a recognised query parameter")])
            }
            guard values[name] == nil else {
                throw .badRequest("Query parameter \(name) is repeated; give it once.", details: [APIErrorDetail(property: name, message: "repeated")])
            }
            values[name] = value
        }
        return values
    }

    /// Path parameter `name` (an orderId or memberId), or 400 naming it when no record could
    /// have it (outside the ID syntax).
    static func pathIdentifier(_ context: Context, _ name: String) throws(APIError) -> String {
        let value = context.parameter(name)
        if let problem = FieldSyntax.externalID(value) {
            throw .badRequest("Path parameter \(name) \(problem).", details: [APIErrorDetail(property: name, message: problem)])
        }
        return value
    }

    /// Query parameter `name` when given, checked by `rule` (a ``FieldSyntax`` check): a value
    /// that could never match is refused with 400 naming it, instead of an empty answer.
    static func checked(_ query: [String: String], _ name: String, _ rule: (String) -> String?) throws(APIError) -> String? {
        guard let text = query[name] else { return nil }
        if let problem = rule(text) {
            throw .badRequest("Query parameter \(name) \(problem).", details: [APIErrorDetail(property: name, message: problem)])
        }
        return text
    }

    static func integer(_ text: String?, _ name: String, in range: ClosedRange<Int64>, default defaultValue: Int64? = nil) throws(APIError) -> Int64 {
        guard let text else {
            if let defaultValue { return defaultValue }
            throw .badRequest("Query parameter \(name) is required.", details: [APIErrorDetail(property: name, message: "is required")])
        }
        guard let value = Int64(text), range.contains(value) else {
            throw .badRequest("Query parameter \(name) must be an integer from \(range.lowerBound) to \(range.upperBound).",
                              details: [APIErrorDetail(property: name, message: "must be an integer from \(range.lowerBound) to \(range.upperBound)")])
        }
        return value
    }
}
