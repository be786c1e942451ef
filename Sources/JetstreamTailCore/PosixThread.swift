#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A joinable POSIX thread. The tool's threads beside the reader — the stdout writer and the zstd
/// helper — run this way; what `body` captures stays alive until it returns.
struct PosixThread {
    private var thread = pthread_t()
    private(set) var isRunning = false

    /// Runs `body` on a new thread; `name` says which in the message if the system refuses one.
    mutating func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        let rc = pthread_create(&thread, nil, { context in
            Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        precondition(rc == 0, "cannot start the \(name) thread: \(SystemError.describe(rc))")
        isRunning = true
    }

    /// Waits for `body` to return.
    mutating func join() {
        guard isRunning else { return }
        pthread_join(thread, nil)
        isRunning = false
    }
}

/// What a new thread runs, passed through `pthread_create`'s context pointer.
private final class ThreadBody: Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}
