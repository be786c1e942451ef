#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The tail loop: connect, subscribe, read events, hand them to the stdout writer, reconnect and
/// resume when the connection is lost.
///
/// Two threads. This one (the reader) owns the socket: it parses frames, answers pings, scans each
/// event, skips replayed duplicates, and copies events into batches. The writer thread
/// (`StdoutWriter`) writes batches to stdout. Between them sits a bounded `BatchQueue`, so a slow
/// stdout never delays a pong, and memory stays bounded however long stdout stalls. When stdout
/// is a regular file or /dev/null under `--on-full block` and without a cursor file, the reader
/// writes the batches itself and there is no second thread (see `StdoutWriter`).
///
/// Batches go to the writer when full, when the socket goes idle, and at least every 100 ms, so a
/// slow stream still shows up at once in `| jq` while a fast one leaves in large writes.
public final class Tailer {
    private let config: StreamConfig
    private let diagnostics: Diagnostics
    private let shouldStop: @Sendable () -> Bool
    private let queue: BatchQueue
    private let outputFD: Int32
    private var writer: StdoutWriter?
    private var checkpoint: Checkpoint?
    public private(set) var stats = Stats()

    private var batch: Batch
    private var tracker: ResumeTracker
    private var backoff: Backoff
    private var accepted: UInt64 = 0
    private var nextStats: UInt64 = .max
    private var backlogWarned = false
    private var backlogWarnedAt: UInt64 = 0
    /// `--until` as microseconds or a sequence number; nil without `--until`.
    private var untilMicros: Int64?
    private var untilSequence: UInt64?
    /// When the last event arrived (monotonic ns): `--until` ends a caught-up, quiet stream.
    private var lastEventAt = MonotonicClock.now()
    /// The cursor asked for on the current connection when it is a time, until its first event.
    private var clampCheck: Int64?
    private let startedAt = MonotonicClock.now()
    private var progressShown = false
    private var nextProgress: UInt64 = .max
    private var progressStartUS: Int64?
    /// When the reader last stopped waiting for room in the queue: the idle timeout counts from
    /// here too, since a reader waiting for stdout is not reading the socket.
    private var resumedReadingAt: UInt64 = 0
    /// `--until` was reached, or the stream caught up with it.
    private var untilDone = false
    /// An event was admitted but may not have gone into a batch (see `accept`).
    private var admittedUnwritten = false
    /// `--compress`: the decoder (one context, one digested dictionary) and its output buffer,
    /// `--max-message-size` bytes, allocated once.
    private var decoder: ZstdDecoder?
    private var inflated: UnsafeMutableRawBufferPointer?
    /// `--compress` with a second CPU: frames decoded on a helper thread while this one reads on.
    private var parallel: ParallelInflater?
    private var reportedDecompression: Set<String> = []
    /// The filters as an `options_update` message, when they are too long for the URL
    /// (`requireHello=true`): sent first on every connection.
    private let hello: [UInt8]?
    /// `--kind` and `--operation`, applied here to the raw event.
    private let filter: EventFilter
    /// Whether anything reads a commit's `rev`, `operation`, `collection` or `rkey`: an
    /// `--operation` filter, or failover's dedupe by identity. Otherwise the scan skips them.
    private let readsCommitFields: Bool

    /// Longest single wait, so a stop request that races a `poll` is still seen promptly.
    private static let maxWait = 0.25
    /// Longest time an event may wait in a batch while the socket stays busy.
    private static let flushInterval: UInt64 = 100_000_000
    /// A connection open this long that delivered events resets the backoff; so does one that
    /// delivered this many new events, however short it was (it made real progress).
    private static let healthyAfter: UInt64 = 30_000_000_000
    private static let healthyEvents: UInt64 = 1_000
    /// Shortest time between two `--max-lag` warnings.
    private static let backlogWarningEvery: UInt64 = 10_000_000_000
    /// Rejected messages reported one by one before they are only counted in the stats.
    private static let rejectionReports: UInt64 = 5
    /// With `--until` in the past, this long without an event means the stream has caught up.
    private static let caughtUpQuiet: UInt64 = 5_000_000_000
    /// A start this far behind the first event, asked for this long ago, means the server clamped it.
    private static let clampGapUS: Int64 = 10 * 60 * 1_000_000
    private static let clampAgeUS: Int64 = 20 * 3600 * 1_000_000
    private static let progressEvery: UInt64 = 500_000_000

