#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where the stream stands after an event: what a reconnect or the cursor file resumes from.
public struct ResumeMark: Sendable, Equatable {
    /// The event's `time_us`.
    public var timeUS: Int64
    /// The event's `cursor` (v2 servers' sequence number), when it had one.
    public var sequence: UInt64?
    /// Which of the configured endpoints sent it (sequence numbers are only meaningful there).
    public var endpointIndex: Int

    public init(timeUS: Int64, sequence: UInt64? = nil, endpointIndex: Int = 0) {
        self.timeUS = timeUS
        self.sequence = sequence
        self.endpointIndex = endpointIndex
    }
}

/// A block of output lines (each event's bytes and `\n`) that leaves in one `write(2)`.
///
/// The reader copies each event straight from its receive buffer into a batch, so an event costs
/// one copy and no allocation; batches are recycled through the queue's pool.
public final class Batch {
    let storage: UnsafeMutableRawPointer
    let capacity: Int
    private(set) var used = 0
    private(set) var events = 0
    /// The resume point after the batch's last event that carried `time_us`.
    var last: ResumeMark?
    /// When the first event went in (monotonic nanoseconds), to bound how long a line waits.
    private(set) var openedAt: UInt64 = 0

    init(capacity: Int) {
        self.capacity = capacity
        guard let p = malloc(capacity) else { fatalError("out of memory allocating a \(capacity)-byte batch") }
        storage = p
    }

    deinit { free(storage) }

    var isEmpty: Bool { events == 0 }
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage, count: used) }

    /// Appends `line` and a newline; false when it does not fit.
    @inline(__always)
    func append(_ line: UnsafeRawBufferPointer, now: UInt64) -> Bool {
        let n = line.count
        guard n < capacity - used else { return false }
        if n > 0 { memcpy(storage + used, line.baseAddress!, n) }
        commitLine(n, now: now)
        return true
    }

    /// Room for one more line of up to `count` bytes plus its newline, to be filled in place (say,
    /// by a decompressor) and then kept with `commitLine`; nil when it does not fit.
    func reserve(_ count: Int) -> UnsafeMutableRawBufferPointer? {
        guard count < capacity - used else { return nil }
        return UnsafeMutableRawBufferPointer(start: storage + used, count: count)
    }

    /// Keeps the `count` bytes just written into the space from `reserve` as a line.
    @inline(__always)
    func commitLine(_ count: Int, now: UInt64) {
        storage.storeBytes(of: 0x0A, toByteOffset: used + count, as: UInt8.self)
        used += count + 1
        if events == 0 { openedAt = now }
        events += 1
    }

    /// Turns the raw line breaks of the last line (all whitespace in a validated event) into
    /// spaces, so the event stays one line.
    func joinLastLine(length: Int) {
        let line = storage + (used - 1 - length)
        for k in 0..<length where line.load(fromByteOffset: k, as: UInt8.self) == 0x0A {
            line.storeBytes(of: 0x20, toByteOffset: k, as: UInt8.self)
        }
    }

    /// Takes `other`'s lines after its own, when they fit; false otherwise.
    func absorb(_ other: Batch) -> Bool {
        guard other.used <= capacity - used else { return false }
        if other.used > 0 { memcpy(storage + used, other.storage, other.used) }
        if events == 0 { openedAt = other.openedAt }
        used += other.used
        events += other.events
        if let mark = other.last { last = mark }
        return true
    }

    func reset() {
        used = 0
        events = 0
        last = nil
    }
}

@available(*, unavailable)
extension Batch: Sendable {}

/// What to do when the queue between the socket reader and the stdout writer is full.
public enum OverflowPolicy: String, Sendable, CaseIterable {
    /// Stop reading until the writer catches up (lossless; TCP pushes back to the server).
    case block
    /// Keep reading; drop the oldest queued events and count them.
    case drop
}

