import Glibc

/// One epoll loop of a server's ``EventLoopGroup``: reads and parses requests on its connections,
/// offers each complete request to the handler on this thread (or hands it to a Task), writes
/// responses, and enforces every timeout by a periodic sweep. The group's first loop also
/// accepts connections and hands them to the loops in turn.
///
/// `@unchecked Sendable` because the instance is handed to the loop thread once (by
/// `HTTPServer.start`) and, from then on, all mutable state is touched only on that thread; the
/// members other threads use, `mailbox` and `group`, are themselves `Sendable`.
final class EventLoop: @unchecked Sendable {
    static let wakeToken: UInt64 = 0
    static let listenerToken: UInt64 = 1
    /// How often deadlines are checked; also the longest `epoll_wait` sleep.
    static let sweepIntervalNanoseconds: UInt64 = 50_000_000
    /// Most events taken from one `epoll_wait`, and most connections accepted per wake-up.
    static let eventBatchSize = 64
    /// Outbound buffers that grew past this (large responses) are released after use.
    static let retainedOutboundCapacity = 64 * 1024

    let mailbox: EventLoopMailbox
    /// This loop's place in `group.mailboxes`.
    private let index: Int
    private let group: EventLoopGroup
    /// The loop the next accepted connection goes to (the accepting loop only).
    private var nextLoopForConnection = 0
    private let epoll: Epoll
    private var listenDescriptor: Int32
    private let limits: HTTPServerLimits
    private let handler: any HTTPHandler
    private let observer: (any HTTPServerObserver)?
    private let onStopped: @Sendable () -> Void

    private var connections: [UInt64: HTTPConnection] = [:]
    private var nextConnectionID: UInt64 = 2
    private let readBuffer: UnsafeMutableRawBufferPointer
    private var draining = false
    private var drainDeadline: UInt64 = .max
    private var acceptPaused = false
    private var nextSweep: UInt64 = 0
    /// A descriptor held in reserve (on /dev/null) by the accepting loop: when the process runs
    /// out (EMFILE), it is given up to accept a waiting client and answer it 503, then taken back.
    private var spareDescriptor: Int32 = -1

    /// Registers the loop's mailbox (`group.mailboxes[index]`) and, for the accepting loop, the
    /// listening socket (`listenDescriptor` ≥ 0) with a new epoll instance.
    init(index: Int, group: EventLoopGroup, listenDescriptor: Int32, limits: HTTPServerLimits, handler: any HTTPHandler,
         observer: (any HTTPServerObserver)?, onStopped: @escaping @Sendable () -> Void) throws(HTTPServerError) {
        let epoll = try Epoll()
        let mailbox = group.mailboxes[index]
        var status = epoll.add(mailbox.wakeDescriptor, interest: .readable, token: EventLoop.wakeToken)
        if status == 0 && listenDescriptor >= 0 {
            status = epoll.add(listenDescriptor, interest: .readable, token: EventLoop.listenerToken)
        }
        guard status == 0 else { throw .eventLoopSetupFailed(errno: -status) }
        self.epoll = epoll
        self.listenDescriptor = listenDescriptor
        self.mailbox = mailbox
        self.index = index
        self.group = group
        if listenDescriptor >= 0 { spareDescriptor = EventLoop.openSpare() }
        self.limits = limits
        self.handler = handler
        self.observer = observer
        self.onStopped = onStopped
        self.readBuffer = .allocate(byteCount: max(512, limits.readChunkBytes), alignment: 16)
    }

    deinit {
        readBuffer.deallocate()
        if spareDescriptor >= 0 { SocketCalls.close(spareDescriptor) }
    }

    // MARK: Loop

