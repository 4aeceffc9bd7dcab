import PointCore
import PointHTTP
import PointJSON
import PointLedger

/// `/v1/finance/…` (closing periods, invoices) and the merchant's `/v1/statements/{month}`.
///
/// - `POST /v1/finance/periods/{YYYY-MM}/close` (finance only): closes an ended month. 201 with
///   the documents; closing a closed month again is an idempotent replay: 200, the same
///   documents, `Idempotent-Replay: true`, nothing written.
/// - `GET /v1/finance/invoices?month=YYYY-MM[&merchantId=]`: a closed month's documents as
///   issued, or drafts of an open month (`"draft": true`, no numbers).
/// - `GET /v1/finance/invoices/{invoiceNumber}[?format=json|csv|html]` (or `Accept`).
/// - `GET /v1/statements/{YYYY-MM}[?format=…]` (merchant): its own document for the month.
extension APIApplication {
    /// The document formats served.
    enum DocumentFormat: String {
        case json, csv, html
    }

    // ---------------------------------------------------------------------------------------
    /// The signed checkpoint a close of `period` is taken against, its tree size and root hash
    /// (hex) printed on every document of the close: signed once every record the close can
    /// bill is durable (see ``PointService/lastSeqBillable(closing:)``), so it covers them all.
    /// A second checkpoint, signed right after the close, covers the invoices.
    func checkpointForClose(_ period: BillingMonth) async throws(APIError) -> InvoiceCheckpoint {
        if let lastBillable = service.lastSeqBillable(closing: period) {
            do throws(ServiceError) { try await service.waitUntilDurable(lastBillable) } catch { throw APIError(error) }
        }
        do throws(LedgerError) {
            let signed = try await service.store.checkpoint()
            return InvoiceCheckpoint(treeSize: signed.checkpoint.size, rootHash: signed.checkpoint.root.hex)
        } catch {
            throw .unavailable("The period can't be closed: the ledger checkpoint could not be signed (\(error)). Nothing was written; retry shortly.")
        }
    }
    // ---------------------------------------------------------------------------------------

    func financeClosePeriod(_ context: Context) async throws(APIError) -> HTTPResponse {
        let period = try Self.month(context.parameter("month"), property: "month")
        if !context.request.body.isEmpty {
            try JSONObjectReader.parse(context.request.body).finish()
        }
        let outcome: PeriodCloseOutcome
        let checkpoint = try await checkpointForClose(period)
        do throws(ServiceError) {
            outcome = try await service.closePeriod(period, checkpoint: checkpoint)
        } catch {
            throw APIError(error)
        }
        if !outcome.receipt.isReplay {
            // Cover the invoices themselves; a failure here is reported by the checkpointer and
            // retried by its next scheduled checkpoint.
            _ = try? await service.store.checkpoint()
        }
        let replay = outcome.receipt.isReplay
        return Self.json([
            "month": .string(period.description), "closed": true, "closedAt": .string(CivilTime.formatUTC(outcome.closedAt)),
            "replay": .bool(replay), "count": .int(Int64(outcome.invoices.count)),
            "invoices": .array(outcome.invoices.map(\.json)), "receipt": receipt(outcome.receipt),
        ], status: replay ? .ok : .created, replay: replay)
    }

    func financeListInvoices(_ context: Context) throws(APIError) -> HTTPResponse {
        let query = try Self.query(context.request, allowed: ["month", "merchantId"])
        guard let monthText = query["month"] else {
            throw .badRequest("Query parameter month is required (YYYY-MM).", details: [APIErrorDetail(property: "month", message: "is required")])
        }
        let period = try Self.month(monthText, property: "month")
        let merchantID = query["merchantId"]
        let view = try monthView(period) { merchantID == nil || $0.merchantID == merchantID }
        var body: [String: JSONValue] = [
            "month": .string(period.description), "closed": .bool(view.closed), "draft": .bool(view.draft),
            "invoices": .array(view.documents.map(\.json)),
        ]
        if let closedAt = view.closedAt { body["closedAt"] = .string(CivilTime.formatUTC(closedAt)) }
        if let note = view.note { body["note"] = .string(note) }
        return Self.json(.object(body))
    }

