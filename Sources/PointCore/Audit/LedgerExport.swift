import PointJSON

/// What the auditor's ledger export keeps: every given criterion must hold (all are optional).
///
/// - `merchantID`: records whose `data.merchantId` is the merchant, plus the review records of
///   its scenarios (`scenario.approved` / `scenario.rejected` carry only the scenario id) and
///   the `period.closed` records that list a document of it.
/// - `memberID`, `lineUserID`: records about that member / LINE user: bindings and grants
///   (their own fields), revocations of those grants, and findings on those revocations.
/// - `types`: record types, e.g. `grant.issued`, `revocation.recorded`.
/// - `month`: the record's ledger time lies in the Asia/Taipei month.
public struct LedgerExportFilter: Sendable, Equatable {
    public var merchantID: String?
    public var memberID: String?
    public var lineUserID: String?
    public var types: Set<String>?
    public var month: BillingMonth?

    public init(merchantID: String? = nil, memberID: String? = nil, lineUserID: String? = nil, types: Set<String>? = nil,
                month: BillingMonth? = nil) {
        self.merchantID = merchantID
        self.memberID = memberID
        self.lineUserID = lineUserID
        self.types = types
        self.month = month
    }

    /// Whether a member or LINE user criterion is given.
    public var concernsPerson: Bool { memberID != nil || lineUserID != nil }

    /// What is wrong with a list of record types for ``types``: nil when every one is a type the
    /// service writes (``DomainEvent/recordTypes``). A mistyped type would match nothing and look
    /// like an empty, clean result.
    public static func problem(withTypes types: [String]) -> String? {
        guard !types.isEmpty, !types.contains(where: \.isEmpty) else {
            return "must list record types, comma separated, such as grant.issued,revocation.recorded"
        }
        let unknown = types.filter { !DomainEvent.recordTypes.contains($0) }
        guard !unknown.isEmpty else { return nil }
        let shown = unknown.prefix(5).map { String($0.prefix(64)) }.joined(separator: ", ")
        return "\(unknown.count == 1 ? "is not a record type" : "are not record types"): \(shown); the record types are "
            + DomainEvent.recordTypes.joined(separator: ", ")
    }
}

/// One exported ledger record.
public struct LedgerExportRecord: Sendable, Equatable {
    public var seq: UInt64
    /// Ledger time, UTC microseconds.
    public var time: Int64
    public var type: String
    /// `prev` of the record (lowercase hex).
    public var prev: String
    public var data: JSONValue
    /// RFC 6962 leaf hash of the record's line (lowercase hex).
    public var leafHash: String
    /// The grant owner, when the record is about a grant whose owner the matcher knows (filled
    /// for revocations and findings, which do not carry it themselves).
    public var owner: LedgerExportMatcher.Owner?

    public init(seq: UInt64, time: Int64, type: String, prev: String, data: JSONValue, leafHash: String,
                owner: LedgerExportMatcher.Owner? = nil) {
        self.seq = seq
        self.time = time
        self.type = type
        self.prev = prev
        self.data = data
        self.leafHash = leafHash
        self.owner = owner
    }

    /// The record as one JSON object (`seq`, `time`, `type`, `prev`, `data`, `leafHash`): the
    /// ledger line is `{"seq":…,"time":…,"type":…,"prev":…,"data":…}` re-derived from these.
    public var json: JSONValue {
        ["seq": .int(Int64(clamping: seq)), "time": .string(CivilTime.formatUTC(time)), "type": .string(type),
         "prev": .string(prev), "data": data, "leafHash": .string(leafHash)]
    }

    /// The record's row of ``LedgerExportCSV/header``.
    public var csvFields: [String] {
        func text(_ name: String) -> String {
            guard let value = data[name] else { return "" }
            if let string = value.stringValue { return string }
            if let number = value.intValue { return String(number) }
            return ""
        }
        let member = text("memberId").isEmpty ? owner?.memberID ?? "" : text("memberId")
        let lineUser = text("lineUserId").isEmpty ? owner?.lineUserID ?? "" : text("lineUserId")
        let order = text("orderId").isEmpty ? owner?.orderID ?? "" : text("orderId")
        return [String(seq), CivilTime.formatUTC(time), type, text("merchantId"), member, lineUser, order,
                text("revocationId"), text("points"), text("reason"), leafHash].map(Self.spreadsheetSafe)
    }

