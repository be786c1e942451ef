/// The tail loop: connect, subscribe, read events, write them to stdout, report stats.
///
/// One thread does everything: it reads the socket until no complete message is left, flushes
/// stdout when the socket goes idle (and at least every 100 ms while it is busy), and waits in
/// `poll(2)` with a timeout that also drives the stats line and notices a stop request.
public final class Tailer {
    private let config: StreamConfig
    private let output: OutputWriter
    private let diagnostics: Diagnostics
    private let shouldStop: @Sendable () -> Bool
    public private(set) var stats = Stats()

    /// Longest single wait, so a stop request that races a `poll` is still seen promptly.
    private static let maxWait = 0.25
    /// Longest time a written line may sit in the output buffer while the socket stays busy.
    private static let flushInterval: UInt64 = 100_000_000
    /// Rejected messages reported one by one before they are only counted in the stats.
    private static let rejectionReports: UInt64 = 5

    public init(config: StreamConfig, output: OutputWriter = OutputWriter(), diagnostics: Diagnostics, shouldStop: @escaping @Sendable () -> Bool) {
        self.config = config
        self.output = output
        self.diagnostics = diagnostics
        self.shouldStop = shouldStop
    }

    /// Why the loop ended.
    enum Ending {
        case finished          // --limit reached or a stop request: close politely
        case stdoutClosed      // the reader of stdout went away: leave quietly
    }

    /// Runs until the limit, a stop request, a closed stdout or a fatal error; returns the exit status.
    public func run() -> ExitStatus {
        if config.insecure {
            diagnostics.warning("--insecure: TLS certificates and host names are not verified")
        }
        let endpoint = config.endpoints[0]
        let target = SubscribeURL.target(for: endpoint, config: config, cursor: config.cursor)
        let options = WebSocketConnection.Options(
            maxMessageSize: config.maxMessageSize,
            connectTimeout: config.connectTimeout,
            tls: .init(caCertPath: config.caCertPath, insecure: config.insecure)
        )
        let connection: WebSocketConnection
        do {
            connection = try WebSocketConnection(endpoint: endpoint, target: target, options: options)
        } catch {
            diagnostics.error("\(endpoint): \(Self.describe(error))")
            return .failure
        }
        diagnostics.note("connected to \(endpoint)")

        do {
            switch try pump(connection) {
            case .finished:
                try output.flush()
                connection.close()
                finish()
                return .success
            case .stdoutClosed:
                connection.abort()
                return .success
            }
        } catch let error as OutputError where error.isBrokenPipe {
            connection.abort()
            return .success
        } catch {
            try? output.flush()
            connection.abort()
            diagnostics.error("\(endpoint): \(Self.describe(error))")
            finish()
            return .failure
        }
    }

    /// Reads and writes until the connection ends (throws) or the run is over (returns).
    private func pump(_ connection: WebSocketConnection) throws -> Ending {
        let statsEvery = config.statsInterval > 0 ? UInt64(config.statsInterval * 1e9) : nil
        var nextStats = statsEvery.map { MonotonicClock.now() &+ $0 } ?? .max
        while true {
            if shouldStop() { return .finished }
            var incoming = try connection.next(deadline: Deadline(nanoseconds: 0))
            if incoming == nil {
                try output.flush()
                var wait = Deadline.after(seconds: Self.maxWait)
                if nextStats != .max { wait = wait.earlier(Deadline(nanoseconds: nextStats)) }
                incoming = try connection.next(deadline: wait)
            }
            if let incoming {
                switch incoming {
                case .text(let payload):
                    if try accept(payload) { return .finished }
                case .binary:
                    stats.eventsReceived &+= 1
                    reject("binary message ignored (compressed streams are not supported yet)")
                case let .closed(code, reason):
                    throw ServerClosed(code: code, reason: reason)
                }
            }
            let now = MonotonicClock.now()
            if output.pendingBytes > 0, now &- output.lastFlush >= Self.flushInterval { try output.flush() }
            if now >= nextStats {
                diagnostics.note(stats.intervalLine(now: now))
                nextStats = now &+ statsEvery!
            }
        }
    }

    /// Counts and writes one event; true when `--limit` is reached.
    private func accept(_ payload: UnsafeRawBufferPointer) throws -> Bool {
        stats.eventsReceived &+= 1
        stats.bytesReceived &+= UInt64(payload.count)
        guard let event = EventScanner.scan(payload) else {
            reject("message is not a JSON object (\(payload.count) bytes), skipped")
            return false
        }
        if let t = event.timeUS { stats.lastTimeUS = t }
        try output.writeLine(payload)
        stats.eventsWritten &+= 1
        if let limit = config.limit, stats.eventsWritten >= UInt64(limit) { return true }
        return false
    }

    private func reject(_ why: String) {
        stats.rejected &+= 1
        if stats.rejected <= Self.rejectionReports {
            diagnostics.warning(why + (stats.rejected == Self.rejectionReports ? "; further ones are only counted" : ""))
        }
    }

    private func finish() {
        diagnostics.note(stats.summaryLine())
    }

    /// One line for any error the loop can meet.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let e as CustomStringConvertible: return e.description
        default: return "\(error)"
        }
    }
}

@available(*, unavailable)
extension Tailer: Sendable {}

/// The server ended the stream with a close frame.
struct ServerClosed: Error, CustomStringConvertible {
    var code: UInt16?
    var reason: String
    var description: String {
        let codeText = code.map { " (code \($0)\(reason.isEmpty ? "" : ": \(reason)"))" } ?? ""
        return "server closed the connection" + codeText
    }
}