    public init(config: StreamConfig, diagnostics: Diagnostics, outputFD: Int32 = 1, shouldStop: @escaping @Sendable () -> Bool) {
        self.config = config
        self.diagnostics = diagnostics
        self.shouldStop = shouldStop
        queue = BatchQueue(maxEvents: config.bufferEvents, maxBytes: config.queueBytes, policy: config.onFull)
        self.outputFD = outputFD
        hello = SubscribeOptions.needsHello(config) ? SubscribeOptions.optionsUpdate(for: config) : nil
        filter = EventFilter(config)
        batch = queue.emptyBatch()
        tracker = ResumeTracker(rewindSeconds: config.rewind, tracksIdentities: config.endpoints.count > 1)
        readsCommitFields = filter.readsOperation || tracker.tracksIdentities
        backoff = Backoff(initial: config.backoffInitial, cap: config.backoffMax)
    }

    /// How a run ends.
    enum Ending: Error {
        /// `--limit` reached or a stop request: close politely, write what is queued.
        case finished
        /// The reader of stdout went away: leave quietly.
        case stdoutClosed
        /// Something reconnecting cannot fix; the message is printed.
        case fatal(String)

        /// How a failed write to stdout ends the run: quietly when its reader went away (`| head`).
        init(_ failure: OutputError) {
            self = failure.isBrokenPipe ? .stdoutClosed : .fatal(failure.description)
        }
    }

    /// Runs until the limit, a stop request, a closed stdout or a fatal error; returns the exit status.
    public func run() -> ExitStatus {
        if config.insecure {
            diagnostics.warning("--insecure: TLS certificates and host names are not verified")
        }
        switch config.until {
        case .micros(let t)?: untilMicros = t
        case .sequence(let n)?: untilSequence = n
        default: break
        }
        if let failure = openCursorFile() { diagnostics.error(failure); return .failure }
        if let failure = loadDictionary() { diagnostics.error(failure); return .failure }
        defer { inflated?.deallocate() }
        defer { parallel?.stop() }
        if config.statsInterval > 0 { nextStats = MonotonicClock.now() &+ UInt64(config.statsInterval * 1e9) }
        if untilMicros != nil, config.progress, !config.quiet, Progress.isTerminal() { nextProgress = MonotonicClock.now() }
        // Under `block` a file's writes may as well come from the reader (see StdoutWriter), unless
        // the cursor file's saves would fsync it from the reader's thread.
        let inline = config.onFull == .block && checkpoint == nil && OutputWriter.neverWaitsForAReader(fd: outputFD)
        let writer = StdoutWriter(queue: queue, fd: outputFD, checkpoint: checkpoint, inline: inline)
        self.writer = writer
        writer.start()
        var ending = connectLoop()
        if case .stdoutClosed = ending {} else { publishBatch(final: true) }
        queue.close()
        writer.join()
        // The last batches can fail after the reader stopped (a full disk, a closed pipe): the run
        // then ends as it would have had the failure come sooner, never as a quiet success.
        if case .finished = ending, let failure = queue.writerFailure {
            ending = Ending(failure)
        }
        updateWrittenCount()
        eraseProgress()
        var status: ExitStatus = .success
        if let checkpoint, case .finished = ending, !admittedUnwritten, queue.writerFailure == nil {
            // Everything admitted was written (or left out by --kind/--operation on purpose), so
            // the resume point can move past the filtered tail, and past an --until the run met.
            if let mark = tracker.last { checkpoint.advance(to: mark) }
            if untilDone, let until = untilMicros { checkpoint.advance(to: ResumeMark(timeUS: until - 1, endpointIndex: -1)) }
        }
        if let checkpoint {
            do { try checkpoint.saveNow() } catch {
                diagnostics.error("\(error)")
                status = .failure
            }
        }
        switch ending {
        case .stdoutClosed:
            return status
        case .fatal(let message):
            diagnostics.error(message)
            // A run that failed before it got anything has nothing to sum up.
            if stats.eventsReceived > 0 || stats.reconnects > 0 { diagnostics.note(stats.summaryLine()) }
            return .failure
        case .finished:
            diagnostics.note(stats.summaryLine())
            return status
        }
    }

