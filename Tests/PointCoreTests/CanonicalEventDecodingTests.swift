import PointCore
import PointJSON
import Testing

@Suite("Decoding events from canonical bytes")
struct CanonicalEventDecodingTests {
    private func viaBytes(_ type: String, _ data: JSONValue) throws -> DomainEvent? {
        try CanonicalJSON.encode(data).withUnsafeBytes { bytes in try DomainEvent.decode(type: type, canonicalData: bytes) }
    }

    private func viaValue(_ type: String, _ data: JSONValue) throws -> DomainEvent? {
        try DomainEvent.decode(type: type, data: data)
    }

    private static func grant(_ overrides: [String: JSONValue] = [:]) -> JSONValue {
        var object: [String: JSONValue] = [
            "merchantId": "1650000001", "orderId": "order-1", "memberId": "member-1",
            "lineUserId": "U0123456789abcdef0123456789abcdef", "scenarioId": "S-1", "points": 100,
        ]
        for (key, value) in overrides { object[key] = value }
        return .object(object)
    }

    @Test("Grants decode exactly as through the parser, whatever their strings and numbers", arguments: [
        [:],
        ["orderId": "注文-點數-🎁"],                       // non-ASCII: still the fast path
        ["memberId": "quote\"and\\backslash"],           // escapes: the parser's path
        ["orderId": "tab\there"],
        ["points": 0], ["points": -5], ["points": .int(Int64.max)], ["points": .int(Int64.min)],
        ["note": "an extra member"],                     // not the grant shape: the parser's path
        ["orderId": ""],
    ] as [[String: JSONValue]])
    func grantsMatchTheParser(overrides: [String: JSONValue]) throws {
        let data = Self.grant(overrides)
        let expected = try viaValue("grant.issued", data)
        #expect(try viaBytes("grant.issued", data) == expected)
        guard case .pointsGranted(let granted)? = expected else { Issue.record("not a grant"); return }
        for (key, value) in overrides where key != "note" {
            switch key {
            case "orderId": #expect(.string(granted.orderID) == value)
            case "memberId": #expect(.string(granted.memberID) == value)
            case "points": #expect(.int(Int64(granted.points)) == value)
            default: break
            }
        }
    }

    @Test func aGrantMissingAFieldOrWithAWrongTypeIsRefusedTheSameWay() {
        for data in [JSONValue.object(["merchantId": "1"]), Self.grant(["points": "100"]), Self.grant(["orderId": 7])] {
            let fast = errorCode { try viaBytes("grant.issued", data) }
            #expect(fast == "ledger_event_invalid")
            #expect(fast == errorCode { try viaValue("grant.issued", data) })
        }
    }

    @Test func otherTypesAndUnknownTypesFollowTheParser() throws {
        let revocation: JSONValue = [
            "merchantId": "1650000001", "revocationId": "R-1", "orderId": "order-1", "points": 10, "reason": "fraud",
            "evidence": ["fraudKind": "point_theft", "caseReference": "CASE-1", "description": .null],
        ]
        #expect(try viaBytes("revocation.recorded", revocation) == viaValue("revocation.recorded", revocation))
        #expect(try viaBytes("checkpoint.note", ["anything": 1]) == nil)
        // The grant shape under another type is not read as a grant.
        #expect(try viaBytes("binding.created", Self.grant()) == viaValue("binding.created", Self.grant()))
    }

    @Test func bytesThatAreNotJSONAreRefusedWithTheReason() {
        let code = errorCode {
            try Array(#"{"merchantId":"#.utf8).withUnsafeBytes { bytes in
                try DomainEvent.decode(type: "grant.issued", canonicalData: bytes)
            }
        }
        #expect(code == "ledger_event_invalid")
    }
}