    /// A cell a spreadsheet program would take for a formula (one starting with `=`, `+`, `-`,
    /// `@`, a tab or a CR) gets a leading `'`, so the program shows it as text instead of
    /// running it (a reason written by staff, an orderId starting with `-`). The CSV is for
    /// reading; JSON lines carry every value exactly.
    public static func spreadsheetSafe(_ cell: String) -> String {
        guard let first = cell.utf8.first else { return cell }
        switch first {
        case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D: return "'" + cell
        default: return cell
        }
    }
}

/// RFC 4180 CSV of exported records (quoting by ``InvoiceCSV/quoted(_:)``: CRLF line ends,
/// fields with a comma, quote, CR or LF quoted, inner quotes doubled).
public enum LedgerExportCSV {
    /// The fixed column set.
    public static let header = ["seq", "time", "type", "merchantId", "memberId", "lineUserId", "orderId", "revocationId",
                                "points", "reason", "leafHash"]

    public static var headerRow: String { InvoiceCSV.row(header) }

    public static func row(_ record: LedgerExportRecord) -> String { InvoiceCSV.row(record.csvFields) }
}

/// Decides, record by record in ledger order, which records a ``LedgerExportFilter`` keeps.
///
/// Streaming: memory holds only the scenario ids of the filtered merchant and, with a member
/// or LINE user criterion, the grants and revocations of that person (what the export will
/// contain anyway) — never anything per record of the ledger. Records of the person are
/// recognised even when the type or month criterion drops them, so a revocation in March of
/// a February grant is found with `month=2026-03`.
public struct LedgerExportMatcher: Sendable {
    /// Who holds a grant.
    public struct Owner: Sendable, Equatable {
        public var orderID: String
        public var memberID: String
        public var lineUserID: String

        public init(orderID: String, memberID: String, lineUserID: String) {
            self.orderID = orderID
            self.memberID = memberID
            self.lineUserID = lineUserID
        }
    }

    /// Looks up facts the matcher did not see itself (an API page that starts in the middle of
    /// the ledger): the owner of the grant a revocation took its points from, the merchant of a
    /// scenario.
    public struct Lookup: Sendable {
        public var revocationOwner: @Sendable (_ merchantID: String, _ revocationID: String) -> Owner?
        public var scenarioMerchant: @Sendable (_ scenarioID: String) -> String?

        public init(revocationOwner: @escaping @Sendable (String, String) -> Owner?,
                    scenarioMerchant: @escaping @Sendable (String) -> String?) {
            self.revocationOwner = revocationOwner
            self.scenarioMerchant = scenarioMerchant
        }
    }

    /// A merchant's grant (by orderId) or revocation (by revocationId).
    public struct Key: Hashable, Sendable {
        public var merchantID: String
        public var id: String

        public init(merchantID: String, id: String) {
            self.merchantID = merchantID
            self.id = id
        }
    }

    public let filter: LedgerExportFilter
    let lookup: Lookup?
    /// Grants whose owners to remember besides the filtered person's: those of the revocations
    /// and findings the export keeps (see ``LedgerExportOwnerPrepass``).
    let ownersOf: Set<Key>
    private var scenarios: Set<String> = []
    /// Owners of remembered grants, by merchant, environment and orderId (see ``grantKey``).
    private var grants: [Key: Owner] = [:]
    private var revocations: [Key: Owner] = [:]
    /// Merchants whose production environment is open: their grants are production grants, and
    /// an orderId may name a sandbox grant and a production one.
    private var liveMerchants: Set<String> = []

    public init(filter: LedgerExportFilter, lookup: Lookup? = nil, ownersOf: Set<Key> = []) {
        self.filter = filter
        self.lookup = lookup
        self.ownersOf = ownersOf
    }

