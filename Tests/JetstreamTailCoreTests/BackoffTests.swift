import Testing
@testable import JetstreamTailCore

@Suite struct BackoffTests {
    @Test func ceilingDoublesUpToTheCap() {
        var b = Backoff(initial: 0.25, cap: 30)
        var rng = SeededGenerator(seed: 1)
        var ceilings: [Double] = []
        for _ in 0..<10 {
            ceilings.append(b.ceiling)
            _ = b.next(using: &rng)
        }
        #expect(ceilings == [0.25, 0.5, 1, 2, 4, 8, 16, 30, 30, 30])
    }

    @Test func delaysStayWithinTheCeiling() {
        var b = Backoff(initial: 1, cap: 8)
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<200 {
            let ceiling = b.ceiling
            let d = b.next(using: &rng)
            #expect(d >= 0 && d <= ceiling)
        }
    }

    @Test func jitterSpreadsDelays() {
        var rng = SeededGenerator(seed: 7)
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
