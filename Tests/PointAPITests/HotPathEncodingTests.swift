import PointCrypto
import PointJSON
@testable import PointHTTP
import Testing
@testable import PointAPI
@testable import PointCore

/// The direct canonical writers of the grant hot paths produce exactly the bytes of
/// `CanonicalJSON.encode` of the equivalent `JSONValue`.
@Suite struct HotPathEncodingTests {
    static func grant(_ orderID: String, seq: UInt64, points: Int = 20, revoked: Int = 0, time: Int64 = 1_793_521_920_123_456,
                      member: String = "M-1", lineUser: String = "U0123456789abcdef0123456789abcdef") -> Grant {
        Grant(merchantID: "MER-1", environment: orderID.hasSuffix("p") ? .production : .sandbox, orderID: orderID, memberID: member,
              lineUserID: lineUser, scenarioID: "SCN-\"1\"",
              points: points, revokedPoints: revoked, seq: seq, grantedAt: time)
    }

    static func command(_ orderID: String, points: Int = 20) -> GrantPointsCommand {
        GrantPointsCommand(merchantID: "MER-1", orderID: orderID, recipient: .member("M-1"), scenarioID: "SCN-1", points: points)
    }

    /// Strings that need every kind of escape, and multi-byte UTF-8.
    static let awkward = "q\"b\\s/n\nr\rt\tb\u{8}f\u{C}c\u{1}\u{1F}注文🎁"

    @Test("The batch writer matches CanonicalJSON for granted, replayed and refused items, escapes included")
    func batchMatchesCanonicalJSON() {
        let refusal = DomainError(.rejected, code: "user_not_bound", message: "Member \(Self.awkward) is not bound.",
                                  details: [DomainError.Detail(property: "memberId", message: "no \"binding\"\n"),
                                            DomainError.Detail(property: Self.awkward, message: "")])
        let outcomes: [GrantOutcome] = [
            .granted(seq: 45),
            .replayed(seq: 12),
            .refused(refusal),
            .granted(seq: 9_007_199_254_740_993),
            .refused(DomainError(.conflict, code: "order_conflict", message: "")),
        ]
        // Each result's orderId and points are its item's.
        let commands = [Self.command("O-1"), Self.command(Self.awkward, points: 7), Self.command("O-\u{0}3\""),
                        Self.command("O-4", points: 10_000_000), Self.command("")]
        let answer = BatchGrantAnswer(outcomes: outcomes, commands: commands)
        let fast = answer.encoded()
        #expect(fast == CanonicalJSON.encode(answer.jsonValue))

        // An independent statement of the shape, not derived from BatchGrantAnswer.
        let expected: JSONValue = [
            "durableThroughSeq": .int(9_007_199_254_740_993), "granted": 2, "replayed": 1, "refused": 2,
            "results": [
                ["index": 0, "status": "granted", "orderId": "O-1", "seq": 45, "points": 20],
                ["index": 1, "status": "replayed", "orderId": .string(Self.awkward), "seq": 12, "points": 7],
                ["index": 2, "status": "refused", "orderId": "O-\u{0}3\"", "error": [
                    "code": "user_not_bound", "message": .string("Member \(Self.awkward) is not bound."),
                    "details": [["property": "memberId", "message": "no \"binding\"\n"], ["property": .string(Self.awkward), "message": ""]],
                ]],
                ["index": 3, "status": "granted", "orderId": "O-4", "seq": .int(9_007_199_254_740_993), "points": 10_000_000],
                ["index": 4, "status": "refused", "orderId": "", "error": ["code": "order_conflict", "message": "", "details": []]],
            ],
        ]
        #expect(fast == CanonicalJSON.encode(expected))
        // And it parses back to the same value.
        #expect((try? JSONParser.parse(fast)) == expected)
    }

    @Test("A batch with nothing granted reports durableThroughSeq 0; counts add up")
    func batchCounts() {
        let outcomes: [GrantOutcome] = [.replayed(seq: 3), .replayed(seq: 4)]
        let answer = BatchGrantAnswer(outcomes: outcomes, commands: ["A", "B"].map { Self.command($0) })
        #expect(answer.encoded() == CanonicalJSON.encode(answer.jsonValue))
        let parsed = try? JSONParser.parse(answer.encoded())
        #expect(parsed?["durableThroughSeq"] == 0)
        #expect(parsed?["granted"] == 0)
        #expect(parsed?["replayed"] == 2)
        #expect(parsed?["refused"] == 0)
        let empty = BatchGrantAnswer(outcomes: [], commands: [])
        #expect(empty.encoded() == CanonicalJSON.encode(empty.jsonValue))
    }