    /// Runs until a requested shutdown has drained every connection. Loop thread only.
    func run() {
        var events = EpollEventBuffer(capacity: EventLoop.eventBatchSize)
        while true {
            if draining && connections.isEmpty && group.hasStoppedAccepting {
                // A connection handed over before the accepting loop stopped may still wait in the
                // mailbox: it is served (its request answered, with close) before this loop leaves.
                drainMailbox(now: SocketCalls.monotonicNanoseconds())
                if connections.isEmpty { break }
            }
            let timeoutMilliseconds = Int32(EventLoop.sweepIntervalNanoseconds / 1_000_000)
            let count = epoll.wait(into: &events, timeoutMilliseconds: timeoutMilliseconds)
            if count < 0 { break }
            let now = SocketCalls.monotonicNanoseconds()
            for index in 0..<count {
                let event = events.event(at: index)
                switch event.token {
                case EventLoop.wakeToken: drainMailbox(now: now)
                case EventLoop.listenerToken: acceptConnections(now: now)
                default: connectionEvent(id: event.token, events: event.events, now: now)
                }
            }
            if now >= nextSweep {
                sweep(now: now)
                nextSweep = now + EventLoop.sweepIntervalNanoseconds
            }
        }
        for connection in Array(connections.values) { close(connection) }
        stopListening()
        if spareDescriptor >= 0 {
            SocketCalls.close(spareDescriptor)
            spareDescriptor = -1
        }
        let untaken = mailbox.close()
        for connection in untaken.connections { closeUnserved(connection.descriptor) }
        // Answers to connections already gone are still made: making one logs and counts it.
        for delivery in untaken.deliveries { _ = delivery.response }
        onStopped()
    }

    private static func openSpare() -> Int32 {
        open("/dev/null", O_RDONLY | O_CLOEXEC)
    }

    /// Out of descriptors: frees the spare to accept one waiting client, answers it 503 and
    /// takes the spare back. Returns false when there was no spare or no client waiting.
    private func shedOneWithSpareDescriptor() -> Bool {
        guard spareDescriptor >= 0, listenDescriptor >= 0 else { return false }
        SocketCalls.close(spareDescriptor)
        spareDescriptor = -1
        defer { spareDescriptor = EventLoop.openSpare() }
        guard case .success(let accepted) = SocketCalls.accept(listenDescriptor) else { return false }
        refuseOverCapacity(accepted.descriptor)
        return true
    }

    private func drainMailbox(now: UInt64) {
        let posts = mailbox.takeAll()
        if posts.shutdownRequested { beginDraining(now: now) }
        // A connection handed over while this loop drains is still served: the accepting loop may
        // not have stopped yet, and its client may have sent a request (answered with close).
        for handedOver in posts.connections {
            serve(handedOver.descriptor, remoteAddress: handedOver.remoteAddress, port: handedOver.remotePort, now: now)
        }
        for delivery in posts.deliveries {
            guard let connection = connections[delivery.connectionID], connection.state == .handling else {
                // The connection is gone; the answer is still made (making it logs and counts it).
                _ = delivery.response
                continue
            }
            respond(connection, with: delivery.response, now: now)
            syncInterest(connection)
        }
    }

    private func beginDraining(now: UInt64) {
        guard !draining else { return }
        draining = true
        let (deadline, overflow) = now.addingReportingOverflow(limits.drainTimeout.clampedNanoseconds)
        drainDeadline = overflow ? .max : deadline
        stopListening()
        for connection in Array(connections.values) where connection.isIdle {
            close(connection)
        }
    }

    private func stopListening() {
        defer { if index == 0 { group.stopAccepting() } }
        guard listenDescriptor >= 0 else { return }
        _ = epoll.remove(listenDescriptor)
        SocketCalls.close(listenDescriptor)
        listenDescriptor = -1
    }

    /// Enforces deadlines: timeouts, lingering closes, the drain limit, and resumes accepting.
    private func sweep(now: UInt64) {
        if acceptPaused && listenDescriptor >= 0 {
            acceptPaused = false
            _ = epoll.modify(listenDescriptor, interest: .readable, token: EventLoop.listenerToken)
        }
        if draining && now >= drainDeadline {
            for connection in Array(connections.values) { close(connection) }
            return
        }
        let expired = connections.values.filter { $0.deadline <= now }
        for connection in expired {
            switch connection.timeoutAction {
            case .none, .closeSilently:
                close(connection)
            case .respondRequestTimeout(let message):
                fail(connection, with: .requestTimeout(message), now: now)
                syncInterest(connection)
            }
        }
    }

