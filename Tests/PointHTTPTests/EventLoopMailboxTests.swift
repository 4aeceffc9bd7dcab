import Glibc
@testable import PointHTTP
import Testing

@Suite("Event loop mailbox")
struct EventLoopMailboxTests {
    /// Bytes waiting in the mailbox's wake pipe (drained).
    private func wakeBytes(_ mailbox: EventLoopMailbox) -> Int {
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { read(mailbox.wakeDescriptor, $0.baseAddress, $0.count) }
        return max(count, 0)
    }

    @Test("Deliveries queued before the loop takes them share one wake-up; none is lost")
    func deliveriesShareOneWakeUp() throws {
        let mailbox = try EventLoopMailbox()
        defer { _ = mailbox.close() }
        for id in 1...3 { mailbox.deliver(EventLoopMailbox.Delivery(connectionID: UInt64(id), content: .response(.text("\(id)")))) }
        #expect(wakeBytes(mailbox) == 1)
        let taken = mailbox.takeAll()
        #expect(taken.deliveries.map(\.connectionID) == [1, 2, 3])
        // After the loop took the queue, the next delivery wakes it again.
        mailbox.deliver(EventLoopMailbox.Delivery(connectionID: 4, content: .response(.text("4"))))
        #expect(wakeBytes(mailbox) == 1)
        #expect(mailbox.takeAll().deliveries.map(\.connectionID) == [4])
        // A shutdown request always wakes it.
        mailbox.requestShutdown()
        #expect(wakeBytes(mailbox) == 1)
        #expect(mailbox.takeAll().shutdownRequested)
    }
}
