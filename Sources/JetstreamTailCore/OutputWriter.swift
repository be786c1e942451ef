#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writes events to stdout as JSON lines: each message's bytes exactly as received, then `\n`.
///
/// Lines collect in one large buffer and leave in large `write(2)` calls, so a fast stream costs few
/// system calls; the tail loop flushes whenever the socket goes idle and at least every 100 ms, so a
/// slow stream still shows up at once in `| jq`. stdout is left blocking: O_NONBLOCK would leak into
/// the shell's shared file description.
public final class OutputWriter {
    private let fd: Int32
    private let storage: UnsafeMutableRawPointer
    private let capacity: Int
    private var used = 0
    /// When the buffer last went out (monotonic nanoseconds).
    public private(set) var lastFlush: UInt64 = MonotonicClock.now()
    /// Lines written into the buffer so far, flushed or not.
    public private(set) var linesBuffered: UInt64 = 0
    /// Lines that have reached the file descriptor.
    public private(set) var linesFlushed: UInt64 = 0
    private var linesPending: UInt64 = 0

    public init(fd: Int32 = 1, capacity: Int = 1 << 20) {
        self.fd = fd
        self.capacity = max(capacity, 16)
        guard let p = malloc(self.capacity) else { fatalError("out of memory allocating the output buffer") }
        storage = p
    }

    deinit { free(storage) }

    /// Bytes waiting in the buffer.
    public var pendingBytes: Int { used }

    /// Appends one line: `bytes` followed by a newline. A line larger than the buffer goes straight
    /// out with `writev`, after what was already buffered.
    public func writeLine(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        let needed = bytes.count + 1
        if needed > capacity - used {
            try flush()
            if needed > capacity {
                try writeDirect(bytes)
                linesBuffered &+= 1
                linesFlushed &+= 1
                return
            }
        }
        if bytes.count > 0 { memcpy(storage + used, bytes.baseAddress!, bytes.count) }
        storage.storeBytes(of: 0x0A, toByteOffset: used + bytes.count, as: UInt8.self)
        used += needed
        linesBuffered &+= 1
        linesPending &+= 1
    }

    /// Writes out everything buffered.
    public func flush() throws(OutputError) {
        lastFlush = MonotonicClock.now()
        guard used > 0 else { return }
        try writeAll(UnsafeRawBufferPointer(start: storage, count: used))
        used = 0
        linesFlushed &+= linesPending
        linesPending = 0
    }

    /// Writes every byte, retrying short writes and interruptions.
    func writeAll(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 { offset += n; continue }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            throw OutputError(errno: n < 0 ? errno : EIO)
        }
    }

    private func writeDirect(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        var newline: UInt8 = 0x0A
        var offset = 0
        let total = bytes.count + 1
        while offset < total {
            let n: Int = withUnsafeMutablePointer(to: &newline) { nl in
                var iov = [iovec](repeating: iovec(), count: 2)
                var count: Int32 = 0
                if offset < bytes.count {
                    iov[0] = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress! + offset), iov_len: bytes.count - offset)
                    count = 1
                }
                iov[Int(count)] = iovec(iov_base: UnsafeMutableRawPointer(nl), iov_len: 1)
                count += 1
                return writev(fd, iov, count)
            }
            if n > 0 { offset += n; continue }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            throw OutputError(errno: n < 0 ? errno : EIO)
        }
    }
}

@available(*, unavailable)
extension OutputWriter: Sendable {}

/// Writing to stdout failed. `EPIPE` means the reader went away (`| head -n 3`): a normal end.
public struct OutputError: Error, Equatable, CustomStringConvertible {
    public var errno: Int32
    public var isBrokenPipe: Bool { errno == EPIPE }
    public var description: String { "cannot write to stdout: \(SystemError.describe(errno))" }
}
