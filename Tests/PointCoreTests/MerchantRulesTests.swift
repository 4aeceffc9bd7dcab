import PointCore
import Testing

@Suite("Merchants, environments and contracts")
struct MerchantRulesTests {
    @Test("Registration validates every field at once")
    func registrationValidation() {
        let harness = DomainHarness()
        let error = domainError {
            try harness.domain.decide(RegisterMerchantCommand(merchantID: "123", name: "", taxID: "22099132", appliedOn: "2026-13-01",
                                                              contractStartDate: "soon", unitPriceTenths: 0))
        }
        #expect(error?.code == "validation_failed")
        #expect(Set(error?.details.map(\.property) ?? []) == ["merchantId", "name", "taxId", "appliedOn", "contractStartDate", "unitPriceTenths"])
    }

    @Test("Contract defaults to NT$1.1 and NT$100,000; older contracts keep NT$1.2")
    func contractTerms() throws {
        var harness = DomainHarness()
        try harness.registerMerchant()
        try harness.registerMerchant(DomainHarness.merchantB, price: 12)
        let a = try #require(harness.domain.merchant(DomainHarness.merchantA))
        #expect(a.contract.unitPriceTenths == 11)
        #expect(a.contract.annualPlatformFee == 100_000)
        #expect(a.contract.termMonths == 12)
        #expect(CivilTime.formatMonth(a.contract.startMonth) == "2026-10")
        #expect(harness.domain.merchant(DomainHarness.merchantB)?.contract.unitPriceTenths == 12)
        #expect(errorCode { try harness.domain.decide(RegisterMerchantCommand(merchantID: DomainHarness.merchantA, name: "x", taxID: "22099131", appliedOn: "2026-09-01", contractStartDate: "2026-10-01")) } == "merchant_exists")
    }

    @Test("The Login channel must be the one linked to the Official Account")
    func linkedChannel() throws {
        var harness = DomainHarness()
        try harness.registerMerchant()
        let command = OpenEnvironmentCommand(merchantID: DomainHarness.merchantA, environment: .sandbox, officialAccountID: "@shop",
                                             loginChannelID: "2000000001", linkedLoginChannelID: "2000000009", allowedSources: ["127.0.0.1"])
        #expect(errorCode { try harness.domain.decide(command) } == "login_channel_not_linked")
    }