    /// With `--compress`: the dictionary (cached, downloaded and verified, or the user's) and the decoder.
    private func loadDictionary() -> String? {
        guard config.compress else { return nil }
        do {
            let dictionary = try ZstdDictionary.load(config: config)
            for notice in dictionary.notices { diagnostics.note(notice) }
            let decoder = try ZstdDecoder(dictionary: dictionary.bytes)
            self.decoder = decoder
            inflated = .allocate(byteCount: config.maxMessageSize, alignment: 16)
            if ParallelInflater.worthwhile {
                parallel = try ParallelInflater(sharingDictionaryOf: decoder)
                parallel?.start()
            }
            stats.compressed = true
            return nil
        } catch let error as ZstdDictionaryError {
            return error.description
        } catch {
            return "zstd dictionary: \(error)"
        }
    }

    /// Locks and reads `--cursor-file`; a saved point overrides `--cursor`. Returns an error message.
    private func openCursorFile() -> String? {
        guard let path = config.cursorFile else { return nil }
        do {
            let file = try CursorFile(path: path)
            let checkpoint = Checkpoint(file: file, hosts: config.endpoints.map(\.authority), saveEvery: config.saveEvery,
                                        saveInterval: config.saveInterval, stdoutFD: outputFD, diagnostics: diagnostics)
            if let mark = try checkpoint.load() {
                tracker.seed(mark)
                diagnostics.note("resuming after \(RFC3339.format(micros: mark.timeUS))" + (mark.sequence.map { " (seq \($0))" } ?? "") + " from \(path)")
            }
            self.checkpoint = checkpoint
            return nil
        } catch {
            return error.description
        }
    }

    // MARK: - Connections

    /// Connects, pumps, and reconnects with backoff until the run ends.
    private func connectLoop() -> Ending {
        var endpointIndex = 0
        var failuresInARow = 0
        var everConnected = false
        while true {
            if shouldStop() { return .finished }
            let endpoint = config.endpoints[endpointIndex]
            let cursor = tracker.resumeCursor(endpointIndex: endpointIndex, initial: config.cursor)
            let target = SubscribeURL.target(for: endpoint, config: config, cursor: cursor)
            clampCheck = cursor.flatMap { $0 >= CursorSpec.firstMicros ? $0 : nil }
            var failure: any Error
            var delivered: UInt64 = 0
            var fresh: UInt64 = 0
            var connectedAt: UInt64 = 0
            do {
                let connection = try WebSocketConnection(endpoint: endpoint, target: target, options: connectionOptions)
                connectedAt = MonotonicClock.now()
                if let hello {
                    do { try hello.withUnsafeBytes { try connection.send(opcode: .text, payload: $0) } } catch {
                        connection.abort()
                        throw error
                    }
                }
                if !everConnected { say("connected to \(endpoint)") }
                else { say("reconnected to \(endpoint)" + (cursor.map { " from cursor \($0)" } ?? "")) }
                everConnected = true
                tracker.beginConnection(endpointIndex: endpointIndex)
                let before = accepted &+ stats.duplicates
                let acceptedBefore = accepted
                do {
                    try pump(connection, endpointIndex: endpointIndex)
                    connection.close()
                    return .finished
                } catch let ending as Ending {
                    switch ending {
                    case .stdoutClosed: connection.abort()
                    case .finished: connection.close()
                    case .fatal: connection.abort()
                    }
                    return ending
                } catch {
                    connection.abort()
                    failure = error
                }
                delivered = accepted &+ stats.duplicates &- before
                fresh = accepted &- acceptedBefore
            } catch {
                failure = error
            }
            if let fatal = Self.fatalReason(failure, everConnected: everConnected) {
                return .fatal("\(endpoint): \(fatal)")
            }
            // The connection was lost or could not be made: back off, then try the next host.
            if fresh >= Self.healthyEvents || (delivered > 0 && MonotonicClock.now() &- connectedAt >= Self.healthyAfter) {
                backoff.reset()
                failuresInARow = 0
            }
            failuresInARow += 1
            if let max = config.maxReconnects, failuresInARow > max {
                return .fatal("\(endpoint): \(Self.describe(failure)); giving up after \(max) reconnect\(max == 1 ? "" : "s")")
            }
            var delay = backoff.next()
            if case HandshakeError.rejected(let status, _, _, let retryAfter?) = failure, status == 429 || status == 503 {
                delay = max(delay, min(retryAfter, 3600))
            }
            stats.reconnects &+= 1
            stats.lastCause = Self.cause(failure)
            stats.backoff = backoff.ceiling
            say("\(endpoint): \(Self.describe(failure)); reconnecting in \(Stats.format(delay, digits: 1))s")
            if let ending = sleep(seconds: delay) { return ending }
            endpointIndex = (endpointIndex + 1) % config.endpoints.count
        }
    }

