/// Exponential backoff with full jitter: the n-th retry waits a random time between 0 and
/// min(cap, initial × 2ⁿ), so many clients dropped at once by a restarting server do not come back
/// in lockstep.
public struct Backoff: Sendable {
    public let initial: Double
    public let cap: Double
    public private(set) var attempt = 0

    public init(initial: Double = 0.25, cap: Double = 30) {
        self.initial = max(0, initial)
        self.cap = max(self.initial, cap)
    }

    /// The upper bound of the next delay, in seconds.
    public var ceiling: Double {
        var c = initial
        for _ in 0..<min(attempt, 64) {
            c *= 2
            if c >= cap { return cap }
        }
        return min(c, cap)
    }

    /// The next delay in seconds, advancing the attempt count.
    public mutating func next<R: RandomNumberGenerator>(using rng: inout R) -> Double {
        let c = ceiling
        attempt += 1
        return c > 0 ? Double.random(in: 0...c, using: &rng) : 0
    }

    public mutating func next() -> Double {
        var rng = SystemRandomNumberGenerator()
        return next(using: &rng)
    }

    /// Back to the first, shortest delay: the connection proved healthy.
    public mutating func reset() { attempt = 0 }
}
