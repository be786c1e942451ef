import Testing
@testable import JetstreamTailCore

@Suite struct ClockTests {
    @Test func neverDeadlineMeansInfinitePoll() {
        #expect(Deadline.never.pollTimeout == -1)
    }

    @Test func passedDeadlinePollsWithoutWaiting() {
        #expect(Deadline(nanoseconds: 0).pollTimeout == 0)
        #expect(Deadline(nanoseconds: 0).hasPassed)
    }

    @Test func futureDeadlineRoundsUpToWholeMilliseconds() {
        let d = Deadline.after(seconds: 0.0005)
        #expect(d.pollTimeout <= 1)
        let e = Deadline.after(seconds: 5)
        #expect(e.pollTimeout > 4000 && e.pollTimeout <= 5000)
    }

    @Test func earlierPicksTheFirstDeadline() {
        let a = Deadline(nanoseconds: 5), b = Deadline(nanoseconds: 9)
        #expect(a.earlier(b) == a)
        #expect(b.earlier(a) == a)
    }
}
