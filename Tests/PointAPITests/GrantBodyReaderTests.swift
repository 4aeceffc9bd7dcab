import Foundation
@testable import PointAPI
import PointCore
import PointJSON
import Testing

@Suite("Grant bodies read straight from bytes")
struct GrantBodyReaderTests {
    static let merchant = "1650000001"

    /// The general reader alone: the commands, or nil when it records any detail.
    static func general(_ text: String) -> [GrantPointsCommand]? {
        guard let reader = try? JSONObjectReader.parse(Array(text.utf8)) else { return nil }
        let commands = reader.requiredArray("grants", maxCount: PointsDomain.maxBatchGrants) { item in
            item.object { APIApplication.readGrant($0, merchantID: merchant) }
        }
        guard (try? reader.finish()) != nil else { return nil }
        return commands
    }

    static func fast(_ text: String) -> [GrantPointsCommand]? {
        GrantBodyReader.batch(Array(text.utf8), merchantID: merchant)
    }

    @Test("The common shapes are read directly, exactly as the general reader reads them", arguments: [
        #"{"grants":[{"orderId":"O-1","memberId":"M-1","scenarioId":"SCN-000001","points":20}]}"#,
        #"{"grants":[{"points":5,"scenarioId":"S","lineUserId":"U0123456789abcdef0123456789abcdef","orderId":"a/b#c"}]}"#,
        "{\n  \"grants\" : [\n    { \"orderId\" : \"O 1\", \"memberId\" : \"m\" , \"scenarioId\":\"S\",\"points\": 1000 } ,\r\n\t{\"orderId\":\"O-2\",\"memberId\":\"m\",\"scenarioId\":\"S\",\"points\":1}\n  ]\n}\n",
        #"{"grants":[{"orderId":"~!@$%^&*()[]{}<>?;'","memberId":"m","scenarioId":"S","points":9}]}"#,   // printable, refused later by the domain
    ])
    func commonShapes(text: String) throws {
        let fast = try #require(Self.fast(text))
        #expect(fast == Self.general(text))
    }

    @Test("Anything unusual is left to the general reader", arguments: [
        #"{"grants":[{"orderId":"O","memberId":"m","scenarioId":"S","points":1,"note":"x"}]}"#,        // unknown member
        #"{"grants":[{"orderId":"O","orderId":"P","memberId":"m","scenarioId":"S","points":1}]}"#,     // repeated member
        #"{"grants":[{"orderId":"O\u0031","memberId":"m","scenarioId":"S","points":1}]}"#,             // an escape
        #"{"grants":[{"orderId":"注文","memberId":"m","scenarioId":"S","points":1}]}"#,                  // non-ASCII
        #"{"grants":[{"orderId":"","memberId":"m","scenarioId":"S","points":1}]}"#,                    // empty
        #"{"grants":[{"orderId":"O","memberId":"m","scenarioId":"S","points":0}]}"#,                   // out of range
        #"{"grants":[{"orderId":"O","memberId":"m","scenarioId":"S","points":01}]}"#,                  // leading zero
        #"{"grants":[{"orderId":"O","memberId":"m","scenarioId":"S","points":1.0}]}"#,                 // fraction
        #"{"grants":[{"orderId":"O","memberId":"m","scenarioId":"S","points":1e2}]}"#,                 // exponent
        #"{"grants":[{"orderId":"O","memberId":"m","scenarioId":"S","points":-1}]}"#,                  // sign
        #"{"grants":[{"orderId":"O","memberId":"m","scenarioId":"S","points":"1"}]}"#,                 // string
        #"{"grants":[{"orderId":"O","memberId":null,"lineUserId":"U1","scenarioId":"S","points":1}]}"#, // null
        #"{"grants":[{"orderId":"O","memberId":"m","lineUserId":"U1","scenarioId":"S","points":1}]}"#, // both recipients
        #"{"grants":[{"orderId":"O","scenarioId":"S","points":1}]}"#,                                  // no recipient
        #"{"grants":[{"orderId":"O","memberId":"m","points":1}]}"#,                                    // no scenario
        #"{"grants":[]}"#,
        #"{"grants":[{"orderId":"O","memberId":"m","scenarioId":"S","points":1}],"extra":1}"#,
        #"{"grants":[{"orderId":"O","memberId":"m","scenarioId":"S","points":1}]} x"#,
        "\u{FEFF}{\"grants\":[{\"orderId\":\"O\",\"memberId\":\"m\",\"scenarioId\":\"S\",\"points\":1}]}",
        #"{"grants":[{"orderId":"O","memberId":"m","scenarioId":"S","points":1},]}"#,                 // trailing comma
    ])
    func unusualShapes(text: String) {
        #expect(Self.fast(text) == nil)
    }

