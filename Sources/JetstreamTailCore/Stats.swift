/// Counters for one run, and the `key=value` line that reports them on stderr.
///
/// Fields: `events` (messages received), `written` (lines written to stdout), `bytes` (message
/// bytes received), `rate` (events per second since the previous line), `lag` (now minus the last
/// event's `time_us`), `rejected` (messages that were not a JSON object), `reconnects`, `backoff`
/// (the current reconnect delay ceiling), `dropped` (events discarded by `--on-full drop`), `queued`
/// (events waiting for stdout), `duplicates` (replayed events skipped after a reconnect), `cause`
/// (why the last reconnect happened, `-` before any).
public struct Stats: Sendable {
    public var eventsReceived: UInt64 = 0
    public var eventsWritten: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    public var rejected: UInt64 = 0
    public var reconnects: UInt64 = 0
    public var dropped: UInt64 = 0
    public var duplicates: UInt64 = 0
    public var queued: Int = 0
    public var backoff: Double = 0
    public var lastCause: String? = nil
    /// `--compress`: the line also reports compressed bytes and the compression ratio.
    public var compressed = false
    public var compressedBytes: UInt64 = 0
    /// `time_us` of the last event that carried one.
    public var lastTimeUS: Int64? = nil

    private var startedAt: UInt64
    private var lastReportAt: UInt64
    private var eventsAtLastReport: UInt64 = 0

    public init(now: UInt64 = MonotonicClock.now()) {
        startedAt = now
        lastReportAt = now
    }

    /// Seconds between `time_us` of the last event and `nowUS`, or nil before any event.
    public func lag(nowUS: Int64) -> Double? {
        lastTimeUS.map { Double(nowUS - $0) / 1e6 }
    }

    /// The periodic line; resets the interval rate.
    public mutating func intervalLine(now: UInt64 = MonotonicClock.now(), nowUS: Int64 = WallClock.nowMicroseconds()) -> String {
        let seconds = Double(now &- lastReportAt) / 1e9
        let rate = seconds > 0 ? Double(eventsReceived &- eventsAtLastReport) / seconds : 0
        lastReportAt = now
        eventsAtLastReport = eventsReceived
        return "stats " + fields(rate: rate, nowUS: nowUS)
    }

    /// The summary at exit; its rate covers the whole run.
    public func summaryLine(now: UInt64 = MonotonicClock.now(), nowUS: Int64 = WallClock.nowMicroseconds()) -> String {
        let seconds = Double(now &- startedAt) / 1e9
        let rate = seconds > 0 ? Double(eventsReceived) / seconds : 0
        return "summary " + fields(rate: rate, nowUS: nowUS) + " elapsed=\(Self.format(seconds, digits: 1))s"
    }

    private func fields(rate: Double, nowUS: Int64) -> String {
        let lagText = lag(nowUS: nowUS).map { Self.format($0, digits: 1) + "s" } ?? "-"
        return "events=\(eventsReceived) written=\(eventsWritten) bytes=\(bytesReceived) rate=\(Int(rate.rounded()))/s lag=\(lagText) rejected=\(rejected) reconnects=\(reconnects) backoff=\(Self.format(backoff, digits: 1))s dropped=\(dropped) queued=\(queued) duplicates=\(duplicates) cause=\(lastCause ?? "-")" + compressionFields
    }

    /// `compressed=` (bytes of zstd frames received) and `ratio=` (uncompressed over compressed
    /// bytes of those messages), only with `--compress`.
    private var compressionFields: String {
        guard compressed else { return "" }
        let ratio = compressedBytes > 0 ? Double(bytesReceived) / Double(compressedBytes) : 0
        return " compressed=\(compressedBytes) ratio=\(Self.format(ratio, digits: 2))"
    }

    /// Fixed-point formatting without Foundation.
    static func format(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (value * scale).rounded()
        let negative = scaled < 0
        let magnitude = Int(abs(scaled))
        let intPart = magnitude / Int(scale)
        var frac = String(magnitude % Int(scale))
        while frac.count < digits { frac = "0" + frac }
        return (negative ? "-" : "") + String(intPart) + (digits > 0 ? "." + frac : "")
    }
}
