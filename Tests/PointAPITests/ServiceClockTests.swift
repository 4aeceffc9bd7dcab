import Testing
import PointCore
@testable import PointAPI

@Suite("Service clock")
struct ServiceClockTests {
    static let newest: Int64 = 1_798_761_600_000_000   // 2027-01-01T00:00:00Z

    @Test("a clock behind the ledger's newest record by more than a second is warned about, naming both times and what to do")
    func behindLedgerInProduction() throws {
        let now = Self.newest - 86_400_000_000
        let message = try #require(ServiceClock.behindLedgerMessage(lastRecord: Self.newest, now: now, dataDirectory: "/srv/pc",
                                                                    overridden: false))
        #expect(message.hasPrefix("pointconnect: warning: the ledger in /srv/pc already runs to 2027-01-01T00:00:00.000000Z"))
        #expect(message.contains("this host's clock (2026-12-31T00:00:00.000000Z)"))
        #expect(message.contains("later billing month") && message.contains("NTP"))
    }

    @Test("the sandbox's --now behind the ledger gets the sandbox note instead")
    func behindLedgerInSandbox() throws {
        let message = try #require(ServiceClock.behindLedgerMessage(lastRecord: Self.newest, now: Self.newest - 5_000_000,
                                                                    dataDirectory: "sandbox/data", overridden: true))
        #expect(message.hasPrefix("pointconnect: note: the ledger in sandbox/data already runs to"))
        #expect(message.contains("--now") && message.contains("fresh --data-dir") && !message.contains("NTP"))
    }

    @Test("no message when the clock is at most a second behind, level or ahead", arguments: [Int64(-1_000_000), 0, 3_600_000_000])
    func notBehind(_ offset: Int64) {
        #expect(ServiceClock.behindLedgerMessage(lastRecord: Self.newest, now: Self.newest + offset, dataDirectory: "d", overridden: false) == nil)
        #expect(ServiceClock.behindLedgerMessage(lastRecord: Self.newest, now: Self.newest + offset, dataDirectory: "d", overridden: true) == nil)
    }
}
