import PointJSON

/// A first pass over the ledger for an export that streams the files without the service's
/// state: finds the grants behind the revocations and findings the export will keep, so that
/// the second pass (``LedgerExportMatcher`` with `ownersOf:`) remembers just their owners and
/// can fill member and LINE user on those rows. Memory: every revocation's grant (revocations are
/// few beside grants) and the grants found — never anything per grant of the ledger.
public struct LedgerExportOwnerPrepass: Sendable {
    private var matcher: LedgerExportMatcher
    private var grantOfRevocation: [LedgerExportMatcher.Key: String] = [:]
    /// The grants whose owners the export needs.
    public private(set) var grantsNeeded: Set<LedgerExportMatcher.Key> = []

    public init(filter: LedgerExportFilter) {
        matcher = LedgerExportMatcher(filter: filter)
    }

    /// Visits one record, in ledger order.
    public mutating func visit(type: String, time: Int64, data: JSONValue) {
        let keep = matcher.match(type: type, time: time, data: data).keep
        guard let merchantID = data["merchantId"]?.stringValue else { return }
        switch type {
        case "revocation.recorded":
            guard let order = data["orderId"]?.stringValue, let revocation = data["revocationId"]?.stringValue else { return }
            grantOfRevocation[LedgerExportMatcher.Key(merchantID: merchantID, id: revocation)] = order
            if keep { grantsNeeded.insert(LedgerExportMatcher.Key(merchantID: merchantID, id: order)) }
        case "finding.recorded", "finding.withdrawn":
            guard keep, let revocation = data["revocationId"]?.stringValue,
                  let order = grantOfRevocation[LedgerExportMatcher.Key(merchantID: merchantID, id: revocation)] else { return }
            grantsNeeded.insert(LedgerExportMatcher.Key(merchantID: merchantID, id: order))
        default:
            return
        }
    }
}
