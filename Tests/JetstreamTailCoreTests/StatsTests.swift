import Testing
@testable import JetstreamTailCore

@Suite struct StatsTests {
    @Test func intervalLineReportsEveryField() {
        var s = Stats(now: 0)
        s.eventsReceived = 30
        s.eventsWritten = 29
        s.bytesReceived = 15_000
        s.rejected = 1
        s.lastTimeUS = 1_000_000
        let line = s.intervalLine(now: 10_000_000_000, nowUS: 3_500_000)
        #expect(line == "stats events=30 written=29 bytes=15000 rate=3/s lag=2.5s rejected=1 reconnects=0 backoff=0.0s dropped=0 queued=0 duplicates=0 cause=-")
    }

    @Test func rateCoversOnlyTheLastInterval() {
        var s = Stats(now: 0)
        s.eventsReceived = 100
        _ = s.intervalLine(now: 1_000_000_000, nowUS: 0)
        s.eventsReceived = 150
        #expect(s.intervalLine(now: 2_000_000_000, nowUS: 0).contains("rate=50/s"))
    }

    @Test func lagIsUnknownBeforeTheFirstEvent() {
        var s = Stats(now: 0)
        #expect(s.intervalLine(now: 1, nowUS: 5).contains("lag=-"))
    }

    @Test func summaryCoversTheWholeRun() {
        var s = Stats(now: 0)
        s.eventsReceived = 500
        let line = s.summaryLine(now: 4_000_000_000, nowUS: 0)
        #expect(line.hasPrefix("summary events=500 "))
        #expect(line.contains("rate=125/s"))
        #expect(line.hasSuffix("elapsed=4.0s"))
    }

    @Test func reportsReconnectFields() {
        var s = Stats(now: 0)
        s.reconnects = 2
        s.backoff = 1.5
        s.dropped = 7
        s.queued = 40
        s.duplicates = 12
        s.lastCause = "close-1006"
        let line = s.intervalLine(now: 1, nowUS: 0)
        #expect(line.hasSuffix("reconnects=2 backoff=1.5s dropped=7 queued=40 duplicates=12 cause=close-1006"))
    }

    @Test(arguments: [(0.04, "0.0"), (1.25, "1.3"), (-0.5, "-0.5"), (12.0, "12.0")])
    func formatsFixedPoint(value: Double, text: String) {
        #expect(Stats.format(value, digits: 1) == text)
    }
}
