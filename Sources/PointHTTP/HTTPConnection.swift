/// One client connection's state. Owned and touched only by the event loop thread.
final class HTTPConnection {
    enum State: Equatable {
        /// Reading (and parsing) the next request.
        case reading
        /// A request is with the handler; nothing is read until its response is written.
        case handling
        /// Writing a response.
        case writing
        /// The final response is written and the send side shut down; unread input is discarded
        /// until the peer closes or the linger deadline passes, so the response is not lost to a reset.
        case lingering
    }

    /// What to do when `deadline` passes.
    enum TimeoutAction: Equatable {
        case none
        case closeSilently
        case respondRequestTimeout(message: String)
    }

    /// At most this many bytes are discarded while lingering before the connection is closed.
    static let maxLingerBytes = 256 * 1024
    /// How long a lingering close waits for the peer.
    static let lingerNanoseconds: UInt64 = 2_000_000_000

    let id: UInt64
    let descriptor: Int32
    let remoteAddress: String
    let remotePort: UInt16
    let acceptedAt: UInt64

    var parser: HTTPRequestParser
    /// False once the loop has closed the descriptor.
    var isOpen = true
    var state: State = .reading
    /// Bytes queued for the socket; `outbound[outboundOffset...]` is still unsent.
    var outbound: [UInt8] = []
    var outboundOffset = 0
    /// Requests handed to the handler on this connection.
    var requestsStarted = 0
    /// Whether the connection closes once `outbound` is flushed.
    var closeAfterWrite = false
    /// Interest bits currently registered with epoll.
    var registeredInterest: Epoll.Events
    var deadline: UInt64 = .max
    var timeoutAction: TimeoutAction = .none
    /// The parser phase last seen, and when it began (for header/body/idle timeouts).
    var observedPhase: HTTPParsePhase = .idle
    var phaseStartedAt: UInt64
    /// When the connection last became idle (accept, or the end of its last request), and how
    /// many requests had started then: empty lines consumed before a request leave it idle since
    /// then, so trickling CR and LF can't restart the idle time.
    var idleSince: (time: UInt64, requestsStarted: Int)
    var lingeredBytes = 0
    /// Input arrived while the connection was not reading (handling or writing): readable
    /// interest is off until it reads again.
    var inputWaiting = false
    /// True while the loop is parsing this connection's buffered requests (see `parseBuffered`).
    var isParsing = false

    /// The request currently with the handler (for the response and metrics).
    var inFlightMethod: HTTPMethod?
    var inFlightPath: String?
    var inFlightBodyBytes = 0
    var inFlightStartedAt: UInt64 = 0
    var inFlightKeepAlive = false

    init(id: UInt64, descriptor: Int32, remoteAddress: String, remotePort: UInt16,
         limits: HTTPServerLimits, now: UInt64, registeredInterest: Epoll.Events) {
        self.id = id
        self.descriptor = descriptor
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
        self.acceptedAt = now
        self.phaseStartedAt = now
        self.idleSince = (now, 0)
        self.parser = HTTPRequestParser(limits: limits)
        self.registeredInterest = registeredInterest
    }

    var hasUnsentOutput: Bool { outboundOffset < outbound.count }

    /// Whether nothing of a request is buffered or being served (safe to close on shutdown).
    var isIdle: Bool { state == .reading && parser.phase == .idle && !hasUnsentOutput }

    /// Recomputes the reading deadline from the parser's phase:
    /// idle → idle timeout (fresh connections: header timeout), head → header timeout measured
    /// from the head's first byte (from accept on a fresh connection), body → body timeout.
    func refreshReadingDeadline(now: UInt64, limits: HTTPServerLimits) {
        let phase = parser.phase
        if phase != observedPhase {
            observedPhase = phase
            if phase == .idle && idleSince.requestsStarted == requestsStarted {
                // Back to idle with no request since (only empty lines were read): still idle
                // since then. Otherwise a client sending CR, then LF, then CR… one byte before each
                // deadline would hold the connection forever.
                phaseStartedAt = idleSince.time
            } else {
                phaseStartedAt = (phase == .head && requestsStarted == 0) ? acceptedAt : now
                if phase == .idle { idleSince = (now, requestsStarted) }
            }
        }
        switch phase {
        case .idle:
            let timeout = requestsStarted == 0 ? limits.headerTimeout : limits.idleTimeout
            setDeadline(after: timeout, from: phaseStartedAt, action: .closeSilently)
        case .head:
            setDeadline(after: limits.headerTimeout, from: phaseStartedAt,
                        action: .respondRequestTimeout(message: "request head not received in time"))
        case .body:
            setDeadline(after: limits.bodyTimeout, from: phaseStartedAt,
                        action: .respondRequestTimeout(message: "request body not received in time"))
        }
    }

    /// The last response is sent: the connection is idle from `now`.
    func becameIdle(now: UInt64) {
        observedPhase = .idle
        phaseStartedAt = now
        idleSince = (now, requestsStarted)
    }

    func setDeadline(after duration: Duration, from start: UInt64, action: TimeoutAction) {
        let (sum, overflow) = start.addingReportingOverflow(duration.clampedNanoseconds)
        deadline = overflow ? .max : sum
        timeoutAction = action
    }

    func clearDeadline() {
        deadline = .max
        timeoutAction = .none
    }

    /// Drops sent bytes, releasing storage that grew past `retainedCapacity`.
    func resetOutbound(retainedCapacity: Int) {
        if outbound.capacity > retainedCapacity {
            outbound = []
        } else {
            outbound.removeAll(keepingCapacity: true)
        }
        outboundOffset = 0
    }
}
