import PointJSON
import Testing
@testable import PointAPI

enum GrantReason: String, CaseIterable { case purchase, campaign }

struct GrantItem: Equatable {
    var sku: String
    var points: Int64
}

struct GrantBody: Equatable {
    var orderId: String
    var points: Int64
    var reason: GrantReason?
    var note: String?
    var items: [GrantItem]
    var dryRun: Bool?
}

func readGrant(_ json: String) throws(APIError) -> GrantBody {
    let body = try JSONObjectReader.parse(Array(json.utf8))
    let orderId = body.requiredString("orderId", maxLength: 16, charset: .identifier)
    let points = body.requiredInteger("points", in: 1...1_000_000)
    let reason = body.requiredEnum("reason", as: GrantReason.self)
    let note = body.optionalString("note", maxLength: 10)
    let items = body.optionalArray("items", maxCount: 3) { element in
        element.object { item in
            GrantItem(sku: item.requiredString("sku", maxLength: 8, charset: .identifier),
                      points: item.requiredInteger("points", in: 1...100))
        }
    } ?? []
    let dryRun = body.optionalBool("dryRun")
    try body.finish()
    return GrantBody(orderId: orderId, points: points, reason: reason, note: note, items: items, dryRun: dryRun)
}

func details(_ json: String) -> [String: String] {
    do {
        _ = try readGrant(json)
        return [:]
    } catch {
        #expect(error.status.code == 422)
        #expect(error.code == .validationFailed)
        return Dictionary(error.details.map { ($0.property, $0.message) }, uniquingKeysWith: { first, _ in first })
    }
}