    @Test("The single-grant answer writer, its receipt included, matches CanonicalJSON")
    func grantAnswerMatchesCanonicalJSON() {
        let hash = SHA256.hash(Array("a leaf".utf8))
        // (An orderId ending in "p" makes a production grant here.)
        for (grant, replay, leafHash) in [(Self.grant("O-1", seq: 45), false, hash as SHA256Digest?),
                                          (Self.grant("O-1p", seq: 46), false, hash as SHA256Digest?),
                                          (Self.grant(Self.awkward, seq: 1, revoked: 5, time: 0, member: Self.awkward), true, nil)] {
            let receipt: JSONValue = ["seq": .int(Int64(grant.seq)), "time": .string(CivilTime.formatUTC(grant.grantedAt)),
                                      "leafHash": leafHash.map { .string($0.hex) } ?? .null,
                                      "inclusionProof": .string("/v1/audit/proofs/inclusion?seq=\(grant.seq)")]
            let reference = CanonicalJSON.encode(["grant": DomainRepresentations.grant(grant), "receipt": receipt, "replay": .bool(replay)])
            let written = CanonicalBytes.grantWriteAnswer(grant, receiptSeq: grant.seq, receiptTime: grant.grantedAt, leafHash: leafHash, replay: replay)
            #expect(written == reference, "\(String(decoding: written, as: UTF8.self))")
        }
        for seq: UInt64 in [0, 9, 10, 1_234_567_890_123] {
            var bytes: [UInt8] = []
            CanonicalBytes.appendReceipt(seq: seq, time: 1_793_521_920_123_456, leafHash: hash, to: &bytes)
            let reference: JSONValue = ["seq": .int(Int64(seq)), "time": .string(CivilTime.formatUTC(1_793_521_920_123_456)), "leafHash": .string(hash.hex),
                                        "inclusionProof": .string("/v1/audit/proofs/inclusion?seq=\(seq)")]
            #expect(bytes == CanonicalJSON.encode(reference))
        }
    }

    @Test("The request log line writer matches CanonicalJSON, awkward text included")
    func logLineMatchesCanonicalJSON() {
        for (key, route, remote, status, micros) in [("1650000001", "/v1/grants", "127.0.0.1", 201, UInt64(412)),
                                                     (Self.awkward, "unmatched", "::1", 404, UInt64.max), ("-", "http_server", "-", 400, 0)] {
            let reference: JSONValue = ["requestId": "r-1", "keyId": .string(key), "method": "POST", "route": .string(route),
                                        "status": .int(Int64(status)), "latencyMicros": .int(Int64(clamping: micros)), "remote": .string(remote)]
            var line: [UInt8] = Array("before".utf8)
            CanonicalBytes.appendLogLine(requestID: "r-1", keyID: key, method: "POST", route: route, status: status, micros: micros,
                                         remote: remote, to: &line)
            #expect(line == Array("before".utf8) + CanonicalJSON.encode(reference))
        }
    }

    @Test("Timestamps are written as CivilTime.formatUTC writes them, clamped alike")
    func timestampsMatchFormatUTC() {
        var samples: [Int64] = [0, 1, 999_999, 1_000_000, 86_399_999_999, 86_400_000_000, 951_782_400_000_000 /* 2000-02-29 */,
                                1_793_521_920_123_456, CivilTime.supportedRange.upperBound, CivilTime.supportedRange.upperBound + 1,
                                -1, Int64.min, Int64.max]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 { samples.append(Int64.random(in: CivilTime.supportedRange, using: &generator)) }
        for micros in samples {
            var bytes: [UInt8] = []
            CanonicalBytes.appendUTC(micros, to: &bytes)
            #expect(bytes == CanonicalJSON.encode(.string(CivilTime.formatUTC(micros))), "\(micros)")
        }
    }
}

/// The String fast path of header-name matching agrees with the generic comparison.
@Suite struct HeaderNameMatchingTests {
    @Test("Every pair of single bytes, and assorted names, match exactly when the generic comparison does")
    func agreesWithGenericComparison() {
        func generic(_ lhs: String, _ rhs: String) -> Bool {
            HTTPHeaders.namesMatch(Substring(lhs), Substring(rhs))
        }
        for a in UInt8(0)...0x7F {
            for b in UInt8(0)...0x7F {
                let left = String(decoding: [0x78, a], as: UTF8.self)
                let right = String(decoding: [0x78, b], as: UTF8.self)
                #expect(HTTPHeaders.namesMatch(left, right) == generic(left, right), "\(a) \(b)")
            }
        }
        let names = ["Content-Length", "content-length", "CONTENT-LENGTH", "Content-Lengt", "Content-Lengthh", "", "X-Line-Request-Id",
                     "x-line-request-id", "Ä", "ä", "ÄB", "äb", "@", "`", "[", "{", "Content_Length", "Content-Length "]
        for left in names {
            for right in names {
                #expect(HTTPHeaders.namesMatch(left, right) == generic(left, right), "\(left) \(right)")
            }
        }
        var headers = HTTPHeaders()
        headers.add(name: "X-A", value: "1")
        headers.add(name: "x-a", value: "2")
        headers.add(name: "X-B", value: "3")
        #expect(headers["x-A"] == "1")
        #expect(headers.values(for: "X-a") == ["1", "2"])
        #expect(headers.contains("x-b"))
        #expect(!headers.contains("x-"))
        #expect(headers["X-C"] == nil)
    }
}