    @Test("Lifecycle: applied → sandbox → production, with eligibility")
    func lifecycle() throws {
        var harness = DomainHarness()
        try harness.registerMerchant(appliedOn: "2026-09-10")
        #expect(harness.domain.merchant(DomainHarness.merchantA)?.status == .applied)
        #expect(harness.domain.sourceAccess(merchantID: DomainHarness.merchantA) == nil)
        #expect(harness.domain.sourceAccess(merchantID: "no-such-merchant") == nil)
        let production = OpenEnvironmentCommand(merchantID: DomainHarness.merchantA, environment: .production, officialAccountID: "@shop",
                                                loginChannelID: "2000000100", linkedLoginChannelID: "2000000100", allowedSources: ["203.0.113.0/24"],
                                                eligibility: .specialApproval(reference: "SP-1", approvedBy: "Reviewer"))
        #expect(errorCode { try harness.domain.decide(production) } == "merchant_status_conflict")
        try harness.openSandbox()
        #expect(harness.domain.merchant(DomainHarness.merchantA)?.status == .sandbox)
        let sandboxAccess = try #require(harness.domain.sourceAccess(merchantID: DomainHarness.merchantA))
        #expect(sandboxAccess.environment == .sandbox)
        #expect(sandboxAccess.allowedSources == harness.domain.merchant(DomainHarness.merchantA)?.sandbox?.allowedSources)
        #expect(harness.domain.merchant(DomainHarness.merchantA)?.isBillable == false)

        var noEligibility = production
        noEligibility.eligibility = nil
        #expect(errorCode { try harness.domain.decide(noEligibility) } == "eligibility_required")

        // Three months before a September application: June, July, August.
        var lowSpend = production
        lowSpend.eligibility = .messagingSpend([MonthlySpend(month: "2026-06", amount: 150_000), MonthlySpend(month: "2026-07", amount: 149_999),
                                                MonthlySpend(month: "2026-08", amount: 200_000)])
        let refusal = domainError { try harness.domain.decide(lowSpend) }
        #expect(refusal?.code == "not_eligible_for_production")
        #expect(refusal?.details.count == 1)
        var wrongMonths = production
        wrongMonths.eligibility = .messagingSpend([MonthlySpend(month: "2026-07", amount: 500_000), MonthlySpend(month: "2026-08", amount: 500_000),
                                                   MonthlySpend(month: "2026-09", amount: 500_000)])
        #expect(errorCode { try harness.domain.decide(wrongMonths) } == "not_eligible_for_production")
        // A month given twice (the last would have won) is contradictory evidence.
        var twice = production
        twice.eligibility = .messagingSpend([MonthlySpend(month: "2026-06", amount: 0), MonthlySpend(month: "2026-06", amount: 150_000),
                                             MonthlySpend(month: "2026-07", amount: 150_000), MonthlySpend(month: "2026-08", amount: 150_000)])
        #expect(domainError { try harness.domain.decide(twice) }?.details.map(\.property) == ["eligibility.months[1].month"])
        var enough = production
        enough.eligibility = .messagingSpend([MonthlySpend(month: "2026-06", amount: 150_000), MonthlySpend(month: "2026-07", amount: 150_000),
                                              MonthlySpend(month: "2026-08", amount: 150_000)])
        // Onboarding order: a scenario approved first (a submitted one is not enough).
        #expect(errorCode { try harness.domain.decide(enough) } == "no_approved_scenario")
        try harness.commit(harness.domain.decide(ScenarioRulesTests.submission(purpose: "survey")))
        #expect(errorCode { try harness.domain.decide(enough) } == "no_approved_scenario")
        try harness.approvedScenario()
        // The test account is never the production account.
        var testAccount = enough
        testAccount.officialAccountID = "@test001"
        #expect(domainError { try harness.domain.decide(testAccount) }?.details.map(\.property) == ["officialAccountId"])
        #expect(errorCode { try harness.domain.decide(testAccount) } == "official_account_in_other_environment")
        try harness.commit(harness.domain.decide(enough))
        let merchant = try #require(harness.domain.merchant(DomainHarness.merchantA))
        #expect(merchant.status == .production)
        #expect(merchant.isBillable)
        let productionAccess = try #require(harness.domain.sourceAccess(merchantID: DomainHarness.merchantA))
        #expect(productionAccess.environment == .production && productionAccess.allowedSources == ["203.0.113.0/24"])
        #expect(harness.domain.loginChannelID(merchantID: DomainHarness.merchantA) == "2000000100")
    }

    @Test("A channel can't be in both sandbox and production, nor with two merchants")
    func channelEnvironments() throws {
        var harness = DomainHarness()
        try harness.registerMerchant()
        try harness.registerMerchant(DomainHarness.merchantB)
        try harness.openSandbox()
        let sameForProduction = OpenEnvironmentCommand(merchantID: DomainHarness.merchantA, environment: .production, officialAccountID: "@shop",
                                                       loginChannelID: DomainHarness.loginA, linkedLoginChannelID: DomainHarness.loginA,
                                                       allowedSources: ["127.0.0.1"], eligibility: .specialApproval(reference: "SP-1", approvedBy: "R"))
        #expect(errorCode { try harness.domain.decide(sameForProduction) } == "channel_registered_in_other_environment")
        #expect(domainError { try harness.domain.decide(sameForProduction) }?.details.map(\.property) == ["loginChannelId"])
        #expect(errorCode { try harness.openSandbox(DomainHarness.merchantB, login: DomainHarness.loginA) } == "channel_registered_to_other_merchant")
        #expect(domainError { try harness.openSandbox(DomainHarness.merchantB, login: DomainHarness.loginA) }?.details.map(\.property) == ["loginChannelId"])
        // An Official Account belongs to one merchant.
        let borrowedAccount = OpenEnvironmentCommand(merchantID: DomainHarness.merchantB, environment: .sandbox, officialAccountID: "@test001",
                                                     loginChannelID: DomainHarness.loginB, linkedLoginChannelID: DomainHarness.loginB,
                                                     allowedSources: ["127.0.0.1"])
        #expect(errorCode { try harness.domain.decide(borrowedAccount) } == "official_account_registered_to_other_merchant")
        try harness.openSandbox(DomainHarness.merchantB, login: DomainHarness.loginB)
        #expect(harness.domain.merchant(DomainHarness.merchantB)?.status == .sandbox)
    }