@Suite struct JSONRequestReaderTests {
    @Test func readsAValidBody() throws {
        let body = try readGrant(#"{"orderId":"A-1","points":100,"reason":"purchase","items":[{"sku":"x1","points":5}],"note":null}"#)
        #expect(body == GrantBody(orderId: "A-1", points: 100, reason: .purchase, note: nil,
                                  items: [GrantItem(sku: "x1", points: 5)], dryRun: nil))
    }

    @Test func collectsEveryProblemWithItsPath() {
        let found = details(#"{"orderId":"A 1","points":0,"reason":"gift","note":"0123456789x","items":[{"sku":"ok","points":5},{"sku":"ok","points":500,"extra":1},"x"],"dryRun":"yes","bogus":true}"#)
        #expect(found["orderId"] == "must contain only ASCII letters, digits, '-', '_', '.' and ':'")
        #expect(found["points"] == "must be between 1 and 1000000")
        #expect(found["reason"] == "must be one of: purchase, campaign")
        #expect(found["note"] == "must be at most 10 characters")
        #expect(found["items[1].points"] == "must be between 1 and 100")
        #expect(found["items[1].extra"] == "is not a recognised field")
        #expect(found["items[2]"] == "must be an object, not string")
        #expect(found["dryRun"] == "must be true or false, not string")
        #expect(found["bogus"] == "is not a recognised field")
        #expect(found.count == 9)
    }

    @Test func reportsMissingAndMistypedRequiredFields() {
        let found = details(#"{"orderId":"","points":"100"}"#)
        #expect(found == [
            "orderId": "must not be empty",
            "points": "must be an integer, not string",
            "reason": "is required",
        ])
        #expect(details(#"{"orderId":"A","points":1,"reason":"campaign","items":[1,2,3,4]}"#)["items"] == "must have at most 3 items")
    }

    @Test func refusesControlCharactersByDefault() {
        #expect(details(#"{"orderId":"A","points":1,"reason":"campaign","note":"a\u0007b"}"#)["note"] == "must contain only printable characters (no control characters)")
    }

    @Test func aNumberOutsideWholeSixtyFourBitIntegersIsAMistypedField() {
        for text in [#"{"orderId":"A","points":1.5}"#, #"{"orderId":"A","points":2e2}"#, #"{"orderId":"A","points":18446744073709551616}"#] {
            do {
                _ = try readGrant(text)
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.status.code == 422 && error.code == .validationFailed, "\(text)")
                // The mistyped number is named with its field's own range, and the rest of the
                // body is still read: the missing reason is reported in the same answer.
                #expect(error.details.map(\.property) == ["points", "reason"], "\(text): \(error.details)")
                #expect(error.details.first?.message.hasPrefix("must be a whole number from 1 to 1000000: ") == true, "\(error.details)")
            }
        }
    }

    @Test func everyMistypedNumberIsReportedWhereverItIsRead() {
        let found = details(#"{"orderId":"A B","points":1.5,"reason":"campaign","note":2.5,"items":[{"sku":"x","points":1e3},{"sku":"y","points":7.25}]}"#)
        #expect(found["orderId"] == "must contain only ASCII letters, digits, '-', '_', '.' and ':'")
        #expect(found["points"]?.hasPrefix("must be a whole number from 1 to 1000000: only whole numbers") == true)
        #expect(found["note"]?.hasPrefix("must be a string, not a number (only whole numbers") == true)
        #expect(found["items[0].points"]?.hasPrefix("must be a whole number from 1 to 100: ") == true)
        #expect(found["items[1].points"]?.hasPrefix("must be a whole number from 1 to 100: ") == true)
        #expect(found.count == 5, "\(found)")
    }

    @Test func aMistypedNumberNobodyReadsIsStillRefused() {
        // An unknown member holding one is reported as unknown; one past the reader's limits too.
        #expect(details(#"{"orderId":"A","points":1,"reason":"campaign","extra":0.5}"#)["extra"] == "is not a recognised field")
        // Never taken for null: an optional member that is read reports it instead of skipping it.
        #expect(details(#"{"orderId":"A","points":1,"reason":"campaign","dryRun":1.0}"#)["dryRun"]?.contains("not a number") == true)
    }

    @Test func brokenJSONAfterAMistypedNumberIs400AtTheByteAsSent() {
        for (text, offset) in [(#"{"orderId":"A","points":1.5,"reason": nope}"#, 38), (#" {"a":1.25"#, 10), (#"{"points":1.5,"points":2}"#, 14)] {
            do {
                _ = try readGrant(text)
                Issue.record("accepted broken JSON \(text)")
            } catch {
                #expect(error.status.code == 400 && error.code == .malformedJSON, "\(text): \(error)")
                #expect(error.message.contains("at byte \(offset)"), "\(text): \(error.message)")
            }
        }
    }

    @Test func everyMistypedNumberOfALargeBodyIsNamedWithItsFieldsRange() {
        // One parse reads past all of them, whatever the body's size: each is named by the reader
        // of its field, with that field's range, up to the detail limit, the rest counted.
        let padding = String(repeating: "x", count: 200_000)
        let items = (0..<150).map { #"{"sku":"s\#($0)","points":5.0}"# }.joined(separator: ",")
        let text = #"{"orderId":"A","points":1,"reason":"campaign","note":"\#(padding)","items":[\#(items)]}"#
        do {
            _ = try JSONObjectReader.parse(Array(text.utf8)).finish()
            Issue.record("accepted")
        } catch {
            #expect(error.status.code == 422 && error.code == .validationFailed)
        }
        do {
            let body = try JSONObjectReader.parse(Array(text.utf8))
            _ = body.optionalArray("items", maxCount: 200) { element in
                element.object { item in (item.requiredString("sku", maxLength: 8), item.requiredInteger("points", in: 1...100)) }
            }
            _ = body.requiredString("orderId", maxLength: 8)
            _ = body.requiredInteger("points", in: 1...10)
            _ = body.requiredString("reason", maxLength: 16)
            _ = body.optionalString("note", maxLength: 300_000)
            try body.finish()
            Issue.record("accepted")
        } catch {
            let named = error.details.filter { $0.property.hasSuffix(".points") }
            #expect(named.count == JSONDetailCollector.maxDetails, "\(named.count)")
            #expect(named.allSatisfy { $0.message.hasPrefix("must be a whole number from 1 to 100: ") })
            #expect(error.details.last?.message == "\(150 - JSONDetailCollector.maxDetails) more problems not shown")
        }
        // Broken JSON after them is still 400, at its byte.
        let broken = #"{"note":"\#(padding)","a":1.5,"b":2.5,"c":3.5,"d":4.5 "broken"}"#
        do {
            _ = try JSONObjectReader.parse(Array(broken.utf8))
            Issue.record("accepted broken JSON")
        } catch {
            #expect(error.status.code == 400 && error.code == .malformedJSON)
            #expect(error.message.contains("at byte \(broken.utf8.count - 9)"), "\(error.message)")
        }
    }

    @Test func aMistypedNumberUnderAnEscapedKeyIsNamedByTheKeyAsRead() {
        let found = details(#"{"orderId":"A","p\u006fints":1.5,"reason":"campaign"}"#)
        #expect(found.count == 1, "\(found)")
        #expect(found["points"]?.hasPrefix("must be a whole number from 1 to 1000000: ") == true, "\(found)")
    }

    @Test func manyMistypedNumbersUnderALongKeyKeepShortPaths() {
        // A long key is cut in paths, so a thousand numbers under it can't multiply its length.
        let key = String(repeating: "k", count: 50_000)
        let text = #"{"\#(key)":["# + Array(repeating: "1.5", count: JSONObjectReader.maxMistypedNumbers).joined(separator: ",") + "]}"
        do {
            _ = try JSONObjectReader.parse(Array(text.utf8)).finish()
            Issue.record("accepted")
        } catch {
            #expect(error.status.code == 422)
            #expect(error.details.allSatisfy { $0.property.unicodeScalars.count <= JSONPath.maxKeyScalars + 12 }, "\(error.details.first?.property.count ?? 0)")
        }
    }

    @Test func pastTheMostMistypedNumbersTheBodyIsRefusedNamingThoseFound() {
        let count = JSONObjectReader.maxMistypedNumbers + 5
        let text = #"{"a":["# + Array(repeating: "1.5", count: count).joined(separator: ",") + "]}"
        do {
            _ = try JSONObjectReader.parse(Array(text.utf8))
            Issue.record("accepted")
        } catch {
            #expect(error.status.code == 422 && error.code == .validationFailed)
            #expect(error.details.first?.property == "a[0]" && error.details.count == JSONDetailCollector.maxDetails + 1)
        }
    }

    @Test func bodiesThatAreNotJSONObjectsAre400WithTheOffset() {
        for (text, offset) in [("{\"a\":1,}", 7), ("not json", 0), ("[1.5]", 1)] {
            do {
                _ = try readGrant(text)
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.status.code == 400)
                #expect(error.code == .malformedJSON)
                #expect(error.message.contains("at byte \(offset)"), "\(error.message)")
            }
        }
        do {
            _ = try readGrant("[1]")
            Issue.record("accepted an array")
        } catch {
            #expect(error.status.code == 400)
            #expect(error.message.contains("must be a JSON object"))
        }
    }

    @Test func detailsAreBounded() throws {
        let members = (0..<500).map { "\"f\($0)\":1" }.joined(separator: ",")
        let reader = try JSONObjectReader.parse(Array("{\(members)}".utf8))
        do {
            try reader.finish()
            Issue.record("unknown fields accepted")
        } catch {
            #expect(error.details.count == APIError.maxRenderedDetails)
            #expect(error.details.last?.message == "401 more problems not shown")
            let parsed = try JSONParser.parse(error.body)
            #expect(parsed["details"]?.arrayValue?.count == APIError.maxRenderedDetails)
        }
    }

    @Test func customValidationAndCrossFieldRules() {
        do {
            let body = try JSONObjectReader.parse(Array(#"{"from":5,"to":3,"code":"abc"}"#.utf8))
            let from = body.requiredInteger("from", in: 0...100)
            let to = body.requiredInteger("to", in: 0...100)
            if to < from { body.reject("to", "must not be less than from") }
            _ = body.requiredString("code", maxLength: 8) { $0.hasPrefix("X") ? nil : "must start with X" }
            try body.finish()
            Issue.record("accepted")
        } catch {
            #expect(error.details == [
                APIErrorDetail(property: "to", message: "must not be less than from"),
                APIErrorDetail(property: "code", message: "must start with X"),
            ])
        }
    }
}
