#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLibs
import Synchronization

/// `--compress` on more than one core: zstd frames are decoded on a helper thread while the reader
/// goes on reading, so a backfill is not held to what one core can decode. Decoding is most of a
/// compressed event's cost, and each frame is independent (one event, the shared dictionary, no
/// state carried from frame to frame).
///
/// Frames are copied, in stream order, into a `Run`. When it is full, it goes to the helper, and
/// the run before it, whose decoding the reader finishes alongside the helper (both take frames
/// from a shared counter, so neither waits on the other's share), comes back decoded to be taken in
/// order: what happens to each event afterwards — checks, dedupe, filters, the batch — is unchanged.
/// So at most two runs are held: one being filled, one being decoded. `flush` hands back
/// everything added so far; the caller flushes before anything that must keep its place in the
/// stream (a text message, a close, a frame it decodes itself), and whenever the socket goes quiet,
/// so a slow stream's events are never held back: a run of fewer than `minimumParallel` frames,
/// what a live stream brings, is decoded by the reader alone, with no hand-off at all.
///
/// Each frame gets exactly the output its header declares; the caller decodes any other frame
/// itself (`Run.takes`).
final class ParallelInflater: @unchecked Sendable {
    /// What became of one frame of a run.
    enum Outcome {
        case pending
        /// Decoded: this many bytes of `output(i)`.
        case done(Int)
        case failed(DecompressionError)
    }

    /// Frames copied in, and slots for their output.
    final class Run: @unchecked Sendable {
        static let maxFrames = 1024
        static let inputBytes = 128 * 1024
        static let outputBytes = 512 * 1024

        private let input: UnsafeMutableRawPointer
        private let output: UnsafeMutableRawPointer
        private let inputOffsets = UnsafeMutablePointer<Int>.allocate(capacity: maxFrames)
        private let inputSizes = UnsafeMutablePointer<Int>.allocate(capacity: maxFrames)
        private let outputOffsets = UnsafeMutablePointer<Int>.allocate(capacity: maxFrames)
        private let outputSizes = UnsafeMutablePointer<Int>.allocate(capacity: maxFrames)
        private let outcomes = UnsafeMutablePointer<Outcome>.allocate(capacity: maxFrames)
        private(set) var count = 0
        private var inputUsed = 0
        private var outputUsed = 0

        init() throws(DecompressionError) {
            guard let i = malloc(Self.inputBytes), let o = malloc(Self.outputBytes) else { throw .outOfMemory }
            input = i
            output = o
            outcomes.initialize(repeating: .pending, count: Self.maxFrames)
        }

        deinit {
            free(input)
            free(output)
            inputOffsets.deallocate()
            inputSizes.deallocate()
            outputOffsets.deallocate()
            outputSizes.deallocate()
            outcomes.deinitialize(count: Self.maxFrames)
            outcomes.deallocate()
        }

        /// Whether a frame of `bytes` declaring `size` fits an empty run; any other is the caller's.
        static func takes(bytes: Int, declaredSize size: Int) -> Bool { bytes <= inputBytes && size <= outputBytes }

        func fits(bytes: Int, declaredSize size: Int) -> Bool {
            count < Self.maxFrames && bytes <= Self.inputBytes - inputUsed && size <= Self.outputBytes - outputUsed
        }

        func add(_ frame: UnsafeRawBufferPointer, declaredSize size: Int) {
            precondition(fits(bytes: frame.count, declaredSize: size))
            let i = count
            if let base = frame.baseAddress { (input + inputUsed).copyMemory(from: base, byteCount: frame.count) }
            inputOffsets[i] = inputUsed
            inputSizes[i] = frame.count
            outputOffsets[i] = outputUsed
            outputSizes[i] = size
            outcomes[i] = .pending
            inputUsed += frame.count
            outputUsed += size
            count += 1
        }

        func reset() {
            count = 0
            inputUsed = 0
            outputUsed = 0
        }

        func frame(_ i: Int) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(start: input + inputOffsets[i], count: inputSizes[i])
        }

        func outcome(_ i: Int) -> Outcome { outcomes[i] }

