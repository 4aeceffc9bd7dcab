import PointCore
import Testing

@Suite("LINE Login–bound users")
struct BindingRulesTests {
    static func onboarded() throws -> DomainHarness {
        var harness = DomainHarness()
        try harness.registerMerchant()
        try harness.openSandbox()
        try harness.registerMerchant(DomainHarness.merchantB)
        try harness.openSandbox(DomainHarness.merchantB, login: DomainHarness.loginB)
        return harness
    }

    @Test("One LINE user ↔ one member per merchant")
    func oneToOne() throws {
        var harness = try Self.onboarded()
        try harness.bind("m-1", 1)
        // The same pair again is a replay.
        #expect(try harness.domain.decide(bind: "m-1", merchantID: DomainHarness.merchantA,
                                          login: VerifiedLineLogin(lineUserID: DomainHarness.lineUser(1), audience: DomainHarness.loginA)).isReplay)
        // A second member claiming the same LINE user: refused.
        #expect(errorCode { try harness.bind("m-2", 1) } == "line_user_bound_to_other_member")
        // The member bound to another LINE user: refused until unbound.
        #expect(errorCode { try harness.bind("m-1", 2) } == "member_already_bound")
        // A bound member claiming a LINE user bound to another member: the claim is the fraud
        // signal, whatever binding the claiming member has.
        try harness.bind("m-3", 3)
        #expect(errorCode { try harness.bind("m-3", 1) } == "line_user_bound_to_other_member")
        // Another merchant may bind the same LINE user.
        try harness.bind("other-1", 1, merchant: DomainHarness.merchantB, login: DomainHarness.loginB)
        #expect(harness.domain.binding(merchantID: DomainHarness.merchantB, lineUserID: DomainHarness.lineUser(1))?.memberID == "other-1")
    }

    @Test("Unbinding frees both sides; history stays")
    func unbind() throws {
        var harness = try Self.onboarded()
        try harness.bind("m-1", 1)
        try harness.commit(harness.domain.decide(unbind: "m-1", merchantID: DomainHarness.merchantA))
        #expect(harness.domain.binding(merchantID: DomainHarness.merchantA, memberID: "m-1") == nil)
        // Sent again after a lost answer: the original unbinding, nothing new written.
        let unbound = try #require(harness.records.last)
        #expect(try harness.domain.decide(unbind: "m-1", merchantID: DomainHarness.merchantA) == .replay(seq: unbound.seq, time: unbound.time))
        #expect(errorCode { try harness.domain.decide(unbind: "never-bound", merchantID: DomainHarness.merchantA) } == "binding_not_found")
        // Another merchant's member of the same id is its own.
        #expect(errorCode { try harness.domain.decide(unbind: "m-1", merchantID: DomainHarness.merchantB) } == "binding_not_found")
        #expect(try harness.replayed() == harness.domain)
        try harness.bind("m-2", 1)
        #expect(harness.domain.binding(merchantID: DomainHarness.merchantA, lineUserID: DomainHarness.lineUser(1))?.memberID == "m-2")
        #expect(harness.records.filter { $0.type.hasPrefix("binding.") }.count == 3)
        // Bound again, the member's unbinding is no longer what a DELETE answers: it unbinds anew.
        try harness.bind("m-1", 2)
        #expect(try harness.domain.decide(unbind: "m-1", merchantID: DomainHarness.merchantA).event != nil)
    }

    @Test("After termination an unbinding sent again is still answered as a replay; a new one is refused")
    func unbindAfterTermination() throws {
        var harness = try Self.onboarded()
        try harness.bind("m-1", 1)
        try harness.bind("m-2", 2)
        try harness.commit(harness.domain.decide(unbind: "m-1", merchantID: DomainHarness.merchantA))
        let unbound = try #require(harness.records.last)
        try harness.commit(harness.domain.decide(merchantID: DomainHarness.merchantA, statusChange: .terminate, note: "contract ended"))
        #expect(try harness.domain.decide(unbind: "m-1", merchantID: DomainHarness.merchantA) == .replay(seq: unbound.seq, time: unbound.time))
        #expect(errorCode { try harness.domain.decide(unbind: "m-2", merchantID: DomainHarness.merchantA) } == "merchant_terminated")
        #expect(errorCode { try harness.domain.decide(unbind: "m-9", merchantID: DomainHarness.merchantA) } == "merchant_terminated")
    }

    @Test("The token must be for this merchant's Login channel, with a LINE user subject")
    func tokenChecks() throws {
        let harness = try Self.onboarded()
        #expect(errorCode { try harness.domain.decide(bind: "m-1", merchantID: DomainHarness.merchantA,
                                                      login: VerifiedLineLogin(lineUserID: DomainHarness.lineUser(1), audience: DomainHarness.loginB)) } == "id_token_wrong_audience")
        #expect(errorCode { try harness.domain.decide(bind: "m-1", merchantID: DomainHarness.merchantA,
                                                      login: VerifiedLineLogin(lineUserID: "U123", audience: DomainHarness.loginA)) } == "id_token_bad_subject")
        #expect(errorCode { try harness.domain.decide(bind: "bad member", merchantID: DomainHarness.merchantA,
                                                      login: VerifiedLineLogin(lineUserID: DomainHarness.lineUser(1), audience: DomainHarness.loginA)) } == "validation_failed")
    }

    @Test("Applied merchants can't bind yet")
    func notOnboarded() throws {
        var harness = DomainHarness()
        try harness.registerMerchant()
        #expect(errorCode { try harness.bind("m-1", 1) } == "merchant_not_onboarded")
    }
}
