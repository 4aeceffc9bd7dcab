import PointHTTP

/// Every operation of the v1 API, with the area its role check uses.
enum Endpoint: String, Sendable, CaseIterable {
    case health, ready, metrics
    case createBinding, getBinding, deleteBinding
    case createGrant, createGrantBatch, getGrant, listGrants, createRevocation
    case listScenarios, submitScenario
    case adminListMerchants, adminCreateMerchant, adminGetMerchant, adminOpenEnvironment, adminUpdateAllowlist, adminChangeStatus
    case adminRotateCredential
    case adminListScenarios, adminApproveScenario, adminRejectScenario
    case adminRecordFinding, adminWithdrawFinding
    case auditLedger, auditLatestCheckpoint, auditInclusionProof, auditConsistencyProof
    case auditExport, auditCompliance, auditTrace
    case financeClosePeriod, financeListInvoices, financeGetInvoice, merchantStatement

    /// The area for role checks; nil for the unauthenticated operational endpoints.
    var area: APIArea? {
        switch self {
        case .health, .ready, .metrics: return nil
        case .createBinding, .getBinding, .deleteBinding, .createGrant, .createGrantBatch, .getGrant, .listGrants, .createRevocation,
            .listScenarios, .submitScenario, .merchantStatement:
            return .merchant
        case .adminListMerchants, .adminCreateMerchant, .adminGetMerchant, .adminOpenEnvironment, .adminUpdateAllowlist, .adminChangeStatus,
            .adminRotateCredential, .adminListScenarios, .adminApproveScenario, .adminRejectScenario, .adminRecordFinding, .adminWithdrawFinding:
            return .admin
        case .auditLedger, .auditLatestCheckpoint, .auditInclusionProof, .auditConsistencyProof:
            return .audit
        case .auditExport, .auditCompliance, .auditTrace:
            return .audit
        case .financeClosePeriod, .financeListInvoices, .financeGetInvoice:
            return .finance
        }
    }

    /// Endpoints answered on the event loop's thread: their work is short and never blocks
    /// (see ``APIApplication/answerOnEventLoop(_:responder:)``).
    var answersOnEventLoop: Bool {
        switch self {
        case .health, .ready, .createGrant, .getGrant: return true
        default: return false
        }
    }

    /// Method and path pattern of every endpoint.
    static let table: [(HTTPMethod, String, Endpoint)] = [
        (.get, "/healthz", .health), (.get, "/readyz", .ready), (.get, "/metrics", .metrics),
        (.post, "/v1/bindings", .createBinding), (.get, "/v1/bindings/{memberId}", .getBinding),
        (.delete, "/v1/bindings/{memberId}", .deleteBinding),
        (.post, "/v1/grants", .createGrant), (.get, "/v1/grants", .listGrants), (.post, "/v1/grants/batch", .createGrantBatch),
        (.get, "/v1/grants/{orderId}", .getGrant), (.post, "/v1/grants/{orderId}/revocations", .createRevocation),
        (.get, "/v1/scenarios", .listScenarios), (.post, "/v1/scenarios", .submitScenario),
        (.get, "/v1/admin/merchants", .adminListMerchants), (.post, "/v1/admin/merchants", .adminCreateMerchant),
        (.get, "/v1/admin/merchants/{merchantId}", .adminGetMerchant),
        (.post, "/v1/admin/merchants/{merchantId}/environments/{environment}", .adminOpenEnvironment),
        (.put, "/v1/admin/merchants/{merchantId}/environments/{environment}/allowlist", .adminUpdateAllowlist),
        (.post, "/v1/admin/merchants/{merchantId}/status", .adminChangeStatus),
        (.post, "/v1/admin/merchants/{merchantId}/credentials/rotate", .adminRotateCredential),
        (.get, "/v1/admin/scenarios", .adminListScenarios),
        (.post, "/v1/admin/scenarios/{scenarioId}/approve", .adminApproveScenario),
        (.post, "/v1/admin/scenarios/{scenarioId}/reject", .adminRejectScenario),
        (.post, "/v1/admin/revocations/{revocationId}/findings", .adminRecordFinding),
        (.delete, "/v1/admin/revocations/{revocationId}/findings", .adminWithdrawFinding),
        (.get, "/v1/audit/ledger", .auditLedger), (.get, "/v1/audit/checkpoints/latest", .auditLatestCheckpoint),
        (.get, "/v1/audit/proofs/inclusion", .auditInclusionProof), (.get, "/v1/audit/proofs/consistency", .auditConsistencyProof),
        (.get, "/v1/audit/export", .auditExport), (.get, "/v1/audit/compliance", .auditCompliance), (.get, "/v1/audit/trace", .auditTrace),
        (.post, "/v1/finance/periods/{month}/close", .financeClosePeriod), (.get, "/v1/finance/invoices", .financeListInvoices),
        (.get, "/v1/finance/invoices/{invoiceNumber}", .financeGetInvoice), (.get, "/v1/statements/{month}", .merchantStatement),
    ]
}