    // MARK: Accepting

    private func acceptConnections(now: UInt64) {
        for _ in 0..<EventLoop.eventBatchSize {
            guard listenDescriptor >= 0 else { return }
            let descriptor: Int32
            let remoteAddress: String
            let port: UInt16
            switch SocketCalls.accept(listenDescriptor) {
            case .success(let accepted): (descriptor, remoteAddress, port) = accepted
            case .failure(let error) where error.code == EAGAIN || error.code == EWOULDBLOCK: return
            case .failure(let error) where error.code == EINTR || error.code == ECONNABORTED: continue
            case .failure(let error) where (error.code == EMFILE || error.code == ENFILE) && shedOneWithSpareDescriptor():
                // A waiting client was answered 503 instead of left in the backlog.
                continue
            case .failure:
                // Out of descriptors (EMFILE/ENFILE) or similar: stop polling the listener until
                // the next sweep instead of spinning on a level-triggered event.
                acceptPaused = true
                _ = epoll.modify(listenDescriptor, interest: [], token: EventLoop.listenerToken)
                return
            }
            guard group.admitConnection(limit: limits.maxConnections) else {
                refuseOverCapacity(descriptor)
                continue
            }
            let target = nextLoopForConnection
            nextLoopForConnection = (target + 1) % group.mailboxes.count
            let handedOver = EventLoopMailbox.HandedOverConnection(descriptor: descriptor, remoteAddress: remoteAddress, remotePort: port)
            // A loop that has already stopped (during a shutdown) takes nothing: serve it here.
            if target == index || !group.mailboxes[target].handOver(handedOver) {
                serve(descriptor, remoteAddress: remoteAddress, port: port, now: now)
            }
        }
    }

    /// Starts serving an accepted connection, already counted in the group's open connections.
    private func serve(_ descriptor: Int32, remoteAddress: String, port: UInt16, now: UInt64) {
        let id = nextConnectionID
        nextConnectionID += 1
        guard epoll.add(descriptor, interest: .readable, token: id) == 0 else {
            closeUnserved(descriptor)
            return
        }
        let connection = HTTPConnection(
            id: id, descriptor: descriptor, remoteAddress: remoteAddress, remotePort: port,
            limits: limits, now: now, registeredInterest: .readable)
        connection.refreshReadingDeadline(now: now, limits: limits)
        connections[id] = connection
    }

    /// Closes a counted connection that was never served (a draining loop's, a failed registration's).
    private func closeUnserved(_ descriptor: Int32) {
        SocketCalls.close(descriptor)
        group.connectionClosed()
    }

    /// Best-effort 503 on a connection over the limit, written without blocking, then closed.
    private func refuseOverCapacity(_ descriptor: Int32) {
        var bytes: [UInt8] = []
        let error = HTTPRequestError.serviceUnavailable
        var response = error.response
        handler.decorateGeneratedResponse(&response)
        HTTPResponseSerializer.append(response, forHead: false, keepAlive: false, to: &bytes)
        _ = bytes.withUnsafeBytes { raw in raw.baseAddress.map { SocketCalls.send(descriptor, $0, raw.count) } }
        _ = SocketCalls.shutdownWrite(descriptor)
        _ = SocketCalls.receive(descriptor, into: readBuffer)
        SocketCalls.close(descriptor)
        observer?.requestCompleted(HTTPRequestMetrics(
            method: nil, path: nil, status: error.status.code, latency: .zero,
            requestBodyBytes: 0, responseBodyBytes: 0))
    }

    // MARK: Connection I/O

    private func connectionEvent(id: UInt64, events: Epoll.Events, now: UInt64) {
        guard let connection = connections[id] else { return }
        if !events.isDisjoint(with: [.error, .hangup]) {
            close(connection)
            return
        }
        if !events.isDisjoint(with: .readable) && connection.state != .reading && connection.state != .lingering {
            // Input while a request is handled or its answer written: stop polling for it (it
            // is read once the answer is out), or the level-triggered event would repeat.
            connection.inputWaiting = true
        }
        if events.contains(.writable) {
            flush(connection, now: now)
        }
        if !events.isDisjoint(with: .readable), connections[id] != nil {
            readAvailable(connection, now: now)
        }
        if connections[id] != nil { syncInterest(connection) }
    }

