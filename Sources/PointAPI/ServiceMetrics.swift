import PointHTTP
import PointLedger
import Synchronization

/// The service's Prometheus metrics: requests by route and status, request latency by route,
/// ledger group commits (records per commit, write and fdatasync latency), open connections.
///
/// It is the HTTP server's observer (connections) and the ledger's commit observer, so every
/// figure is counted where it happens; label sets are bounded by the route table.
public final class ServiceMetrics: HTTPServerObserver, Sendable {
    /// The registry rendered at `GET /metrics`.
    public let registry = MetricsRegistry()
    let requests: CounterFamily
    let requestLatency: HistogramFamily
    let openConnections: Gauge
    let commitRecords: Histogram
    let commitWriteSeconds: Histogram
    let commitSyncSeconds: Histogram
    let durableSeq: Gauge
    let recordsWritten: Counter
    let batchItems: Histogram

    /// Items-per-request buckets for grant batches (at most 1,000 items).
    static let batchItemBuckets: [Double] = [1, 10, 50, 100, 250, 500, 1_000]

    /// Records-per-commit buckets: group commit sizes from one record to full batches.
    static let batchBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1_024, 4_096, 16_384]

    public init() {
        do {
            requests = try registry.counter("pointconnect_http_requests_total", help: "HTTP requests answered, by route and status.",
                                            labelNames: ["method", "route", "status"], maxSeries: 2_000)
            requestLatency = try registry.histogram("pointconnect_http_request_duration_seconds", help: "Time from parsed request to response, by route.",
                                                    labelNames: ["method", "route"], buckets: MetricsRegistry.latencyBucketsSeconds, maxSeries: 200)
            openConnections = try registry.gauge("pointconnect_http_open_connections", help: "Client connections currently open.").labels([])
            commitRecords = try registry.histogram("pointconnect_ledger_commit_records", help: "Records made durable by one group commit.",
                                                   buckets: Self.batchBuckets).labels([])
            commitWriteSeconds = try registry.histogram("pointconnect_ledger_write_duration_seconds", help: "Time of one group commit's write.",
                                                        buckets: MetricsRegistry.latencyBucketsSeconds).labels([])
            commitSyncSeconds = try registry.histogram("pointconnect_ledger_fsync_duration_seconds", help: "Time of one group commit's fdatasync.",
                                                       buckets: MetricsRegistry.latencyBucketsSeconds).labels([])
            durableSeq = try registry.gauge("pointconnect_ledger_durable_seq", help: "Seq of the last durable ledger record.").labels([])
            recordsWritten = try registry.counter("pointconnect_ledger_records_total", help: "Ledger records made durable since start.").labels([])
            batchItems = try registry.histogram("pointconnect_grant_batch_items", help: "Items in one answered grant batch request.",
                                                buckets: Self.batchItemBuckets).labels([])
        } catch {
            // The names above are fixed and distinct; registration cannot fail.
            preconditionFailure("metric registration: \(error)")
        }
    }

    /// Counts one answered API request.
    public func requestAnswered(method: String, route: String, status: Int, seconds: Double) {
        let key = RequestSeriesKey(method: method, route: route, status: status)
        let series = requestSeries.withLock { $0[key] } ?? resolveRequestSeries(key)
        series.count.increment()
        series.latency.observe(seconds)
    }

    /// The series of one method, route and status, resolved once: the label families' lookups
    /// build arrays of label values and hash them, on every request otherwise.
    private struct RequestSeriesKey: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    /// Resolved request series; bounded like the families behind them (past their limits every
    /// new combination resolves to their shared overflow series, and is kept no more).
    private let requestSeries = Mutex<[RequestSeriesKey: (count: Counter, latency: Histogram)]>([:])
    private static let maxResolvedRequestSeries = 2_000

    private func resolveRequestSeries(_ key: RequestSeriesKey) -> (count: Counter, latency: Histogram) {
        let series = (count: requests.labels(key.method, key.route, String(key.status)), latency: requestLatency.labels(key.method, key.route))
        requestSeries.withLock { resolved in
            if resolved.count < Self.maxResolvedRequestSeries { resolved[key] = series }
        }
        return series
    }

    /// Counts one answered grant batch of `items` items.
    public func grantBatchAnswered(items: Int) {
        batchItems.observe(Double(items))
    }

    /// The ledger's commit observer (called on the ledger's writer thread).
    public func ledgerCommitted(_ statistics: CommitStatistics) {
        commitRecords.observe(Double(statistics.records))
        commitWriteSeconds.observe(Double(statistics.writeMicros) / 1_000_000)
        commitSyncSeconds.observe(Double(statistics.syncMicros) / 1_000_000)
        durableSeq.set(Double(statistics.durableSeq))
        recordsWritten.increment(by: UInt64(statistics.records))
    }

    public func openConnectionsChanged(to count: Int) {
        openConnections.set(Double(count))
    }

    /// The exposition text.
    public func render() -> String { registry.render() }
}