    private var connectionOptions: WebSocketConnection.Options {
        WebSocketConnection.Options(
            maxMessageSize: config.maxMessageSize,
            connectTimeout: config.connectTimeout,
            tls: .init(caCertPath: config.caCertPath, insecure: config.insecure)
        )
    }

    /// Waits out a backoff delay, still publishing output, printing stats and watching for a stop.
    private func sleep(seconds: Double) -> Ending? {
        publishBatch(final: false)
        let until = Deadline.after(seconds: seconds)
        while !until.hasPassed {
            if shouldStop() { return .finished }
            if case .stdoutClosed? = writerStatus() { return .stdoutClosed }
            let slice = until.earlier(.after(seconds: Self.maxWait))
            _ = poll(nil, 0, slice.pollTimeout)
            reportStatsIfDue(now: MonotonicClock.now())
        }
        return nil
    }

    /// A notice on stderr, clearing the progress line first.
    private func say(_ message: String) {
        eraseProgress()
        diagnostics.note(message)
    }

    // MARK: - Reading

    /// Reads one connection until it fails (throws its error) or the run ends (throws `Ending`).
    private func pump(_ connection: WebSocketConnection, endpointIndex: Int) throws {
        let keepaliveNS = config.keepalive > 0 ? UInt64(config.keepalive * 1e9) : UInt64.max
        let idleNS = config.idleTimeout > 0 ? UInt64(config.idleTimeout * 1e9) : UInt64.max
        var lastPing = MonotonicClock.now()
        // The loop's clock. It only moves forward, and while messages come out of the read buffer
        // it is the time of the read that brought them (`lastReceiveAt`): no clock reading per
        // event, which at a million events a second is a measurable share of the reader's time.
        var now = lastPing
        do {
            while true {
                try pumpOnce(connection, endpointIndex: endpointIndex, now: &now, lastPing: &lastPing,
                             keepaliveNS: keepaliveNS, idleNS: idleNS)
            }
        } catch let ending as Ending {
            throw ending
        } catch {
            // The connection failed: what it delivered before is still taken, in order.
            try flushCompressed(now: now, endpointIndex: endpointIndex)
            throw error
        }
    }