    /// The answer with `Vary: Accept`: caches must keep one per Accept, as it chooses the format.
    static func varyingByAccept(_ response: HTTPResponse) -> HTTPResponse {
        var response = response
        response.headers.set(name: "Vary", value: "Accept")
        return response
    }

    func financeGetInvoice(_ context: Context) throws(APIError) -> HTTPResponse {
        let text = context.parameter("invoiceNumber")
        let query = try Self.query(context.request, allowed: ["format"])
        let format = try Self.format(query["format"], accept: Self.accept(context.request))
        let notFound = APIError(status: .notFound, code: APIErrorCode("invoice_not_found"),
                                message: "No issued invoice \(text). Invoice numbers look like PC-2026-000001; drafts and sandbox statements have none — list the month with GET /v1/finance/invoices?month=YYYY-MM.")
        guard let number = try? InvoiceNumber(parsing: text) else { throw notFound }
        guard let invoice = service.readSettlement({ _, settlement in settlement.invoice(number) }) else { throw notFound }
        return Self.varyingByAccept(Self.document(invoice, format: format))
    }

    func merchantStatement(_ context: Context) throws(APIError) -> HTTPResponse {
        let merchantID = try merchantID(context)
        let period = try Self.month(context.parameter("month"), property: "month")
        let query = try Self.query(context.request, allowed: ["format"])
        let format = try Self.format(query["format"], accept: Self.accept(context.request))
        let view = try monthView(period) { $0.merchantID == merchantID }
        let statement = view.documents.first
        if format != .json {
            guard let statement else { throw .notFound("There is nothing to bill for \(period): no statement.") }
            return Self.varyingByAccept(Self.document(statement, format: format))
        }
        var body: [String: JSONValue] = [
            "month": .string(period.description), "closed": .bool(view.closed), "draft": .bool(view.draft),
            "statement": statement?.json ?? .null,
        ]
        if let note = view.note { body["note"] = .string(note) }
        return Self.varyingByAccept(Self.json(.object(body)))
    }

    // MARK: Helpers

    struct MonthView {
        var closed: Bool
        var draft: Bool
        var closedAt: Int64?
        var documents: [Invoice]
        var note: String?
    }

    /// A month's documents: as issued when closed, else drafts computed now. A month that has
    /// not begun has none (and costs nothing: a draft is computed month by month from the last
    /// close, so a far-off month would cost one settlement per month up to it).
    func monthView(_ period: BillingMonth, _ include: @escaping @Sendable (Invoice) -> Bool) throws(APIError) -> MonthView {
        let now = service.clock.now()
        let result = service.readSettlement { domain, settlement -> Result<MonthView, DraftFailure> in
            if let closed = settlement.closed[period] {
                return .success(MonthView(closed: true, draft: false, closedAt: closed.closedAt, documents: closed.issued.filter(include)))
            }
            // The service's time: the clock, or the newest record's time when the clock is behind it.
            if let current = try? BillingMonth(containingLedgerTime: max(now, domain.lastTime)), period > current {
                return .success(MonthView(closed: false, draft: false, documents: [],
                                          note: "\(period) has not begun (it is \(current) in Asia/Taipei); drafts exist up to the current month."))
            }
            if let last = settlement.lastClosed, period <= last {
                return .success(MonthView(closed: false, draft: false, documents: [],
                                          note: "\(period) was never closed: settlement began after it (last closed \(last))."))
            }
            if let reason = service.ledger.poisonReason {
                return .failure(.ledgerRefusingWrites(reason.description))
            }
            do throws(BillingError) {
                return .success(MonthView(closed: false, draft: true, documents: try settlement.preview(period).filter(include),
                                          note: "Drafts computed from the events so far; \(period) is not closed and the drafts carry no numbers."))
            } catch {
                return .failure(.billing(error))
            }
        }
        switch result {
        case .success(let view): return view
        case .failure(.billing(let error)):
            throw APIError(status: .unprocessableContent, code: APIErrorCode("settlement_failed"),
                           message: "Drafts for \(period) can't be computed: \(error).")
        case .failure(.ledgerRefusingWrites(let reason)):
            throw Self.stateUnsettled("Drafts for \(period)", reason: reason)
        }
    }

