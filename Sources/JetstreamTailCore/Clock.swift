#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Monotonic time in nanoseconds (`CLOCK_MONOTONIC`): immune to wall-clock jumps, so deadlines
/// and intervals stay right when NTP steps the clock.
public enum MonotonicClock {
    @inline(__always)
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}

/// Wall-clock time in microseconds since the Unix epoch, the unit of Jetstream's `time_us`.
public enum WallClock {
    public static func nowMicroseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000
    }
}

/// A point on the monotonic clock after which an operation gives up.
public struct Deadline: Sendable, Equatable {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// A deadline `seconds` from now.
    public static func after(seconds: Double) -> Deadline {
        Deadline(nanoseconds: MonotonicClock.now() &+ UInt64(max(0, seconds) * 1e9))
    }

    /// A deadline that never passes.
    public static let never = Deadline(nanoseconds: .max)

    /// The deadline that passes first.
    public func earlier(_ other: Deadline) -> Deadline {
        nanoseconds <= other.nanoseconds ? self : other
    }

    public var hasPassed: Bool { MonotonicClock.now() >= nanoseconds }

    /// Milliseconds left, as `poll(2)` takes them: -1 for never, 0 once passed, rounded up otherwise.
    public var pollTimeout: Int32 {
        if nanoseconds == .max { return -1 }
        let now = MonotonicClock.now()
        if now >= nanoseconds { return 0 }
        let ms = (nanoseconds - now + 999_999) / 1_000_000
        return Int32(min(ms, UInt64(Int32.max)))
    }
}
