import PointHTTP

/// The part of the API an endpoint belongs to, for role checks.
public enum APIArea: String, Sendable, Hashable, CaseIterable {
    /// `/v1/bindings`, `/v1/grants`, `/v1/scenarios`: merchant-scoped data.
    case merchant
    /// `/v1/admin/…`: onboarding, scenario review, findings, credential rotation.
    case admin
    /// Periods and invoices.
    case finance
    /// `/v1/audit/…`: ledger, checkpoints and proofs.
    case audit
}

/// Which roles may do what. Rules:
/// - **merchant**: the merchant area, reads and writes, and only its own data (see ``requireOwnership(of:by:)``);
/// - **reviewer**: the admin area, reads and writes; reads of the audit area;
/// - **finance**: the finance area, reads and writes; reads of the audit area;
/// - **auditor**: reads of the admin, finance and audit areas; every write anywhere is refused.
///
/// GET and HEAD are reads; every other method is a write.
public enum AccessPolicy {
    /// Whether `method` changes state.
    public static func isWrite(_ method: HTTPMethod) -> Bool {
        switch method {
        case .get, .head: return false
        case .post, .put, .patch, .delete, .options: return true
        }
    }

    /// Whether `role` may use `method` in `area`.
    public static func permits(_ role: CallerRole, area: APIArea, method: HTTPMethod) -> Bool {
        let write = isWrite(method)
        switch role {
        case .merchant: return area == .merchant
        case .reviewer: return area == .admin || (area == .audit && !write)
        case .finance: return area == .finance || (area == .audit && !write)
        case .auditor: return !write && area != .merchant
        }
    }

    /// Throws 403 `forbidden_role` unless `credential` may use `method` in `area`.
    public static func authorize(_ credential: Credential, area: APIArea, method: HTTPMethod) throws(APIError) {
        guard !permits(credential.role, area: area, method: method) else { return }
        if credential.role == .auditor && isWrite(method) {
            throw .forbiddenRole("Auditor credentials are read-only; \(method.rawValue) requests are refused.")
        }
        throw .forbiddenRole("A \(credential.role.rawValue) credential may not use the \(area.rawValue) endpoints; use a credential with the right role.")
    }

    /// Throws 404 `not_found` unless `credential` is the merchant owning the resource; staff roles
    /// pass (their area checks apply). Another merchant's resources look exactly like missing ones.
    public static func requireOwnership(of resourceMerchantId: String, by credential: Credential) throws(APIError) {
        guard credential.role == .merchant else { return }
        guard credential.merchantId == resourceMerchantId else { throw .notFound() }
    }
}
