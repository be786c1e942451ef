#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLibs
import Synchronization

/// `--compress` on more than one core: the zstd frames that arrived together are decompressed by
/// two threads at once, the reader and a helper, so a backfill is not held to what one core can
/// decode. Decoding is most of a compressed event's cost, and each frame is independent (one
/// event, the shared dictionary, no state carried between frames).
///
/// A run is collected by the reader (`reset`, then `add` per frame, in stream order), decoded by
/// both threads (`decode`), then read back by the reader in order (`outcome`, `output`), so what
/// happens to each event afterwards — checks, dedupe, filters, the batch — is unchanged and in order.
/// The threads claim frames one at a time from a shared counter, so neither waits on the other's
/// share; and if the helper has not started by the time the reader ran out of frames, the reader
/// takes the run back rather than wait for it to be scheduled.
///
/// Output goes to scratch memory of fixed size, each frame getting exactly the size its header
/// declares; a frame that declares none, or more than `maxMessageSize`, or more than is left, is
/// left to the reader's usual path (`.inline`).
final class ParallelInflater: @unchecked Sendable {
    /// What became of one frame of the run.
    enum Outcome {
        /// Not decoded here: the caller decodes it the usual way.
        case inline
        /// Waiting for `decode`.
        case pending
        /// Decoded: this many bytes of `output(i)`.
        case done(Int)
        case failed(DecompressionError)
    }

    /// Most frames in a run, and most decompressed bytes.
    static let maxFrames = 2048
    static let scratchBytes = 512 * 1024
    /// Fewer pending frames than this are not worth waking the helper for.
    static let minimumParallel = 16

    let maxMessageSize: Int
    private let helperDecoder: ZstdDecoder
    private let scratch: UnsafeMutableRawPointer
    private let frames: UnsafeMutablePointer<UnsafeRawBufferPointer>
    private let offsets: UnsafeMutablePointer<Int>
    private let sizes: UnsafeMutablePointer<Int>
    private let outcomes: UnsafeMutablePointer<Outcome>
    /// Frames in the current run, and scratch bytes given out.
    private(set) var count = 0
    private var used = 0
    private var pendingCount = 0
    private let nextFrame = Atomic<Int>(0)

    private enum HelperState { case idle, posted, working, finished }
    private var state = HelperState.idle
    private var stopping = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var thread = pthread_t()
    private var started = false

    /// Whether this process may run on a second CPU to decode on: its affinity mask (so
    /// `taskset -c 0 jetstream-tail …` keeps decoding on one core), else the CPUs online.
    static var worthwhile: Bool {
        let allowed = jt_allowed_cpus()
        return allowed > 0 ? allowed > 1 : sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1
    }

    init(sharingDictionaryOf decoder: ZstdDecoder, maxMessageSize: Int) throws(DecompressionError) {
        helperDecoder = try ZstdDecoder(sharingDictionaryOf: decoder)
        self.maxMessageSize = maxMessageSize
        guard let memory = malloc(Self.scratchBytes) else { throw .outOfMemory }
        scratch = memory
        frames = .allocate(capacity: Self.maxFrames)
        frames.initialize(repeating: UnsafeRawBufferPointer(start: nil, count: 0), count: Self.maxFrames)
        offsets = .allocate(capacity: Self.maxFrames)
        offsets.initialize(repeating: 0, count: Self.maxFrames)
        sizes = .allocate(capacity: Self.maxFrames)
        sizes.initialize(repeating: 0, count: Self.maxFrames)
        outcomes = .allocate(capacity: Self.maxFrames)
        outcomes.initialize(repeating: .inline, count: Self.maxFrames)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        stop()
        free(scratch)
        frames.deallocate()
        offsets.deallocate()
        sizes.deallocate()
        outcomes.deinitialize(count: Self.maxFrames)
        outcomes.deallocate()
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    /// Starts the helper thread.
    func start() {
        guard !started else { return }
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { context in
            let inflater = Unmanaged<ParallelInflater>.fromOpaque(context!).takeRetainedValue()
            inflater.helperLoop()
            return nil
        }, context)
        precondition(rc == 0, "cannot start the decompression thread: \(SystemError.describe(rc))")
        started = true
    }

    /// Ends the helper thread and waits for it.
    func stop() {
        guard started else { return }
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
        pthread_join(thread, nil)
        started = false
    }

    // MARK: The reader's side

    /// Starts a new, empty run.
    func reset() {
        count = 0
        used = 0
        pendingCount = 0
    }

    /// Whether another frame may join the run.
    var hasRoom: Bool { count < Self.maxFrames && used < Self.scratchBytes }

    /// Adds the next frame of the stream to the run (`hasRoom` must be true). The frame's bytes
    /// must stay valid until the run has been read back.
    func add(_ frame: UnsafeRawBufferPointer) {
        precondition(count < Self.maxFrames)
        let i = count
        count += 1
        frames[i] = frame
        if let size = ZstdDecoder.declaredSize(frame), size <= maxMessageSize, size <= Self.scratchBytes - used {
            offsets[i] = used
            sizes[i] = size
            used += size
            outcomes[i] = .pending
            pendingCount += 1
        } else {
            outcomes[i] = .inline
            // A frame left to the usual path ends the run: what follows must not overtake it.
            used = Self.scratchBytes
        }
    }

    /// Decodes every pending frame of the run, on this thread and the helper's, with `decoder` (the
    /// reader's own). Returns false, decoding nothing, when the run is too small to be worth it.
    @discardableResult
    func decode(with decoder: ZstdDecoder) -> Bool {
        guard pendingCount >= Self.minimumParallel, started else { return false }
        nextFrame.store(0, ordering: .relaxed)
        pthread_mutex_lock(mutex)
        state = .posted
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
        work(with: decoder)
        pthread_mutex_lock(mutex)
        if state == .posted {
            // The helper never started: the run is done without it.
            state = .idle
        } else {
            while state != .finished { pthread_cond_wait(changed, mutex) }
            state = .idle
        }
        pthread_mutex_unlock(mutex)
        return true
    }

    func frame(_ i: Int) -> UnsafeRawBufferPointer { frames[i] }

    func outcome(_ i: Int) -> Outcome { outcomes[i] }

    /// Frame `i`'s decoded bytes (after `.done(n)`: the first `n`).
    func output(_ i: Int, count n: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: scratch + offsets[i], count: n)
    }

    // MARK: Both threads

    /// Claims and decodes frames until none is left.
    private func work(with decoder: ZstdDecoder) {
        while true {
            let i = nextFrame.wrappingAdd(1, ordering: .relaxed).oldValue
            guard i < count else { return }
            guard case .pending = outcomes[i] else { continue }
            let room = UnsafeMutableRawBufferPointer(start: scratch + offsets[i], count: sizes[i])
            do {
                outcomes[i] = .done(try decoder.decompress(frames[i], intoDeclared: room))
            } catch {
                outcomes[i] = .failed(error)
            }
        }
    }

    // MARK: The helper's side

    private func helperLoop() {
        pthread_mutex_lock(mutex)
        while true {
            while state != .posted, !stopping { pthread_cond_wait(changed, mutex) }
            if stopping { break }
            state = .working
            pthread_mutex_unlock(mutex)
            work(with: helperDecoder)
            pthread_mutex_lock(mutex)
            state = .finished
            pthread_cond_broadcast(changed)
        }
        pthread_mutex_unlock(mutex)
    }
}
