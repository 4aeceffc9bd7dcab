import Glibc
import PointHTTP
import Testing

@Suite struct DescriptorBudgetTests {
    @Test func connectionsLeaveTheReserveFree() {
        #expect(DescriptorBudget.connectionsThatFit(1_091, eventLoops: 1) == 1_024)
        #expect(DescriptorBudget.connectionsThatFit(1_088 + 3 * 16, eventLoops: 16) == 1_024, "each loop holds an epoll and a pipe")
        #expect(DescriptorBudget.connectionsThatFit(128, eventLoops: 2) == 128 - DescriptorBudget.reserved - 6)
        #expect(DescriptorBudget.connectionsThatFit(10, eventLoops: 1) == 1, "at least one connection")
    }

    @Test func theSoftLimitIsRaisedWithinTheHardLimitAndNeverLowered() {
        var before = rlimit()
        #expect(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &before) == 0)
        let current = Int(clamping: before.rlim_cur)
        let hard = Int(clamping: before.rlim_max)
        #expect(DescriptorBudget.raiseSoftLimit(toCover: 1) == current, "a smaller need lowers nothing")
        let raised = DescriptorBudget.raiseSoftLimit(toCover: current + 16)
        #expect(raised == min(current + 16, hard))
        var after = rlimit()
        #expect(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &after) == 0)
        #expect(Int(clamping: after.rlim_cur) == raised && after.rlim_max == before.rlim_max)
    }
}