        /// Frame `i`'s decoded bytes (after `.done(n)`: the first `n`).
        func output(_ i: Int, count n: Int) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(start: output + outputOffsets[i], count: n)
        }

        fileprivate func decode(_ i: Int, with decoder: ZstdDecoder) {
            let room = UnsafeMutableRawBufferPointer(start: output + outputOffsets[i], count: outputSizes[i])
            do {
                outcomes[i] = .done(try decoder.decompress(frame(i), intoDeclared: room))
            } catch {
                outcomes[i] = .failed(error)
            }
        }
    }

    /// Runs smaller than this are decoded by the reader alone.
    static let minimumParallel = 16

    private let helperDecoder: ZstdDecoder
    private var filling: Run
    private var spare: Run
    /// The run the helper was given, until it comes back.
    private var inFlight: Run?
    /// The next frame of the run being decoded, claimed by both threads.
    private let frames = FrameCounter()

    private enum HelperState { case idle, posted, working, finished }
    private var state = HelperState.idle
    private var job: Run?
    private var stopping = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var thread = PosixThread()
    private var started: Bool { thread.isRunning }

    /// Whether this process may run on a second CPU to decode on: its affinity mask (so
    /// `taskset -c 0 jetstream-tail …` keeps decoding on one core), else the CPUs online.
    static var worthwhile: Bool {
        let allowed = jt_allowed_cpus()
        return allowed > 0 ? allowed > 1 : sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1
    }

    init(sharingDictionaryOf decoder: ZstdDecoder) throws(DecompressionError) {
        helperDecoder = try ZstdDecoder(sharingDictionaryOf: decoder)
        filling = try Run()
        spare = try Run()
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    /// Starts the helper thread.
    func start() {
        guard !started else { return }
        thread.start("decompression") { [self] in helperLoop() }
    }

    /// Ends the helper thread (after the run it is decoding, if any) and waits for it.
    func stop() {
        guard started else { return }
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
        thread.join()
    }

    // MARK: The reader's side

    /// Whether frames are held that `flush` would hand back.
    var isHolding: Bool { inFlight != nil || filling.count > 0 }

    /// Adds the next frame of the stream (one that `Run.takes`). When the run being filled is full,
    /// it goes to the helper first, and the run before it is handed to `take`, decoded.
    func add(_ frame: UnsafeRawBufferPointer, declaredSize size: Int, decoder: ZstdDecoder,
             take: (Run) throws -> Void) rethrows {
        // `filling` is borrowed, not retained and released around each call: only this function
        // replaces it, and not while the borrow is held.
        if !Unmanaged.passUnretained(filling)._withUnsafeGuaranteedRef({ $0.fits(bytes: frame.count, declaredSize: size) }) {
            let previous = inFlight
            if let previous { finish(previous, with: decoder) }
            inFlight = filling
            post(filling)
            filling = previous ?? spare
            if let previous {
                defer { previous.reset() }
                try take(previous)
            }
        }
        Unmanaged.passUnretained(filling)._withUnsafeGuaranteedRef { $0.add(frame, declaredSize: size) }
    }

    /// Hands every frame added so far to `take`, decoded and in order; afterwards nothing is held.
    func flush(decoder: ZstdDecoder, take: (Run) throws -> Void) rethrows {
        if let previous = inFlight {
            finish(previous, with: decoder)
            inFlight = nil
            spare = previous
            defer { previous.reset() }
            try take(previous)
        }
        guard filling.count > 0 else { return }
        let run = filling
        if run.count >= Self.minimumParallel, started {
            post(run)
            finish(run, with: decoder)
        } else {
            frames.next.store(0, ordering: .relaxed)
            work(on: run, with: decoder)
        }
        defer { run.reset() }
        try take(run)
    }

    /// Gives `run` to the helper.
    private func post(_ run: Run) {
        frames.next.store(0, ordering: .relaxed)
        guard started else { return }
        pthread_mutex_lock(mutex)
        job = run
        state = .posted
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }

    /// Decodes what is left of `run` alongside the helper, then waits for the helper's last frame.
    /// A helper that has not started on it by then is not waited for.
    private func finish(_ run: Run, with decoder: ZstdDecoder) {
        work(on: run, with: decoder)
        guard started else { return }
        pthread_mutex_lock(mutex)
        if state == .posted {
            state = .idle
        } else {
            while state != .finished { pthread_cond_wait(changed, mutex) }
            state = .idle
        }
        job = nil
        pthread_mutex_unlock(mutex)
    }

    // MARK: Both threads

    /// Claims and decodes frames of `run` until none is left.
    private func work(on run: Run, with decoder: ZstdDecoder) {
        while true {
            let i = frames.next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard i < run.count else { return }
            run.decode(i, with: decoder)
        }
    }

    // MARK: The helper's side

    private func helperLoop() {
        pthread_mutex_lock(mutex)
        while true {
            while state != .posted, !stopping { pthread_cond_wait(changed, mutex) }
            if stopping { break }
            state = .working
            let run = job!
            pthread_mutex_unlock(mutex)
            work(on: run, with: helperDecoder)
            pthread_mutex_lock(mutex)
            state = .finished
            pthread_cond_broadcast(changed)
        }
        pthread_mutex_unlock(mutex)
    }
}

/// A counter alone on its cache line. The helper claims a frame from it for every event, and an
/// atomic write makes the line leave the other core's cache; any other field on that line (an
/// object's reference count, the reader's bookkeeping) would then cost the reader a fetch from the
/// helper's core every time it touched it. With the counter in `ParallelInflater` itself, next to
/// the reference count the reader retained and released per event, `perf` caught runs in which
/// those releases took 9% of the CPU, where they took 2–3% otherwise. Padding on both sides keeps
/// the counter's line to itself wherever the object lands (classes lay out their fields in order,
/// after a 16-byte header).
final class FrameCounter: @unchecked Sendable {
    private let before: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
    let next = Atomic<Int>(0)
    private let after: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
}
