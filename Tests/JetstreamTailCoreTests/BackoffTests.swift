import Testing
@testable import JetstreamTailCore

@Suite struct BackoffTests {
    /// A deterministic generator (SplitMix64) so delays are reproducible.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func ceilingDoublesUpToTheCap() {
        var b = Backoff(initial: 0.25, cap: 30)
        var rng = Seeded(state: 1)
        var ceilings: [Double] = []
        for _ in 0..<10 {
            ceilings.append(b.ceiling)
            _ = b.next(using: &rng)
        }
        #expect(ceilings == [0.25, 0.5, 1, 2, 4, 8, 16, 30, 30, 30])
    }

    @Test func delaysStayWithinTheCeiling() {
        var b = Backoff(initial: 1, cap: 8)
        var rng = Seeded(state: 42)
        for _ in 0..<200 {
            let ceiling = b.ceiling
            let d = b.next(using: &rng)
            #expect(d >= 0 && d <= ceiling)
        }
    }

    @Test func jitterSpreadsDelays() {
        var rng = Seeded(state: 7)
        var delays = Set<Double>()
        for _ in 0..<20 {
            var b = Backoff(initial: 10, cap: 10)
            delays.insert(b.next(using: &rng))
        }
        #expect(delays.count > 15)
    }

    @Test func resetReturnsToTheFirstCeiling() {
        var b = Backoff(initial: 0.5, cap: 30)
        _ = b.next(); _ = b.next(); _ = b.next()
        #expect(b.ceiling == 4)
        b.reset()
        #expect(b.ceiling == 0.5)
    }

    @Test func capBelowInitialIsRaisedToInitial() {
        let b = Backoff(initial: 5, cap: 1)
        #expect(b.ceiling == 5)
    }
}
