@_spi(Fuzzing) import PointAPI
import PointCore
import PointJSON

/// Fuzzes JSON request bodies: `JSONParser`, `CanonicalJSON`, `CanonicalJSONValidator` and the
/// readers of the grant, batch and revocation endpoints (`JSONObjectReader`).
///
/// Invariants:
/// - Whatever parses re-encodes to canonical JSON that the validator accepts and that parses back
///   to the same value and re-encodes byte-identically.
/// - Bytes the validator accepts parse, and re-encode byte-identically (canonical means the one
///   encoding); bytes that are the encoding of what they parse to are accepted by the validator.
/// - A body the grant/revocation readers accept holds exactly the fields read, within their
///   limits (lengths, printable characters, point range, one recipient), equal to the JSON
///   values; a refused body is 400 exactly when it is not a JSON object (one readable up to a
///   number the parser does not accept is an object with a mistyped field), else 422 with details.
enum JSONBodyTarget {
    static let merchantID = "m-fuzz"
    static let maxPoints = Int64(PointsDomain.Limits().maxPointsPerGrant)
    static let idMax = Identifiers.maxExternalIDLength

    static func run(_ data: [UInt8]) -> FuzzViolation? {
        var checker = Checker(FuzzTarget.jsonBody.rawValue)
        let parsed: JSONValue?
        var unacceptedNumber = false
        do { parsed = try JSONParser.parse(data) } catch {
            parsed = nil
            unacceptedNumber = error.isUnacceptedNumber
        }
        let validatorProblem = data.withUnsafeBytes { CanonicalJSONValidator.validate($0) }

        if let value = parsed {
            let canonical = CanonicalJSON.encode(value)
            let problem = canonical.withUnsafeBytes { CanonicalJSONValidator.validate($0) }
            checker.check(problem == nil, "the validator refuses the writer's own output: \(problem.map(String.init(describing:)) ?? "")")
            do {
                let again = try JSONParser.parse(canonical)
                checker.check(again == value, "canonical JSON parses back to a different value")
                checker.check(CanonicalJSON.encode(again) == canonical, "canonical JSON does not re-encode byte-identically")
            } catch {
                checker.fail("canonical JSON of a parsed value does not parse: \(error)")
            }
            if canonical == data {
                checker.check(validatorProblem == nil, "the validator refuses canonical bytes: \(validatorProblem.map(String.init(describing:)) ?? "")")
            }
        }
        if validatorProblem == nil {
            if let value = parsed {
                checker.check(CanonicalJSON.encode(value) == data, "bytes the validator accepts are not the canonical encoding of their value")
            } else {
                checker.fail("the validator accepts bytes the parser refuses")
            }
        }

        let object = parsed?.objectValue
        // An object that is JSON once its unaccepted numbers are read as null: mistyped fields
        // (422); one that is not JSON even so is malformed (400).
        var unaccepted: [JSONParseError] = []
        let startsAsObject = data.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } == UInt8(ascii: "{")
        var tolerant: JSONValue?
        var pastTheMost = false   // more mistyped numbers than are read past: refused as mistyped (422)
        if unacceptedNumber && startsAsObject {
            do {
                tolerant = try JSONParser.parse(data, unacceptedNumbers: &unaccepted, maxUnacceptedNumbers: JSONObjectReader.maxMistypedNumbers)
            } catch {
                pastTheMost = error.isUnacceptedNumber
            }
            if let tolerant {
                checker.check(tolerant.objectValue != nil && !unaccepted.isEmpty, "a tolerant parse of an object with a mistyped number gave no object or no number")
            }
        }
        let objectWithUnacceptedNumber = tolerant?.objectValue != nil || pastTheMost
        let refusal = { (error: APIError, checker: inout Checker) in
            checkRefusal(error, object: object, mistypedNumber: objectWithUnacceptedNumber, checker: &checker)
        }
        checkGrantRead(RequestBodyProbe.grant(data, merchantID: merchantID), object: object, mistypedNumber: objectWithUnacceptedNumber,
                       checker: &checker)
        switch RequestBodyProbe.grantBatch(data, merchantID: merchantID) {
        case .success(let commands):
            let items = object?["grants"]?.arrayValue ?? []
            checker.check(!commands.isEmpty && commands.count == items.count && commands.count <= PointsDomain.maxBatchGrants,
                          "batch accepted with \(commands.count) commands from \(items.count) items")
            checker.check(object.map { Set($0.keys).isSubset(of: ["grants"]) } ?? false, "batch accepted with unknown members")
            for (command, item) in zip(commands, items) {
                checkGrant(command, item.objectValue ?? [:], valuesChecked: false, checker: &checker)
            }
        case .failure(let error):
            refusal(error, &checker)
        }
        switch RequestBodyProbe.revocation(data, merchantID: merchantID, orderID: "o-1") {
        case .success(let command):
            let members = object ?? [:]
            let known: Set<String> = ["revocationId", "points", "reason", "evidence"]
            checker.check(Set(members.keys.filter { members[$0] != .null }).isSubset(of: known), "revocation accepted with unknown members")
            checkString(command.revocationID, members["revocationId"], max: idMax, "revocationId", checker: &checker)
            checkString(command.reason, members["reason"], max: 64, "reason", checker: &checker)
            checker.check(Int64(command.points) == members["points"]?.intValue && (1...maxPoints).contains(Int64(command.points)),
                          "revocation points \(command.points) differ from the body or are out of range")
            let evidence = members["evidence"]?.objectValue ?? [:]
            let read: [(String, String?, Int)] = [
                ("notifiedAt", command.evidence.notifiedAt, 40), ("channel", command.evidence.channel, 32),
                ("message", command.evidence.message, PointsDomain.maxEvidenceTextLength), ("fraudKind", command.evidence.fraudKind, 32),
                ("caseReference", command.evidence.caseReference, idMax),
                ("description", command.evidence.description, PointsDomain.maxEvidenceTextLength),
                ("cancellation", command.evidence.cancellation, 32), ("transactionReference", command.evidence.transactionReference, idMax),
            ]
            checker.check(Set(evidence.keys.filter { evidence[$0] != .null }).isSubset(of: Set(read.map(\.0))), "evidence accepted with unknown members")
            for (name, value, max) in read {
                if let value {
                    checkString(value, evidence[name], max: max, "evidence.\(name)", checker: &checker)
                } else {
                    checker.check(evidence[name] == nil || evidence[name] == .null, "evidence.\(name) present but not read")
                }
            }
        case .failure(let error):
            refusal(error, &checker)
        }
        return checker.violation
    }

    static func checkGrantRead(_ result: Result<GrantPointsCommand, APIError>, object: [String: JSONValue]?, mistypedNumber: Bool,
                               checker: inout Checker) {
        switch result {
        case .success(let command): checkGrant(command, object ?? [:], valuesChecked: true, checker: &checker)
        case .failure(let error): checkRefusal(error, object: object, mistypedNumber: mistypedNumber, checker: &checker)
        }
    }

    /// - Parameter valuesChecked: a single grant's values are checked by the reader; a batch
    ///   item's are left to the domain (each item refused on its own), so only the shape holds.
    static func checkGrant(_ command: GrantPointsCommand, _ members: [String: JSONValue], valuesChecked: Bool, checker: inout Checker) {
        let known: Set<String> = ["orderId", "memberId", "lineUserId", "scenarioId", "points"]
        checker.check(Set(members.keys.filter { members[$0] != .null }).isSubset(of: known), "grant accepted with unknown members")
        checker.check(command.merchantID == merchantID, "grant merchant changed")
        let checked = { (read: String, json: JSONValue?, max: Int, name: String, checker: inout Checker) in
            if valuesChecked {
                checkString(read, json, max: max, name, checker: &checker)
            } else {
                checker.check(json?.stringValue == read, "\(name) read as \(read.debugDescription) but the body holds \(String(describing: json))")
            }
        }
        if valuesChecked {
            checker.check(Identifiers.isValidExternalID(command.orderID), "orderId \(command.orderID.debugDescription) outside the ID syntax accepted")
            switch command.recipient {
            case .member(let id): checker.check(Identifiers.isValidExternalID(id), "memberId \(id.debugDescription) outside the ID syntax accepted")
            case .lineUser(let id): checker.check(Identifiers.isValidLineUserID(id), "lineUserId \(id.debugDescription) outside its syntax accepted")
            }
        }
        checked(command.orderID, members["orderId"], idMax, "orderId", &checker)
        checked(command.scenarioID, members["scenarioId"], idMax, "scenarioId", &checker)
        checker.check(Int64(command.points) == members["points"]?.intValue && (!valuesChecked || (1...maxPoints).contains(Int64(command.points))),
                      "grant points \(command.points) differ from the body or are out of range")
        let member = members["memberId"].flatMap { $0 == .null ? nil : $0 }
        let lineUser = members["lineUserId"].flatMap { $0 == .null ? nil : $0 }
        switch command.recipient {
        case .member(let id):
            checker.check(lineUser == nil, "grant accepted with both memberId and lineUserId")
            checked(id, member, idMax, "memberId", &checker)
        case .lineUser(let id):
            checker.check(member == nil, "grant accepted with both memberId and lineUserId")
            checked(id, lineUser, 33, "lineUserId", &checker)
        }
    }

    static func checkString(_ read: String, _ json: JSONValue?, max: Int, _ name: String, checker: inout Checker) {
        checker.check(json?.stringValue == read, "\(name) read as \(read.debugDescription) but the body holds \(String(describing: json))")
        let scalars = read.unicodeScalars
        checker.check(!scalars.isEmpty && scalars.count <= max, "\(name) of \(scalars.count) scalars accepted (limit \(max))")
        checker.check(JSONCharset.printable.admits(read), "\(name) with a control character accepted")
    }

    static func checkRefusal(_ error: APIError, object: [String: JSONValue]?, mistypedNumber: Bool, checker: inout Checker) {
        if object == nil && !mistypedNumber {
            checker.check(error.status.code == 400 && error.code.rawValue == "malformed_json",
                          "a body that is not a JSON object got \(error.status.code) \(error.code.rawValue)")
        } else {
            checker.check(error.status.code == 422 && error.code.rawValue == "validation_failed" && !error.details.isEmpty,
                          "a JSON object body got \(error.status.code) \(error.code.rawValue) with \(error.details.count) details")
        }
    }
}