    enum DraftFailure: Error {
        case billing(BillingError)
        case ledgerRefusingWrites(String)
    }

    /// While the ledger refuses writes, the state in memory can still hold writes that were
    /// refused (their sync failed): figures summed from it are not what the files say, so
    /// they are not served until a restart rebuilds the state from the files.
    static func stateUnsettled(_ what: String, reason: String) -> APIError {
        .unavailable("\(what) can't be computed while the ledger refuses writes (\(reason)): the state in memory may include writes that were refused. Restart the service after fixing the disk; closed months, single grants and bindings can still be read.")
    }

    static func month(_ text: String, property: String) throws(APIError) -> BillingMonth {
        do throws(BillingError) { return try BillingMonth(parsing: text) } catch {
            throw APIError(status: .badRequest, code: APIErrorCode("invalid_month"), message: "The month must be YYYY-MM, like 2026-10: \(error).",
                           details: [APIErrorDetail(property: property, message: "must be YYYY-MM")])
        }
    }

    /// Every `Accept` field of the request as one list (several fields mean their values joined by commas).
    static func accept(_ request: HTTPRequest) -> String? {
        let values = request.headers.values(for: "Accept")
        return values.isEmpty ? nil : values.joined(separator: ",")
    }

    /// `format=` wins; otherwise `Accept`, weighed (application/json, text/csv, text/html; JSON
    /// among equals); without either, JSON. An `Accept` that admits none of them is 406.
    static func format(_ parameter: String?, accept: String?) throws(APIError) -> DocumentFormat {
        if let parameter {
            guard let format = DocumentFormat(rawValue: parameter) else {
                throw APIError(status: HTTPStatus(code: 406), code: APIErrorCode("unsupported_format"),
                               message: "format=\(parameter) is not served; use json, csv or html.",
                               details: [APIErrorDetail(property: "format", message: "must be json, csv or html")])
            }
            return format
        }
        // No Accept, or none of its ranges readable: as if absent.
        guard let accept, !MediaTypeNegotiation.parse(accept).isEmpty else { return .json }
        switch MediaTypeNegotiation.choose(accept: accept, offers: ["application/json", "text/csv", "text/html"]) {
        case "application/json": return .json
        case "text/csv": return .csv
        case "text/html": return .html
        default:
            throw APIError(status: HTTPStatus(code: 406), code: APIErrorCode("unsupported_format"),
                           message: "Accept: \(accept.prefix(200)) admits none of the formats served here: application/json, text/csv, text/html. Send one of them, or format=json, csv or html.",
                           details: [APIErrorDetail(property: "Accept", message: "must admit application/json, text/csv or text/html")])
        }
    }

    static func document(_ invoice: Invoice, format: DocumentFormat) -> HTTPResponse {
        let name = invoice.number?.description ?? "\(invoice.status == .draft ? "draft" : "statement")-\(invoice.merchantID)-\(invoice.period)"
        switch format {
        case .json:
            return json(invoice.json)
        case .csv:
            var response = HTTPResponse(status: .ok, body: Array(InvoiceCSV.document([invoice]).utf8))
            response.headers.set(name: "Content-Type", value: "text/csv; charset=utf-8")
            response.headers.set(name: "Content-Disposition", value: "inline; filename=\"\(name).csv\"")
            return response
        case .html:
            var response = HTTPResponse(status: .ok, body: Array(InvoiceHTML.render(invoice).utf8))
            response.headers.set(name: "Content-Type", value: "text/html; charset=utf-8")
            response.headers.set(name: "Content-Disposition", value: "inline; filename=\"\(name).html\"")
            return response
        }
    }
}
