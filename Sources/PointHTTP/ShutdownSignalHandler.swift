import Dispatch
import Glibc

/// Keeps signal sources alive that call `HTTPServer.shutdown()`; call `cancel()` (or drop it)
/// to restore the default signal disposition.
///
/// `@unchecked Sendable`: `sources` is immutable after init, and DispatchSource's `cancel()` is
/// thread-safe.
public final class ShutdownSignalHandler: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let signals: [Int32]

    init(signals: [Int32], queue: DispatchQueue, action: @escaping @Sendable () -> Void) {
        self.signals = signals
        self.sources = signals.map { signalNumber in
            // The default disposition would kill the process before the source sees the signal.
            _ = signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler(handler: action)
            source.resume()
            return source
        }
    }

    /// Stops handling the signals and restores their default disposition.
    public func cancel() {
        for source in sources where !source.isCancelled { source.cancel() }
        for signalNumber in signals { _ = signal(signalNumber, SIG_DFL) }
    }

    deinit {
        cancel()
    }
}

extension HTTPServer {
    /// Calls `shutdown()` when one of `signals` (default SIGTERM and SIGINT) arrives.
    /// Keep the returned handler alive for as long as the signals should be handled.
    public func installShutdownSignalHandlers(
        _ signals: [Int32] = [SIGTERM, SIGINT], queue: DispatchQueue = .global()
    ) -> ShutdownSignalHandler {
        ShutdownSignalHandler(signals: signals, queue: queue) { [weak self] in self?.shutdown() }
    }
}
