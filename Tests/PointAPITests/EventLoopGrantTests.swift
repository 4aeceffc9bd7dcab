import Foundation
import PointAPI
import PointCore
import PointHTTP
import PointJSON
import PointLedger
import Synchronization
import Testing

/// Single grants are decided on the HTTP server's event loop and answered from the ledger's
/// commit; these tests drive `answerOnEventLoop` as the loop does.
@Suite("Grants answered on the event loop")
struct EventLoopGrantTests {
    /// Responses sent through a responder, in order.
    final class Sent: Sendable {
        private let responses = Mutex<[HTTPResponse]>([])
        var all: [HTTPResponse] { responses.withLock { $0 } }
        var responder: HTTPResponder { HTTPResponder { response in self.responses.withLock { $0.append(response) } } }
    }

    private func grantRequest(_ api: APIHarness, order: String, points: Int64 = 100) -> HTTPRequest {
        let merchant = api.merchantA
        let body: JSONValue = ["orderId": .string(order), "memberId": "m-1", "scenarioId": .string(api.scenarioID(merchant, purpose: "purchase_cashback")),
                               "points": .int(points)]
        return APIHarness.request(.post, "/v1/grants", body: CanonicalJSON.encode(body), key: merchant.channelID, secret: merchant.channelSecret)
    }

    @Test("A grant taken on the loop is answered only once its record is durable, and a resend through a Task answers the same grant")
    func answeredOnlyWhenDurable() async throws {
        let disk = SyncHoldingFileSystem()
        let api = try await APIHarness(fileSystem: disk)
        defer { api.close() }
        #expect(await api.bind(api.merchantA, member: "m-1", user: 1).status == 201)
        let sent = Sent()
        let ledger = api.application.service.ledger
        disk.hold()
        let answer = api.application.answerOnEventLoop(grantRequest(api, order: "o-loop"), responder: sent.responder)
        guard case .willSend = answer else {
            Issue.record("a grant should be answered from the commit, got \(answer)")
            disk.release()
            return
        }
        for _ in 0..<1_000 where disk.heldSyncs == 0 { try await Task.sleep(for: .milliseconds(2)) }
        try await Task.sleep(for: .milliseconds(50))
        #expect(sent.all.isEmpty, "answered before the record was durable")
        #expect(ledger.durableSeq < ledger.enqueuedSeq)
        disk.release()
        for _ in 0..<1_000 where sent.all.isEmpty { try await Task.sleep(for: .milliseconds(2)) }
        let response = try #require(sent.all.first)
        #expect(sent.all.count == 1)
        #expect(response.status.code == 201)
        #expect(response.headers["X-Line-Request-Id"] != nil)
        let body = try JSONParser.parse(response.body)
        let seq = try #require(body["receipt"]?["seq"]?.intValue)
        #expect(UInt64(seq) <= ledger.durableSeq)
        #expect(body["grant"]?["orderId"]?.stringValue == "o-loop")
        #expect(api.logs.contains { $0.contains(#""route":"/v1/grants""#) && $0.contains(#""method":"POST""#) && $0.contains(#""status":201"#) })

        // The same request through `handle` (the Task path): the same grant, as a replay.
        let resent = await api.application.handle(grantRequest(api, order: "o-loop"))
        #expect(resent.status.code == 200)
        #expect(resent.headers["Idempotent-Replay"] == "true")
        let resentBody = try JSONParser.parse(resent.body)
        #expect(resentBody["grant"] == body["grant"])
        #expect(resentBody["receipt"]?["seq"]?.intValue == seq)
    }

    @Test("Request log lines given a line output are written there in place, one whole JSON line per answer, and not to the general log")
    func requestLinesWrittenInPlace() async throws {
        /// Keeps each line, written after a prefix of its own.
        final class PrefixedLines: RequestLineSink {
            let lines = Mutex<[[UInt8]]>([])
            func appendLine(writing write: (inout [UInt8]) -> Void) {
                var line = Array("prefix:".utf8)
                write(&line)
                lines.withLock { $0.append(line) }
            }
        }
        let sink = PrefixedLines()
        let api = try await APIHarness(requestLines: sink)
        defer { api.close() }
        #expect(await api.bind(api.merchantA, member: "m-1", user: 1).status == 201)
        let sent = Sent()
        guard case .willSend = api.application.answerOnEventLoop(grantRequest(api, order: "o-line"), responder: sent.responder) else {
            Issue.record("a grant should be answered from the commit")
            return
        }
        for _ in 0..<1_000 where sent.all.isEmpty { try await Task.sleep(for: .milliseconds(2)) }
        let response = try #require(sent.all.first)
        let written = sink.lines.withLock { $0 }
        #expect(written.count == 2, "the binding's line and the grant's")
        let last = try #require(written.last)
        #expect(last.starts(with: Array("prefix:".utf8)), "appended after what the output holds")
        let line = try JSONParser.parse(Array(last.dropFirst("prefix:".utf8.count)))
        #expect(line["requestId"]?.stringValue == response.headers["X-Line-Request-Id"])
        #expect(line["route"]?.stringValue == "/v1/grants" && line["method"]?.stringValue == "POST" && line["status"]?.intValue == 201)
        #expect(line["keyId"]?.stringValue == api.merchantA.channelID)
        #expect(!api.logs.contains { $0.contains(#""route":"#) }, "request lines go only to the line output")
    }