    private func readAvailable(_ connection: HTTPConnection, now: UInt64) {
        guard connection.state == .reading || connection.state == .lingering else { return }
        let received = SocketCalls.receive(connection.descriptor, into: readBuffer)
        if received == -EAGAIN || received == -EWOULDBLOCK || received == -EINTR { return }
        guard received > 0 else {
            close(connection)  // End of stream or a socket error.
            return
        }
        if connection.state == .lingering {
            connection.lingeredBytes += received
            if connection.lingeredBytes > HTTPConnection.maxLingerBytes { close(connection) }
            return
        }
        connection.parser.append(UnsafeRawBufferPointer(rebasing: readBuffer[0..<received]))
        parseBuffered(connection, now: now)
    }

    /// Advances the parser over buffered bytes: answers 100-continue, starts a complete request,
    /// or refuses an invalid one.
    ///
    /// Requests answered on this thread write their response and come back here, so one pass
    /// serves every complete request buffered (a call made from inside a pass returns at once).
    private func parseBuffered(_ connection: HTTPConnection, now: UInt64) {
        guard !connection.isParsing else { return }
        connection.isParsing = true
        defer { connection.isParsing = false }
        while connection.isOpen && connection.state == .reading {
            switch connection.parser.next() {
            case .needMoreData:
                connection.refreshReadingDeadline(now: now, limits: limits)
                return
            case .continueRequested:
                connection.outbound.append(contentsOf: HTTPResponseSerializer.continueResponse)
                flush(connection, now: now)
            case .request(let head, let body):
                startHandling(connection, head: head, body: body, now: now)
            case .failure(let error):
                fail(connection, with: error, now: now)
                return
            }
        }
    }

    private func startHandling(_ connection: HTTPConnection, head: HTTPRequestHead, body: [UInt8], now: UInt64) {
        connection.requestsStarted += 1
        connection.state = .handling
        connection.clearDeadline()
        let request = HTTPRequest(
            method: head.method, target: head.target, version: head.version, headers: head.headers,
            body: body, remoteAddress: connection.remoteAddress, remotePort: connection.remotePort)
        connection.inFlightMethod = head.method
        connection.inFlightPath = request.path
        connection.inFlightBodyBytes = body.count
        connection.inFlightStartedAt = now
        connection.inFlightKeepAlive = head.keepAlive
            && connection.requestsStarted < limits.maxRequestsPerConnection
        let responder = HTTPResponder(mailbox: mailbox, connectionID: connection.id)
        switch handler.answerOnEventLoop(request, responder: responder) {
        case .answered(let response):
            respond(connection, with: response, now: SocketCalls.monotonicNanoseconds())
        case .willSend:
            break
        case .runInTask:
            let handler = self.handler
            Task {
                let response = await handler.handle(request)
                responder.send(response)
            }
        }
    }

    private func respond(_ connection: HTTPConnection, with handlerResponse: HTTPResponse, now: UInt64) {
        // Interim (1xx) statuses are the server's business; a handler must produce a final one.
        var response = handlerResponse
        if handlerResponse.status.code < 200 {
            response = HTTPResponse.error(status: .internalServerError, code: "internal_error",
                                          message: "the handler produced an interim status")
            handler.decorateGeneratedResponse(&response)
        }
        let keepAlive = connection.inFlightKeepAlive && !draining
            && !response.headers.containsToken("close", inFieldsNamed: "Connection")
        let bodyBytes = HTTPResponseSerializer.append(
            response, forHead: connection.inFlightMethod == .head, keepAlive: keepAlive, to: &connection.outbound)
        observer?.requestCompleted(HTTPRequestMetrics(
            method: connection.inFlightMethod, path: connection.inFlightPath, status: response.status.code,
            latency: .nanoseconds(Int64(clamping: now &- connection.inFlightStartedAt)),
            requestBodyBytes: connection.inFlightBodyBytes, responseBodyBytes: bodyBytes))
        connection.inFlightPath = nil
        connection.state = .writing
        connection.closeAfterWrite = !keepAlive
        connection.setDeadline(after: limits.writeTimeout, from: now, action: .closeSilently)
        flush(connection, now: now)
    }