    @Test("Suspension refuses grants but keeps reads and revocations; reinstatement restores")
    func suspension() throws {
        var (harness, scenario) = try DomainHarness.ready()
        try harness.commit(harness.domain.decide(harness.grant("o-1", 10, scenario: scenario), now: harness.now))
        try harness.commit(harness.domain.decide(merchantID: DomainHarness.merchantA, statusChange: .suspend, note: "unpaid invoice"))
        // A suspended merchant's requests are still checked against the environment it was in.
        #expect(harness.domain.sourceAccess(merchantID: DomainHarness.merchantA)?.environment == .sandbox)
        #expect(errorCode { try harness.domain.decide(harness.grant("o-2", 10, scenario: scenario), now: harness.now) } == "merchant_suspended")
        #expect(harness.domain.grant(merchantID: DomainHarness.merchantA, orderID: "o-1")?.points == 10)
        let revoke = RevokePointsCommand(merchantID: DomainHarness.merchantA, orderID: "o-1", revocationID: "r-1", points: 1, reason: "fraud",
                                         evidence: RevocationEvidenceInput(fraudKind: "point_theft", caseReference: "CASE-1"))
        #expect(try harness.domain.decide(revoke, now: harness.now).event != nil)
        try harness.commit(harness.domain.decide(merchantID: DomainHarness.merchantA, statusChange: .reinstate, note: "paid"))
        #expect(harness.domain.merchant(DomainHarness.merchantA)?.status == .sandbox)
        #expect(try harness.domain.decide(harness.grant("o-2", 10, scenario: scenario), now: harness.now).event != nil)
        try harness.commit(harness.domain.decide(merchantID: DomainHarness.merchantA, statusChange: .terminate, note: "contract ended"))
        #expect(errorCode { try harness.domain.decide(revoke, now: harness.now) } == "merchant_terminated")
        #expect(errorCode { try harness.domain.decide(harness.grant("o-3", 10, scenario: scenario), now: harness.now) } == "merchant_terminated")
        #expect(errorCode { try harness.domain.decide(merchantID: DomainHarness.merchantA, statusChange: .reinstate, note: "x") } == "merchant_status_conflict")
    }

    @Test("Allowlists must look like addresses or CIDR blocks")
    func allowlists() throws {
        var harness = DomainHarness()
        try harness.registerMerchant()
        try harness.openSandbox()
        let error = domainError { try harness.domain.decide(merchantID: DomainHarness.merchantA, environment: .sandbox, allowedSources: ["10.0.0.0/8", "example.com", "1.2.3.4/5/6"]) }
        #expect(error?.details.map(\.property) == ["allowedSources[1]", "allowedSources[2]"])
        #expect(errorCode { try harness.domain.decide(merchantID: DomainHarness.merchantA, environment: .production, allowedSources: ["10.0.0.1"]) } == "environment_not_open")
        try harness.commit(harness.domain.decide(merchantID: DomainHarness.merchantA, environment: .sandbox, allowedSources: ["10.0.0.0/8", "::1"]))
        #expect(harness.domain.merchant(DomainHarness.merchantA)?.sandbox?.allowedSources == ["10.0.0.0/8", "::1"])
    }
}