    @Test func limitsAreTheGeneralReaders() {
        func body(_ count: Int, orderLength: Int = 8) -> String {
            let item = #"{"orderId":"\#(String(repeating: "o", count: orderLength))","memberId":"m","scenarioId":"S","points":1}"#
            return #"{"grants":["# + Array(repeating: item, count: count).joined(separator: ",") + "]}"
        }
        #expect(Self.fast(body(PointsDomain.maxBatchGrants))?.count == PointsDomain.maxBatchGrants)
        #expect(Self.fast(body(PointsDomain.maxBatchGrants + 1)) == nil)
        #expect(Self.fast(body(1, orderLength: APIApplication.identifierMax)) != nil)
        #expect(Self.fast(body(1, orderLength: APIApplication.identifierMax + 1)) == nil)
        // Past the direct reader's limit the general reader reads it, and the domain refuses that item alone.
        #expect(Self.general(body(1, orderLength: APIApplication.identifierMax + 1))?.first?.orderID.count == APIApplication.identifierMax + 1)
    }

    /// 3,000 random variants of `base`, each with one to three characters inserted, removed or
    /// replaced by ones that matter to JSON (and a few that don't).
    static func mutations(of base: String) -> [String] {
        let alphabet = Array(" \n\t{}[]:,\"\\0123456789-.eEabcdefmnoprstuvwxyzIOPU_#/é\u{01}".unicodeScalars)
        var random = SystemRandomNumberGenerator()
        return (0..<3_000).map { _ in
            var scalars = Array(base.unicodeScalars)
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let at = Int.random(in: 0..<scalars.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: scalars.insert(alphabet.randomElement(using: &random) ?? " ", at: at)
                case 1 where scalars.count > 1: scalars.remove(at: at)
                default: scalars[at] = alphabet.randomElement(using: &random) ?? " "
                }
            }
            return String(String.UnicodeScalarView(scalars))
        }
    }

    @Test("Mutated bodies: whenever the direct reader answers, the general reader gives the same commands")
    func mutationsAgree() {
        let base = "{ \"grants\": [{\"orderId\":\"O-1\",\"memberId\":\"M-1\",\"scenarioId\":\"SCN-1\",\"points\":20},"
            + "{\"points\":7,\"lineUserId\":\"U0123456789abcdef0123456789abcdef\",\"scenarioId\":\"S\",\"orderId\":\"O-2\"}]}"
        #expect(Self.agreeOnMutations(of: base, fast: Self.fast, general: Self.general) > 0)
    }

    /// Runs `fast` over every mutation of `base` and, wherever it answers, expects `general`'s
    /// answer to be the same; returns how many mutations `fast` answered.
    static func agreeOnMutations<Read: Equatable>(of base: String, fast: (String) -> Read?, general: (String) -> Read?) -> Int {
        var answered = 0
        for text in mutations(of: base) {
            if let read = fast(text) {
                answered += 1
                #expect(read == general(text), "\(text)")
            }
        }
        return answered
    }

    // MARK: A single grant's body

    /// The general reader as `POST /v1/grants` uses it (identifier syntax checked): the command,
    /// or nil when it records any detail.
    static func generalSingle(_ text: String) -> GrantPointsCommand? {
        guard let reader = try? JSONObjectReader.parse(Array(text.utf8)) else { return nil }
        let command = APIApplication.readGrant(reader, merchantID: merchant, checkSyntax: true)
        guard (try? reader.finish()) != nil else { return nil }
        return command
    }

    static func fastSingle(_ text: String) -> GrantPointsCommand? {
        GrantBodyReader.single(Array(text.utf8), merchantID: merchant)
    }

    @Test("A single grant's common shapes are read directly, exactly as the general reader reads them", arguments: [
        #"{"orderId":"O-1","memberId":"M-1","scenarioId":"SCN-000001","points":20}"#,
        #"{"points":5,"scenarioId":"S","lineUserId":"U0123456789abcdef0123456789abcdef","orderId":"a/b#c:d_e.f"}"#,
        "\n { \"orderId\" : \"O1\", \"memberId\" : \"m\" , \"scenarioId\":\"scenario with spaces\",\"points\": 1000 }\r\n\t",
        #"{"orderId":"\#(String(repeating: "o", count: Identifiers.maxExternalIDLength))","memberId":"m","scenarioId":"S","points":1}"#,
    ])
    func singleCommonShapes(text: String) throws {
        let fast = try #require(Self.fastSingle(text))
        #expect(fast == Self.generalSingle(text))
    }

    @Test("A single grant the general reader would refuse, or read with a detail, is left to it", arguments: [
        #"{"orderId":"O 1","memberId":"m","scenarioId":"S","points":1}"#,                                // orderId syntax
        #"{"orderId":"O","memberId":"m!","scenarioId":"S","points":1}"#,                                 // memberId syntax
        #"{"orderId":"O","lineUserId":"U0123456789ABCDEF0123456789abcdef","scenarioId":"S","points":1}"#, // uppercase hex
        #"{"orderId":"O","lineUserId":"U1","scenarioId":"S","points":1}"#,                               // too short
        #"{"orderId":"\#(String(repeating: "o", count: Identifiers.maxExternalIDLength + 1))","memberId":"m","scenarioId":"S","points":1}"#,
        #"{"orderId":"O","memberId":"m","scenarioId":"S","points":1,"note":"x"}"#,                       // unknown member
        #"{"orderId":"O","memberId":"m","scenarioId":"S","points":0}"#,                                  // out of range
        #"{"orderId":"O","memberId":"m","scenarioId":"S","points":1}x"#,                                 // trailing bytes
        #"{"grants":[{"orderId":"O","memberId":"m","scenarioId":"S","points":1}]}"#,                     // a batch body
        #"[{"orderId":"O","memberId":"m","scenarioId":"S","points":1}]"#,
        "",
    ])
    func singleUnusualShapes(text: String) {
        #expect(Self.fastSingle(text) == nil)
    }

    @Test func bodiesPastTheGeneralReadersSizeLimitAreLeftToIt() {
        let padding = [UInt8](repeating: 0x20, count: JSONLimits.standard.maxBytes)
        let single = Array(#"{"orderId":"O-1","memberId":"M-1","scenarioId":"S","points":1}"#.utf8)
        let batch = Array(#"{"grants":[{"orderId":"O-1","memberId":"M-1","scenarioId":"S","points":1}]}"#.utf8)
        #expect(GrantBodyReader.single(single, merchantID: Self.merchant) != nil)
        #expect(GrantBodyReader.single(single + padding, merchantID: Self.merchant) == nil)
        #expect(GrantBodyReader.batch(batch, merchantID: Self.merchant) != nil)
        #expect(GrantBodyReader.batch(batch + padding, merchantID: Self.merchant) == nil)
    }

    @Test("Mutated single bodies: whenever the direct reader answers, the general reader gives the same command")
    func singleMutationsAgree() {
        let base = #"{"orderId":"O-1","memberId":"M-1","scenarioId":"SCN-1","points":20}"#
        #expect(Self.agreeOnMutations(of: base, fast: Self.fastSingle, general: Self.generalSingle) > 0)
    }
}
