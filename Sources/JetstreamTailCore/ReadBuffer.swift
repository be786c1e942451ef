#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The one buffer the transport reads into and the frame reader parses in place.
///
/// Unread bytes live in `start..<end`. Frames are parsed where they land, so an unfragmented message
/// is handed on as a pointer into this buffer with no copy. The buffer grows only when one frame is
/// larger than it (bounded by the maximum message size) and shrinks back once that frame is gone.
/// Not thread-safe: it belongs to the reading thread.
public final class ReadBuffer {
    public private(set) var base: UnsafeMutableRawPointer
    public private(set) var capacity: Int
    public private(set) var start = 0
    public private(set) var end = 0
    private let initialCapacity: Int

    public init(capacity: Int = 256 * 1024) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.initialCapacity = capacity
        guard let p = malloc(capacity) else { fatalError("out of memory allocating \(capacity) bytes") }
        base = p
    }

    deinit { free(base) }

    /// Bytes received and not yet consumed.
    public var count: Int { end - start }

    /// The unread bytes; valid until the next mutating call.
    public var readable: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + start, count: end - start)
    }

    /// Free space after the unread bytes, for the transport to fill; follow with `commit`.
    public var writable: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: base + end, count: capacity - end)
    }

    /// Marks `n` bytes of `writable` as received.
    public func commit(_ n: Int) {
        precondition(n >= 0 && end + n <= capacity)
        end += n
    }

    /// Marks `n` unread bytes as used.
    public func consume(_ n: Int) {
        precondition(n >= 0 && start + n <= end)
        start += n
        if start == end { start = 0; end = 0 }
    }

    /// Copies bytes in after the unread ones (used for bytes that arrived with the handshake).
    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        prepareForRead(contiguous: count + bytes.count, minimumFree: bytes.count)
        memcpy(base + end, bytes.baseAddress!, bytes.count)
        end += bytes.count
    }

    /// Ensures the unread bytes plus what is still to come fit contiguously (`contiguous` bytes from
    /// `start`) and at least `minimumFree` bytes are free after them, moving the unread bytes to the
    /// front or growing as needed. Returns the buffer to its initial size when a large frame has gone.
    public func prepareForRead(contiguous: Int, minimumFree: Int) {
        let unread = count
        let needed = max(contiguous, unread + minimumFree)
        if needed > capacity {
            grow(to: needed)
        } else if capacity > initialCapacity, needed <= initialCapacity {
            shrink()
        }
        if start > 0, capacity - start < needed {
            memmove(base, base + start, unread)
            start = 0
            end = unread
        }
    }

    private func grow(to needed: Int) {
        var newCapacity = capacity
        while newCapacity < needed { newCapacity = newCapacity > Int.max / 2 ? needed : newCapacity * 2 }
        reallocate(capacity: max(needed, min(newCapacity, needed + needed / 4)))
    }

    private func shrink() {
        reallocate(capacity: initialCapacity)
    }

    /// Moves the unread bytes to the front of a new allocation of `newCapacity` bytes.
    private func reallocate(capacity newCapacity: Int) {
        let unread = count
        guard let p = malloc(newCapacity) else { fatalError("out of memory allocating \(newCapacity) bytes") }
        if unread > 0 { memcpy(p, base + start, unread) }
        free(base)
        base = p
        capacity = newCapacity
        start = 0
        end = unread
    }
}

@available(*, unavailable)
extension ReadBuffer: Sendable {}