    /// Whether the record is kept; with the owner of the grant it concerns, when known.
    public mutating func match(type: String, time: Int64, data: JSONValue) -> (keep: Bool, owner: Owner?) {
        let merchantID = data["merchantId"]?.stringValue
        if type == "merchant.production_opened", let merchantID { liveMerchants.insert(merchantID) }
        // Remember what later records need, whatever the type and month criteria say.
        if let wanted = filter.merchantID, type == "scenario.submitted", merchantID == wanted, let scenario = data["scenarioId"]?.stringValue {
            scenarios.insert(scenario)
        }
        let owner = self.owner(type: type, merchantID: merchantID, data: data)
        if let types = filter.types, !types.contains(type) { return (false, owner) }
        if let month = filter.month, !month.contains(ledgerTime: time) { return (false, owner) }
        if let wanted = filter.merchantID, !belongs(to: wanted, type: type, merchantID: merchantID, data: data) { return (false, owner) }
        if filter.concernsPerson {
            guard let owner, isPerson(memberID: owner.memberID, lineUserID: owner.lineUserID) else {
                // Bindings carry the person themselves.
                if type == "binding.created" || type == "binding.removed",
                   isPerson(memberID: data["memberId"]?.stringValue ?? "", lineUserID: data["lineUserId"]?.stringValue ?? "") {
                    return (true, nil)
                }
                return (false, owner)
            }
        }
        return (true, owner)
    }

    /// The key of a merchant's grant of `order` in one environment.
    private static func grantKey(_ merchantID: String, _ order: String, production: Bool) -> Key {
        Key(merchantID: merchantID, id: (production ? "p:" : "s:") + order)
    }

    private func isPerson(memberID: String, lineUserID: String) -> Bool {
        (filter.memberID == nil || filter.memberID == memberID) && (filter.lineUserID == nil || filter.lineUserID == lineUserID)
    }

    private func belongs(to wanted: String, type: String, merchantID: String?, data: JSONValue) -> Bool {
        if let merchantID { return merchantID == wanted }
        switch type {
        case "scenario.approved", "scenario.rejected":
            guard let scenario = data["scenarioId"]?.stringValue else { return false }
            return scenarios.contains(scenario) || lookup?.scenarioMerchant(scenario) == wanted
        case "period.closed":
            return data["invoices"]?.arrayValue?.contains { $0["merchantId"]?.stringValue == wanted } ?? false
        default:
            return false
        }
    }

    /// The owner of the grant a grant, revocation or finding record is about; remembered for
    /// the person the filter asks for (only), so memory stays bounded by the export.
    private mutating func owner(type: String, merchantID: String?, data: JSONValue) -> Owner? {
        guard let merchantID else { return nil }
        switch type {
        case "grant.issued":
            guard let order = data["orderId"]?.stringValue else { return nil }
            let owner = Owner(orderID: order, memberID: data["memberId"]?.stringValue ?? "", lineUserID: data["lineUserId"]?.stringValue ?? "")
            let live = liveMerchants.contains(merchantID)
            // A production grant whose orderId names a remembered sandbox grant too is remembered
            // as well (however few such twins there are), so a later revocation of the orderId is
            // told to be this grant's, as the service tells it.
            let twin = live && grants[Self.grantKey(merchantID, order, production: false)] != nil
            if (filter.concernsPerson && isPerson(memberID: owner.memberID, lineUserID: owner.lineUserID))
                || ownersOf.contains(Key(merchantID: merchantID, id: order)) || twin {
                grants[Self.grantKey(merchantID, order, production: live)] = owner
            }
            return owner
        case "revocation.recorded":
            guard let order = data["orderId"]?.stringValue, let revocation = data["revocationId"]?.stringValue else { return nil }
            // The grant the service takes the points from: the production grant of the orderId
            // once live, else the sandbox one (``PointsDomain/grant(merchantID:orderID:)``).
            let remembered = liveMerchants.contains(merchantID)
                ? grants[Self.grantKey(merchantID, order, production: true)] ?? grants[Self.grantKey(merchantID, order, production: false)]
                : grants[Self.grantKey(merchantID, order, production: false)]
            let owner = remembered ?? lookup?.revocationOwner(merchantID, revocation)
            if let owner, (filter.concernsPerson && isPerson(memberID: owner.memberID, lineUserID: owner.lineUserID))
                || ownersOf.contains(Key(merchantID: merchantID, id: order)) {
                revocations[Key(merchantID: merchantID, id: revocation)] = owner
            }
            return owner
        case "finding.recorded", "finding.withdrawn":
            guard let revocation = data["revocationId"]?.stringValue else { return nil }
            return revocations[Key(merchantID: merchantID, id: revocation)] ?? lookup?.revocationOwner(merchantID, revocation)
        default:
            return nil
        }
    }
}