    /// One message and the others its read brought in whole, or one wait for the socket, and the
    /// checks that follow.
    private func pumpOnce(_ connection: WebSocketConnection, endpointIndex: Int, now: inout UInt64, lastPing: inout UInt64,
                          keepaliveNS: UInt64, idleNS: UInt64) throws {
        if shouldStop() {
            try flushCompressed(now: now, endpointIndex: endpointIndex)
            throw Ending.finished
        }
        var incoming = try connection.next(deadline: Deadline(nanoseconds: 0))
        if incoming != nil {
            now = max(now, connection.lastReceiveAt)
        } else {
            // The socket is idle: let the writer have what we hold, then wait.
            try flushCompressed(now: now, endpointIndex: endpointIndex)
            try publishOrThrow()
            if let failure = queue.writerFailure {
                throw Ending(failure)
            }
            var wait = Deadline.after(seconds: Self.maxWait)
            if nextStats != .max { wait = wait.earlier(Deadline(nanoseconds: nextStats)) }
            if keepaliveNS != .max { wait = wait.earlier(Deadline(nanoseconds: lastPing &+ keepaliveNS)) }
            if idleNS != .max { wait = wait.earlier(Deadline(nanoseconds: max(connection.lastReceiveAt, resumedReadingAt) &+ idleNS)) }
            incoming = try connection.next(deadline: wait)
            now = max(now, MonotonicClock.now())
        }
        if let incoming {
            try take(incoming, now: now, endpointIndex: endpointIndex)
            // The rest of the messages this read brought in, in the same turn: the checks below
            // are per read, not per message (a read holds at most a few hundred events).
            try connection.takeBuffered { try take($0, now: now, endpointIndex: endpointIndex) }
        }
        if !batch.isEmpty, now &- batch.openedAt >= Self.flushInterval { try publishOrThrow() }
        reportStatsIfDue(now: now)
        if now &- lastPing >= keepaliveNS {
            try connection.ping()
            lastPing = now
        }
        // `resumedReadingAt` is a fresh reading, so it may be later than `now`.
        let heardFrom = max(connection.lastReceiveAt, resumedReadingAt)
        if now > heardFrom, now - heardFrom >= idleNS { throw IdleTimeout(seconds: config.idleTimeout) }
        if caughtUp(now: now) {
            try flushCompressed(now: now, endpointIndex: endpointIndex)
            untilDone = true
            throw Ending.finished
        }
    }

    /// One message from the connection, in its place in the stream.
    @inline(__always)
    private func take(_ incoming: WebSocketConnection.Incoming, now: UInt64, endpointIndex: Int) throws {
        switch incoming {
        case .binary(let payload):
            try acceptCompressed(payload, now: now, endpointIndex: endpointIndex)
        case .text(let payload):
            // In its place in the stream: after the compressed events before it.
            try flushCompressed(now: now, endpointIndex: endpointIndex)
            try accept(payload, now: now, endpointIndex: endpointIndex)
        case let .closed(code, reason):
            try flushCompressed(now: now, endpointIndex: endpointIndex)
            throw ServerClosed(code: code, reason: reason)
        }
    }

    /// Counts, checks and queues one event; throws `Ending.finished` at `--limit`. `inBatch` says
    /// the payload was decompressed straight into the batch's free space (`Batch.reserve`), so
    /// keeping it takes no copy.
    @inline(__always)
    private func accept(_ payload: UnsafeRawBufferPointer, inBatch: Bool = false, now: UInt64, endpointIndex: Int) throws {
        stats.eventsReceived &+= 1
        stats.bytesReceived &+= UInt64(payload.count)
        var event = ScannedEvent()
        guard EventScanner.scan(payload, commitFields: readsCommitFields, into: &event) else {
            reject("message is not a JSON object (\(payload.count) bytes), skipped")
            return
        }
        if let until = untilMicros, let t = event.timeUS, t >= until { untilDone = true; throw Ending.finished }
        if let until = untilSequence, let seq = event.cursor, seq >= until { untilDone = true; throw Ending.finished }
        guard tracker.admit(timeUS: event.timeUS, cursor: event.cursor, identity: EventIdentity.hash(event, bytes: payload),
                            endpointIndex: endpointIndex) else {
            stats.duplicates &+= 1
            return
        }
        if let t = event.timeUS { stats.lastTimeUS = t }
        lastEventAt = now
        if let asked = clampCheck, let t = event.timeUS {
            clampCheck = nil
            warnIfClamped(asked: asked, first: t)
        }
        if progressStartUS == nil { progressStartUS = event.timeUS }
        // Events left out by --kind/--operation still count as activity and move the resume
        // point (above), but are not written.
        if !filter.passesEverything, !filter.matches(event) { return }
        // The batch is `self.batch`, which nothing replaces during the call: borrowed without the
        // retain and release a class reference held across `memcpy` would otherwise cost.
        let appended = Unmanaged.passUnretained(batch)._withUnsafeGuaranteedRef { batch in
            if inBatch {
                batch.commitLine(payload.count, now: now)
                return true
            }
            return batch.append(payload, now: now)
        }
        if !appended {
            // A stop while waiting here leaves this event unwritten though the tracker has it.
            admittedUnwritten = true
            try startBatch(room: payload.count)
            admittedUnwritten = false
            _ = batch.append(payload, now: now)
        }
        if event.hasLineBreaks { batch.joinLastLine(length: payload.count) }
        if tracker.last != nil, event.timeUS != nil { batch.last = tracker.last }
        if batch.events >= queue.batchEvents { try publishOrThrow() }
        accepted &+= 1
        if let limit = config.limit, accepted >= UInt64(limit) { throw Ending.finished }
    }

