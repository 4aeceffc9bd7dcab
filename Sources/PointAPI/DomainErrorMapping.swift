import PointCore
import PointHTTP
import PointLedger

extension APIError {
    /// The API form of a domain refusal: the status follows the kind (see docs/errors.md).
    init(_ error: DomainError) {
        let status: HTTPStatus
        switch error.kind {
        case .invalid: status = .unprocessableContent
        case .rejected: status = .unprocessableContent
        case .notFound: status = .notFound
        case .conflict: status = .conflict
        case .forbidden: status = .forbidden
        }
        self.init(status: status, code: APIErrorCode(error.code), message: error.message,
                  details: error.details.map { APIErrorDetail(property: $0.property, message: $0.message) })
    }

    /// The API form of a service failure. A ledger that can't take writes answers 503: nothing
    /// was acknowledged, and reads keep working.
    init(_ error: ServiceError) {
        switch error {
        case .domain(let domainError):
            self.init(domainError)
        case .ledger(let ledgerError):
            switch ledgerError {
            case .overloaded(let reason):
                self = .unavailable("The ledger is busy (\(reason)); nothing was written. Retry shortly with the same orderId.", retryAfterSeconds: 1)
            default:
                self = .unavailable("The ledger can't take writes (\(ledgerError)); nothing was acknowledged. Reads still work; retry with the same orderId after the service recovers.")
            }
        }
    }
}