    @Test("While a revocation waits for the disk, reads show the grant without it, and a resent grant is answered only once it is durable, showing it")
    func pendingRevocationsStayInvisibleUntilDurable() async throws {
        let disk = SyncHoldingFileSystem()
        let api = try await APIHarness(fileSystem: disk)
        defer { api.close() }
        let merchant = api.merchantA
        #expect(await api.bind(merchant, member: "m-1", user: 1).status == 201)
        let granted = await api.send(.post, "/v1/grants", raw: grantRequest(api, order: "o-rev").body, key: merchant.channelID, secret: merchant.channelSecret)
        #expect(granted.status == 201)
        let grantedAt = granted.body["grant"]?["grantedAt"]?.stringValue ?? ""
        disk.hold()
        let revocation = Task {
            await api.asMerchant(merchant, .post, "/v1/grants/o-rev/revocations", json: [
                "revocationId": "r-1", "points": 30, "reason": "mistaken_issuance",
                "evidence": ["notifiedAt": .string(grantedAt), "channel": "line_message", "message": "30 points were granted by mistake."],
            ])
        }
        let ledger = api.application.service.ledger
        for _ in 0..<1_000 where ledger.enqueuedSeq == ledger.durableSeq { try await Task.sleep(for: .milliseconds(2)) }
        #expect(ledger.enqueuedSeq > ledger.durableSeq, "the revocation is queued, not durable")

        let read = await api.asMerchant(merchant, .get, "/v1/grants/o-rev")
        #expect(read.status == 200)
        #expect(read.body["grant"]?["revokedPoints"]?.intValue == 0, "\(read.body)")
        #expect(read.body["grant"]?["remainingPoints"]?.intValue == 100)
        #expect(read.body["revocations"]?.arrayValue?.isEmpty == true)
        let listed = await api.asMerchant(merchant, .get, "/v1/grants?memberId=m-1")
        #expect(listed.body["grants"]?.arrayValue?.first?["revokedPoints"]?.intValue == 0, "\(listed.body)")

        let sent = Sent()
        guard case .willSend = api.application.answerOnEventLoop(grantRequest(api, order: "o-rev"), responder: sent.responder) else {
            Issue.record("a resent grant should be answered from the commit")
            disk.release()
            return
        }
        try await Task.sleep(for: .milliseconds(50))
        #expect(sent.all.isEmpty, "the resend was answered while the revocation it shows was not durable")
        disk.release()
        #expect(await revocation.value.status == 201)
        for _ in 0..<1_000 where sent.all.isEmpty { try await Task.sleep(for: .milliseconds(2)) }
        let replay = try JSONParser.parse(try #require(sent.all.first).body)
        #expect(replay["replay"] == true)
        #expect(replay["grant"]?["revokedPoints"]?.intValue == 30)
        #expect(await api.asMerchant(merchant, .get, "/v1/grants/o-rev").body["grant"]?["revokedPoints"]?.intValue == 30)
    }

    @Test("A refused grant is answered at once on the loop and writes nothing; other writes go to a Task")
    func refusalsAtOnceAndOtherWritesInTasks() async throws {
        let api = try await APIHarness()
        defer { api.close() }
        let ledger = api.application.service.ledger
        let before = ledger.enqueuedSeq
        let sent = Sent()
        // No member m-1 is bound yet.
        guard case .answered(let refused) = api.application.answerOnEventLoop(grantRequest(api, order: "o-1"), responder: sent.responder) else {
            Issue.record("a refusal should be answered at once")
            return
        }
        #expect(refused.status.code == 404 || refused.status.code == 422, "\(String(decoding: refused.body, as: UTF8.self))")
        #expect(ledger.enqueuedSeq == before)
        guard case .answered(let unsigned) = api.application.answerOnEventLoop(
            APIHarness.request(.post, "/v1/grants", body: Array("{}".utf8), key: nil, secret: nil), responder: sent.responder) else {
            Issue.record("an unsigned grant should be refused at once")
            return
        }
        #expect(unsigned.status.code == 401)
        guard case .answered(let health) = api.application.answerOnEventLoop(
            APIHarness.request(.get, "/healthz", body: [], key: nil, secret: nil), responder: sent.responder) else {
            Issue.record("health should be answered at once")
            return
        }
        #expect(health.status.code == 200)
        let merchant = api.merchantA
        let batch = APIHarness.request(.post, "/v1/grants/batch", body: Array(#"{"grants":[]}"#.utf8), key: merchant.channelID, secret: merchant.channelSecret)
        guard case .runInTask = api.application.answerOnEventLoop(batch, responder: sent.responder) else {
            Issue.record("a batch should run in a Task")
            return
        }
        #expect(sent.all.isEmpty)
    }
}