    /// Hands the current batch to the writer and makes sure the next has room for a line of
    /// `count` bytes: the hand-off leaves a pooled batch, and only a larger event needs its own.
    private func startBatch(room count: Int) throws {
        try publishOrThrow()
        if batch.reserve(count) == nil { batch = queue.emptyBatch(minimum: count + 1) }
    }

    /// A binary message on a `--compress` stream: one zstd frame holding one event. With a second
    /// core it joins `parallel`'s runs, to be taken later in its turn; otherwise, or when its
    /// header declares no usable size, it is decoded here, after whatever the runs still hold.
    private func acceptCompressed(_ frame: UnsafeRawBufferPointer, now: UInt64, endpointIndex: Int) throws {
        guard decoder != nil, let inflated else {
            stats.eventsReceived &+= 1
            reject("binary message ignored (compressed events need --compress)")
            return
        }
        let declared = ZstdDecoder.declaredSize(frame)
        if parallel != nil {
            if let size = declared, size <= config.maxMessageSize, ParallelInflater.Run.takes(bytes: frame.count, declaredSize: size) {
                // The common case, once per event: both borrowed from `self`, which holds them for
                // the whole run, instead of retained and released.
                try Unmanaged.passUnretained(parallel.unsafelyUnwrapped)._withUnsafeGuaranteedRef { parallel in
                    try Unmanaged.passUnretained(decoder.unsafelyUnwrapped)._withUnsafeGuaranteedRef { decoder in
                        try parallel.add(frame, declaredSize: size, decoder: decoder) { try acceptRun($0, now: now, endpointIndex: endpointIndex) }
                    }
                }
                return
            }
            try flushCompressed(now: now, endpointIndex: endpointIndex)
        }
        guard let decoder else { return }  // (checked above; bound only now, past the borrowed path)
        stats.compressedBytes &+= UInt64(frame.count)
        // Straight into the batch when the frame declares a size that may be accepted (Jetstream's
        // always do), so the event is not copied again; otherwise into the scratch buffer.
        var output = inflated
        var inBatch = false
        if let size = declared, size <= config.maxMessageSize {
            if batch.reserve(size) == nil { try startBatch(room: size) }
            if let room = batch.reserve(size) {
                output = room
                inBatch = true
            }
        }
        let n: Int
        do {
            n = inBatch ? try decoder.decompress(frame, intoDeclared: output) : try decoder.decompress(frame, into: output)
        } catch {
            try decompressionFailed(error)
            return
        }
        try acceptInflated(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(output)[..<n]), inBatch: inBatch, now: now,
                           endpointIndex: endpointIndex)
    }

    /// Everything `parallel` holds, decoded and taken in order.
    @inline(__always)
    private func flushCompressed(now: UInt64, endpointIndex: Int) throws {
        guard let parallel, parallel.isHolding else { return }
        try flushRuns(parallel, now: now, endpointIndex: endpointIndex)
    }

    private func flushRuns(_ parallel: ParallelInflater, now: UInt64, endpointIndex: Int) throws {
        guard let decoder else { return }
        try parallel.flush(decoder: decoder) { try acceptRun($0, now: now, endpointIndex: endpointIndex) }
    }

    /// The events of a decoded run, in order.
    private func acceptRun(_ run: ParallelInflater.Run, now: UInt64, endpointIndex: Int) throws {
        for i in 0..<run.count {
            stats.compressedBytes &+= UInt64(run.frame(i).count)
            switch run.outcome(i) {
            case .done(let n):
                try acceptInflated(run.output(i, count: n), inBatch: false, now: now, endpointIndex: endpointIndex)
            case .failed(let error):
                try decompressionFailed(error)
            case .pending:
                preconditionFailure("a frame of a finished run was not decoded")
            }
        }
    }

    /// A frame that could not be decompressed: fatal when it needs another dictionary, otherwise
    /// skipped and counted, each kind of failure reported once.
    private func decompressionFailed(_ error: DecompressionError) throws {
        if case .dictionaryMismatch = error { throw Ending.fatal(error.description) }
        stats.eventsReceived &+= 1
        stats.rejected &+= 1
        let kind = Self.kindOf(error)
        if reportedDecompression.insert(kind).inserted {
            diagnostics.warning("\(error); skipped (further ones are only counted as rejected)")
        }
    }

    /// A decompressed event: checked to be UTF-8 (as a text message would have been), then accepted.
    private func acceptInflated(_ event: UnsafeRawBufferPointer, inBatch: Bool, now: UInt64, endpointIndex: Int) throws {
        guard UTF8Validator.isValid(event) else {
            stats.eventsReceived &+= 1
            reject("decompressed message is not valid UTF-8 (\(event.count) bytes), skipped")
            return
        }
        try accept(event, inBatch: inBatch, now: now, endpointIndex: endpointIndex)
    }

    private static func kindOf(_ error: DecompressionError) -> String {
        switch error {
        case .tooLarge: return "too-large"
        case .corrupt: return "corrupt"
        default: return "other"
        }
    }

    private func reject(_ why: String) {
        stats.rejected &+= 1
        if stats.rejected <= Self.rejectionReports {
            diagnostics.warning(why + (stats.rejected == Self.rejectionReports ? "; further ones are only counted" : ""))
        }
    }

    // MARK: - Handing batches to the writer

    /// Hands the current batch to the writer; throws `Ending.stdoutClosed`/`.fatal` if the writer
    /// stopped. While the queue is full (`--on-full block`) a stop request ends the wait with
    /// `Ending.finished`, keeping the batch, so the connection is closed at once and the batch is
    /// written with the rest of the queue (`final` waits for room whatever happens).
    private func publishOrThrow(final: Bool = false) throws {
        guard !batch.isEmpty else { return }
        if let writer, writer.isInline {
            do {
                try writer.write(batch)
            } catch {
                throw Ending(error)
            }
            batch = queue.emptyBatch()
            return
        }
        var waited = false
        defer { if waited { resumedReadingAt = MonotonicClock.now() } }
        while true {
            switch queue.push(batch, deadline: .after(seconds: Self.maxWait)) {
            case .queued(let dropped):
                batch = queue.emptyBatch()
                if dropped > 0 { stats.dropped &+= UInt64(dropped) }
                watchBacklog()
                return
            case .full:
                // `--on-full block`: the reader waits for the writer (TCP pushes back to the server).
                waited = true
                reportStatsIfDue(now: MonotonicClock.now())
                if shouldStop(), !final { throw Ending.finished }
            case .writerStopped(let error):
                throw Ending(error)
            }
        }
    }

    /// The last hand-off at the end of a run; a writer that stopped has said why already.
    private func publishBatch(final: Bool) {
        do { try publishOrThrow(final: final) } catch {}
    }

    private func writerStatus() -> Ending? {
        if batch.isEmpty { return nil }
        do { try publishOrThrow(); return nil } catch let e as Ending { return e } catch { return nil }
    }

    private func watchBacklog() {
        guard config.onFull == .drop else { return }
        let depth = queue.depth.events
        if depth > config.maxLag, !backlogWarned {
            backlogWarned = true
            backlogWarnedAt = MonotonicClock.now()
            diagnostics.warning("stdout is falling behind: \(depth) events queued (--max-lag \(config.maxLag)); the oldest are dropped when the queue is full")
        } else if depth <= config.maxLag / 2, MonotonicClock.now() &- backlogWarnedAt >= Self.backlogWarningEvery {
            backlogWarned = false
        }
    }

    private func updateWrittenCount() {
        stats.eventsWritten = queue.flushedState.events
        stats.queued = queue.depth.events
        stats.backoff = stats.reconnects > 0 ? backoff.ceiling : 0
    }

    /// With `--until`: the end point is in the past and the stream has gone quiet, so the backfill
    /// has caught up; or a sequence end point and a quiet stream.
    @inline(__always)
    private func caughtUp(now: UInt64) -> Bool {
        guard now &- lastEventAt >= Self.caughtUpQuiet else { return false }
        if let until = untilMicros { return WallClock.nowMicroseconds() >= until }
        return untilSequence != nil
    }

    /// The server silently starts at its oldest event when asked for an older one: say so, since
    /// the events in between are lost.
    private func warnIfClamped(asked: Int64, first: Int64) {
        let now = WallClock.nowMicroseconds()
        guard config.wantedDids.isEmpty, first - asked > Self.clampGapUS, now - asked > Self.clampAgeUS else { return }
        eraseProgress()
        diagnostics.warning("asked to start at \(RFC3339.format(micros: asked)) but the first event is from \(RFC3339.format(micros: first)): the server no longer holds the events in between (it keeps about 24 to 36 hours); they are lost")
    }

    /// Redraws the one-line backfill progress bar on the terminal.
    private func drawProgress(now: UInt64) {
        guard now >= nextProgress, let until = untilMicros else { return }
        nextProgress = now &+ Self.progressEvery
        let start = progressStartUS ?? config.cursor ?? stats.lastTimeUS ?? until
        let elapsed = Double(now &- startedAt) / 1e9
        let rate = elapsed > 0 ? Double(stats.eventsReceived) / elapsed : 0
        let line = Progress.render(startUS: start, untilUS: until, currentUS: stats.lastTimeUS ?? start, elapsedSeconds: elapsed,
                                   eventsPerSecond: rate, lagSeconds: stats.lag(nowUS: WallClock.nowMicroseconds()) ?? 0,
                                   width: Progress.terminalWidth())
        diagnostics.raw(Progress.redraw(line))
        progressShown = true
    }

    private func eraseProgress() {
        guard progressShown else { return }
        diagnostics.raw(Progress.erase)
        progressShown = false
    }

    /// The clock checks are inline: the read loop asks after every message.
    @inline(__always)
    private func reportStatsIfDue(now: UInt64) {
        if nextProgress == .max, now < nextStats { return }
        reportStats(now: now)
    }

    private func reportStats(now: UInt64) {
        if nextProgress != .max {
            drawProgress(now: now)
            return
        }
        guard now >= nextStats else { return }
        updateWrittenCount()
        diagnostics.note(stats.intervalLine(now: now))
        nextStats = now &+ UInt64(config.statsInterval * 1e9)
    }

    // MARK: - Errors

    /// Non-nil when retrying cannot help: the server refused the request (4xx other than 408 and
    /// 429), the certificate does not verify, or the first connection named a host that does not exist.
    static func fatalReason(_ error: any Error, everConnected: Bool) -> String? {
        switch error {
        case let e as HandshakeError where !e.isRetryable:
            if case .rejected = e { return e.description }
            return nil  // a malformed or wrong upgrade response: a protocol failure, retried
        case let e as TransportError:
            if case .tls(_, verification: true) = e { return e.description }
            if case .resolve = e, !everConnected { return e.description }
            return nil
        default:
            return nil
        }
    }

    /// A short token for the stats line's `cause` field.
    static func cause(_ error: any Error) -> String {
        switch error {
        case ConnectionError.closedWithoutCloseFrame: return "eof"
        case let e as ServerClosed: return "close-\(e.code.map(String.init) ?? "none")"
        case let e as ProtocolError: return "protocol-\(e.closeCode)"
        case is IdleTimeout: return "idle-timeout"
        case let e as HandshakeError:
            switch e {
            case .rejected(let status, _, _, _): return "http-\(status)"
            case .timeout: return "handshake-timeout"
            default: return "handshake"
            }
        case let e as TransportError:
            switch e {
            case .resolve: return "dns"
            case .connect: return "connect"
            case .connectTimeout: return "connect-timeout"
            case .tls: return "tls"
            case .io: return "io"
            case .sendTimeout: return "send-timeout"
            }
        default: return "error"
        }
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

/// Nothing at all arrived for `--idle-timeout` seconds: the connection is presumed dead.
struct IdleTimeout: Error, CustomStringConvertible {
    var seconds: Double
    var description: String { "nothing received for \(Stats.format(seconds, digits: 1))s" }
}