/// The bounded hand-off between the reader thread and the writer thread, counted in events and in
/// bytes. Whole batches move through it, so the cost of locking is paid per batch, not per event.
public final class BatchQueue: @unchecked Sendable {
    // Guarded by `mutex`.
    private var queue: [Batch] = []
    private var head = 0
    private var pool: [Batch] = []
    private var queuedEvents = 0
    private var queuedBytes = 0
    private var closed = false
    private var stoppedBy: OutputError?
    private var flushed: ResumeMark?
    private var flushedEvents: UInt64 = 0

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public let maxEvents: Int
    public let maxBytes: Int
    public let policy: OverflowPolicy
    /// Size of a recycled batch; larger events get a batch of their own.
    public let batchCapacity: Int
    /// Most events in one batch. Batches are a quarter of the limits at most, so that the queue
    /// really holds what `--buffer` and `--buffer-bytes` say, not one oversized batch.
    public let batchEvents: Int
    /// Most empty batches kept for reuse: as many as the queue can hold (up to 16 MiB of them), so
    /// a queue that fills and drains over and over reuses its memory instead of returning it to
    /// the system and faulting it in again; what the pool keeps never exceeds what the queue
    /// could hold anyway.
    private let poolLimit: Int

    public init(maxEvents: Int, maxBytes: Int, policy: OverflowPolicy, batchCapacity: Int = 256 * 1024) {
        self.maxEvents = max(1, maxEvents)
        self.maxBytes = max(1, maxBytes)
        self.policy = policy
        self.batchCapacity = max(4096, min(batchCapacity, self.maxBytes / 4))
        self.batchEvents = max(1, self.maxEvents / 4)
        self.poolLimit = max(4, min(self.maxBytes, 16 << 20) / self.batchCapacity)
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(changed, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    // MARK: Reader side

    /// An empty batch from the pool, or a new one; `minimum` bytes must fit.
    func emptyBatch(minimum: Int = 0) -> Batch {
        if minimum >= batchCapacity { return Batch(capacity: minimum + 1) }
        lock(); defer { unlock() }
        return pool.popLast() ?? Batch(capacity: batchCapacity)
    }

    /// The outcome of offering a batch.
    public enum PushResult: Equatable {
        case queued(dropped: Int)
        /// Under `block`, the queue stayed full until the deadline; offer the batch again.
        case full
        /// The writer stopped (stdout closed or failed).
        case writerStopped(OutputError)
    }

    /// Offers a full or idle batch to the writer. Under `block` waits for room until `deadline`;
    /// under `drop` makes room by discarding the oldest queued batches.
    public func push(_ batch: Batch, deadline: Deadline) -> PushResult {
        lock(); defer { unlock() }
        var dropped = 0
        while true {
            if let failure = stoppedBy { return .writerStopped(failure) }
            if hasRoom(for: batch) { break }
            switch policy {
            case .drop:
                let oldest = removeFirst()
                dropped += oldest.events
                recycle(oldest)
            case .block:
                if !wait(until: deadline) { return .full }
            }
        }
        queuedEvents += batch.events
        queuedBytes += batch.used
        // A trickling stream hands over many small batches: fold each into the last queued one
        // while it fits, so memory follows the bytes queued, not the number of hand-offs.
        if queue.count > head, let tail = queue.last, tail.absorb(batch) {
            recycle(batch)
        } else {
            queue.append(batch)
        }
        pthread_cond_broadcast(changed)
        return .queued(dropped: dropped)
    }

    /// No more batches will come; the writer drains what is queued and stops.
    public func close() {
        lock(); defer { unlock() }
        closed = true
        pthread_cond_broadcast(changed)
    }

    /// Why the writer stopped, once it has.
    public var writerFailure: OutputError? {
        lock(); defer { unlock() }
        return stoppedBy
    }

    /// Events and bytes waiting for the writer.
    public var depth: (events: Int, bytes: Int) {
        lock(); defer { unlock() }
        return (queuedEvents, queuedBytes)
    }

    /// The resume point of the last event written to stdout, and how many events have been.
    public var flushedState: (mark: ResumeMark?, events: UInt64) {
        lock(); defer { unlock() }
        return (flushed, flushedEvents)
    }

    /// Waits until the writer has written everything queued, or the deadline passes.
    public func waitUntilDrained(deadline: Deadline) -> Bool {
        lock(); defer { unlock() }
        while queue.count > head || busy {
            if stoppedBy != nil { return false }
            if !wait(until: deadline) { return false }
        }
        return true
    }

    // MARK: Writer side

    private var busy = false

    /// The next batch to write, waiting for one; nil once the queue is closed and empty.
    func pop() -> Batch? {
        lock(); defer { unlock() }
        while queue.count == head {
            if closed { return nil }
            _ = wait(until: .never)
        }
        let batch = removeFirst()
        busy = true
        pthread_cond_broadcast(changed)
        return batch
    }

    /// Called once `batch` is on stdout: moves the flushed resume point and recycles the batch.
    func written(_ batch: Batch) {
        lock(); defer { unlock() }
        if let mark = batch.last { flushed = mark }
        flushedEvents &+= UInt64(batch.events)
        busy = false
        recycle(batch)
        pthread_cond_broadcast(changed)
    }

    /// The writer could not write: everything queued is abandoned and the reader is told.
    func writerFailed(_ error: OutputError, batch: Batch) {
        lock(); defer { unlock() }
        stoppedBy = error
        busy = false
        queue.removeAll()
        head = 0
        queuedEvents = 0
        queuedBytes = 0
        pthread_cond_broadcast(changed)
    }

    // MARK: Private (mutex held)

    private func hasRoom(for batch: Batch) -> Bool {
        if queue.count == head { return true }  // one batch always fits, whatever its size
        return queuedEvents + batch.events <= maxEvents && queuedBytes + batch.used <= maxBytes
    }

    private func removeFirst() -> Batch {
        let batch = queue[head]
        head += 1
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64, head * 2 >= queue.count {
            queue.removeFirst(head)
            head = 0
        }
        queuedEvents -= batch.events
        queuedBytes -= batch.used
        return batch
    }

    private func recycle(_ batch: Batch) {
        guard batch.capacity == batchCapacity, pool.count < poolLimit else { return }
        batch.reset()
        pool.append(batch)
    }

    private func lock() { pthread_mutex_lock(mutex) }
    private func unlock() { pthread_mutex_unlock(mutex) }

    /// Waits on the condition; false when the deadline passed.
    private func wait(until deadline: Deadline) -> Bool {
        if deadline.nanoseconds == .max {
            pthread_cond_wait(changed, mutex)
            return true
        }
        if deadline.hasPassed { return false }
        var ts = timespec(tv_sec: Int(deadline.nanoseconds / 1_000_000_000), tv_nsec: Int(deadline.nanoseconds % 1_000_000_000))
        return pthread_cond_timedwait(changed, mutex, &ts) != ETIMEDOUT
    }
}

/// Writes batches to stdout, each with one `write(2)`, and records what is out (the flushed
/// resume point, the cursor file's checkpoint).
///
/// Usually that is done by a thread of its own, which takes batches off the queue and never
/// touches the socket, so a slow stdout (a pipe into a busy program, a terminal) delays only the
/// queue, never a pong. When stdout is a regular file or /dev/null (`inline`; the tailer also
/// needs `--on-full block` and no cursor file, whose saves fsync), a write never waits for
/// another process to read: the reader hands each batch straight to `write(_:)` and no thread is
/// started. That saves the cross-core hand-off of every batch (9–17% of the CPU per event in the
/// benchmark) and the thread's memory, and changes nothing a user can see under `--on-full
/// block`, where a writer that falls behind pauses reading either way.
public final class StdoutWriter: @unchecked Sendable {
    private let queue: BatchQueue
    private let output: OutputWriter
    private let checkpoint: Checkpoint?
    private var thread = PosixThread()
    /// Batches are written by the caller of `write(_:)`, not by a thread.
    public let isInline: Bool

    public init(queue: BatchQueue, fd: Int32 = 1, checkpoint: Checkpoint? = nil, inline: Bool = false) {
        self.queue = queue
        self.output = OutputWriter(fd: fd)
        self.checkpoint = checkpoint
        self.isInline = inline
    }

    /// Starts the writer thread (nothing to start when inline).
    public func start() {
        guard !isInline else { return }
        thread.start("writer") { [self] in run() }
    }

    /// Waits for the thread to finish (after `queue.close()`).
    public func join() {
        thread.join()
    }

    /// Inline: writes `batch` now, on the calling thread, and recycles it. After a failure every
    /// later call throws the same error without writing, as a stopped writer thread would.
    public func write(_ batch: Batch) throws(OutputError) {
        if let failure = queue.writerFailure { throw failure }
        try put(batch)
    }

    private func run() {
        while let batch = queue.pop() {
            do throws(OutputError) { try put(batch) } catch { return }
        }
    }

    /// Writes one batch and records it: the checkpoint and the queue's flushed mark, or the
    /// queue's failure, which the reader then sees.
    private func put(_ batch: Batch) throws(OutputError) {
        do {
            try output.writeAll(batch.bytes)
        } catch {
            queue.writerFailed(error, batch: batch)
            throw error
        }
        checkpoint?.written(events: batch.events, mark: batch.last)
        queue.written(batch)
    }
}
