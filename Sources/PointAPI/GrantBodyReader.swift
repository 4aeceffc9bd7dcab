import PointCore
import PointJSON

/// Reads the common shapes of grant bodies straight from their bytes, without building a
/// `JSONValue` tree: a `POST /v1/grants/batch` body `{"grants":[{…},…]}` and a `POST /v1/grants`
/// body `{…}`, whose grants hold only `orderId`, one of `memberId` / `lineUserId`, `scenarioId`
/// and `points`, with plain printable-ASCII strings (no escapes) and plain integers, JSON
/// whitespace anywhere between tokens.
///
/// It answers only what the general reader (``JSONObjectReader`` with
/// ``APIApplication/readGrant(_:merchantID:checkSyntax:)``) would accept without a single detail,
/// with the same commands; for anything else — unknown or repeated members, escapes, non-ASCII
/// text, numbers outside the range, nulls, too many items, and for a single grant any identifier
/// outside its syntax — it returns nil and the general reader answers, with its precise errors.
/// Tests hold the two to the same result.
enum GrantBodyReader {
    /// The commands of a batch body, or nil when the general reader must decide.
    static func batch(_ body: [UInt8], merchantID: String) -> [GrantPointsCommand]? {
        guard body.count <= JSONLimits.standard.maxBytes else { return nil }
        return body.withUnsafeBufferPointer { bytes in
            var cursor = Cursor(bytes: bytes)
            return cursor.batch(merchantID: merchantID)
        }
    }

    /// The command of a single grant's body, or nil when the general reader must decide. Beyond
    /// the batch items' shape, the identifiers must pass the syntax checks a single grant's body
    /// gets (``FieldSyntax``), so that every refusal keeps the general reader's details.
    static func single(_ body: [UInt8], merchantID: String) -> GrantPointsCommand? {
        // Past the general reader's size limit it answers (with its error), whatever the shape.
        guard body.count <= JSONLimits.standard.maxBytes else { return nil }
        let command: GrantPointsCommand? = body.withUnsafeBufferPointer { bytes in
            var cursor = Cursor(bytes: bytes)
            guard let command = cursor.item(merchantID: merchantID), cursor.isAtEnd else { return nil }
            return command
        }
        guard let command, Identifiers.isValidExternalID(command.orderID) else { return nil }
        switch command.recipient {
        case .member(let memberID): guard Identifiers.isValidExternalID(memberID) else { return nil }
        case .lineUser(let lineUserID): guard Identifiers.isValidLineUserID(lineUserID) else { return nil }
        }
        return command
    }

    private struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func batch(merchantID: String) -> [GrantPointsCommand]? {
            guard consume(UInt8(ascii: "{")), let key = string(maxLength: 16), key == "grants",
                  consume(UInt8(ascii: ":")), consume(UInt8(ascii: "["))
            else { return nil }
            var commands: [GrantPointsCommand] = []
            commands.reserveCapacity(min(bytes.count / 64, PointsDomain.maxBatchGrants))
            while true {
                guard commands.count < PointsDomain.maxBatchGrants, let command = item(merchantID: merchantID) else { return nil }
                commands.append(command)
                if consume(UInt8(ascii: ",")) { continue }
                guard consume(UInt8(ascii: "]")) else { return nil }
                break
            }
            guard consume(UInt8(ascii: "}")), isAtEnd else { return nil }
            return commands
        }

        /// Whether only whitespace is left (skipping it).
        var isAtEnd: Bool {
            mutating get {
                skipWhitespace()
                return position == bytes.count
            }
        }

        mutating func item(merchantID: String) -> GrantPointsCommand? {
            guard consume(UInt8(ascii: "{")) else { return nil }
            var orderID: String?, memberID: String?, lineUserID: String?, scenarioID: String?, points: Int?
            repeat {
                guard let key = string(maxLength: 16), consume(UInt8(ascii: ":")) else { return nil }
                // Unknown or repeated members, and values the general reader would refuse or read
                // differently, end the fast path: the general reader names the problem.
                switch key {
                case "orderId" where orderID == nil:
                    guard let value = string(maxLength: APIApplication.identifierMax), !value.isEmpty else { return nil }
                    orderID = value
                case "memberId" where memberID == nil:
                    guard let value = string(maxLength: APIApplication.identifierMax), !value.isEmpty else { return nil }
                    memberID = value
                case "lineUserId" where lineUserID == nil:
                    guard let value = string(maxLength: 33), !value.isEmpty else { return nil }
                    lineUserID = value
                case "scenarioId" where scenarioID == nil:
                    guard let value = string(maxLength: APIApplication.identifierMax), !value.isEmpty else { return nil }
                    scenarioID = value
                case "points" where points == nil:
                    guard let value = integer(max: PointsDomain.Limits().maxPointsPerGrant) else { return nil }
                    points = value
                default:
                    return nil
                }
            } while consume(UInt8(ascii: ","))
            guard consume(UInt8(ascii: "}")), let orderID, let scenarioID, let points else { return nil }
            let recipient: GrantRecipient
            switch (memberID, lineUserID) {
            case (let member?, nil): recipient = .member(member)
            case (nil, let lineUser?): recipient = .lineUser(lineUser)
            default: return nil
            }
            return GrantPointsCommand(merchantID: merchantID, orderID: orderID, recipient: recipient, scenarioID: scenarioID, points: points)
        }

        /// A string of 1…`maxLength` printable ASCII characters without escapes; "" for anything
        /// else (so the caller falls back), nil at a syntax error.
        private mutating func string(maxLength: Int) -> String? {
            guard consume(UInt8(ascii: "\"")) else { return nil }
            let start = position
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    let length = position - start
                    position += 1
                    guard length >= 1, length <= maxLength else { return "" }
                    return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(start + length)]), as: UTF8.self)
                }
                guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return "" }
                position += 1
            }
            return nil
        }

        /// A plain integer (digits, no sign, no leading zero) in 1…`max`; nil otherwise.
        private mutating func integer(max: Int) -> Int? {
            skipWhitespace()
            let start = position
            var value = 0
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                guard position - start < 10 else { return nil }
                value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
                position += 1
            }
            let digits = position - start
            guard digits >= 1, !(digits > 1 && bytes[start] == UInt8(ascii: "0")), value >= 1, value <= max else { return nil }
            // A fraction or exponent continues the number: leave it to the general reader.
            if position < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[position]) { return nil }
            return value
        }

        /// Skips whitespace, then takes `byte` if it is next.
        private mutating func consume(_ byte: UInt8) -> Bool {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        private mutating func skipWhitespace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }
    }
}