    /// Sends a server-generated error and closes the connection once it is written.
    private func fail(_ connection: HTTPConnection, with error: HTTPRequestError, now: UInt64) {
        var response = error.response
        handler.decorateGeneratedResponse(&response)
        let bodyBytes = HTTPResponseSerializer.append(
            response, forHead: false, keepAlive: false, to: &connection.outbound)
        let waited = now >= connection.phaseStartedAt ? now - connection.phaseStartedAt : 0
        observer?.requestCompleted(HTTPRequestMetrics(
            method: nil, path: nil, status: error.status.code, latency: .nanoseconds(Int64(clamping: waited)),
            requestBodyBytes: 0, responseBodyBytes: bodyBytes))
        connection.state = .writing
        connection.closeAfterWrite = true
        connection.setDeadline(after: limits.writeTimeout, from: now, action: .closeSilently)
        flush(connection, now: now)
    }

    /// Writes as much queued output as the socket takes; finishes the response when all is sent.
    private func flush(_ connection: HTTPConnection, now: UInt64) {
        while connection.hasUnsentOutput {
            let sent = connection.outbound.withUnsafeBytes { bytes -> Int in
                guard let base = bytes.baseAddress else { return 0 }
                return SocketCalls.send(connection.descriptor, base + connection.outboundOffset,
                                        bytes.count - connection.outboundOffset)
            }
            if sent == -EAGAIN || sent == -EWOULDBLOCK { return }
            if sent == -EINTR { continue }
            guard sent > 0 else {
                close(connection)
                return
            }
            connection.outboundOffset += sent
        }
        connection.resetOutbound(retainedCapacity: EventLoop.retainedOutboundCapacity)
        guard connection.isOpen, connection.state == .writing else { return }
        if connection.closeAfterWrite {
            beginLingeringClose(connection, now: now)
            return
        }
        connection.state = .reading
        connection.becameIdle(now: now)
        // A keep-alive answer sent before the drain began finishes here: the connection is idle,
        // and a draining loop closes idle connections instead of waiting out the drain timeout.
        if draining && connection.isIdle {
            close(connection)
            return
        }
        parseBuffered(connection, now: now)
    }

    private func beginLingeringClose(_ connection: HTTPConnection, now: UInt64) {
        guard SocketCalls.shutdownWrite(connection.descriptor) == 0 else {
            close(connection)
            return
        }
        connection.state = .lingering
        connection.deadline = now + HTTPConnection.lingerNanoseconds
        connection.timeoutAction = .closeSilently
    }

    /// Registers the interest the connection's state needs with epoll. Readable interest stays
    /// while a request is handled until input actually arrives meanwhile, so the usual exchange
    /// (request, answer, next request) changes nothing with epoll.
    private func syncInterest(_ connection: HTTPConnection) {
        guard connection.isOpen else { return }
        var wanted: Epoll.Events = []
        if connection.state == .reading || connection.state == .lingering { connection.inputWaiting = false }
        if !connection.inputWaiting { wanted.insert(.readable) }
        if connection.hasUnsentOutput { wanted.insert(.writable) }
        guard wanted != connection.registeredInterest else { return }
        if epoll.modify(connection.descriptor, interest: wanted, token: connection.id) == 0 {
            connection.registeredInterest = wanted
        } else {
            close(connection)
        }
    }

    private func close(_ connection: HTTPConnection) {
        guard connections.removeValue(forKey: connection.id) != nil else { return }
        connection.isOpen = false
        _ = epoll.remove(connection.descriptor)
        SocketCalls.close(connection.descriptor)
        group.connectionClosed()
        if draining && connections.isEmpty { stopListening() }
    }
}
