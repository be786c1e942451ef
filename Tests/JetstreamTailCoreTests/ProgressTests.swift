import Testing
@testable import JetstreamTailCore

/// One hour of stream time starting at 2024-11-23T08:20:00Z.
private let start: Int64 = 1_732_350_000_000_000
private let hour: Int64 = 3_600_000_000

private func line(at fraction: Double, elapsed: Double = 60, rate: Double = 12_345, lag: Double = 3720, width: Int = 80) -> String {
    Progress.render(startUS: start, untilUS: start + hour, currentUS: start + Int64(Double(hour) * fraction),
                    elapsedSeconds: elapsed, eventsPerSecond: rate, lagSeconds: lag, width: width)
}

@Suite struct ProgressTests {
    @Test func aFullLineHasBarPercentRateETAAndLag() {
        let text = line(at: 0.47, elapsed: 169.2)
        #expect(text.hasSuffix("]  47%  12,345 ev/s  ETA 3m10s  lag 1h02m"))
        #expect(text.count == 79)
        let bar = text.prefix(while: { $0 != " " })
        #expect(bar.first == "[" && bar.last == "]")
        let cells = bar.count - 2
        #expect(bar.filter { $0 == "#" }.count == Int(0.47 * Double(cells)))
    }

    @Test func everyWidthFitsWithOneColumnToSpare() {
        for width in 0...200 {
            #expect(line(at: 0.5, width: width).count <= max(0, width - 1), "width \(width)")
        }
    }

    @Test func narrowTerminalsDropLagThenETAThenRate() {
        #expect(line(at: 0.5, width: 53) == "[#####.....]  50%  12,345 ev/s  ETA 1m00s  lag 1h02m")
        #expect(line(at: 0.5, width: 52) == "[##########..........]  50%  12,345 ev/s  ETA 1m00s")
        #expect(line(at: 0.5, width: 42).hasSuffix("]  50%  12,345 ev/s  ETA 1m00s"))
        #expect(line(at: 0.5, width: 41).hasSuffix("]  50%  12,345 ev/s"))
        #expect(line(at: 0.5, width: 31).hasSuffix("]  50%  12,345 ev/s"))
        #expect(line(at: 0.5, width: 30) == "[###########...........]  50%")
        #expect(line(at: 0.5, width: 18) == "[#####.....]  50%")
        #expect(line(at: 0.5, width: 17) == "50%")
        #expect(line(at: 0.5, width: 1) == "")
    }

    @Test func percentIsFlooredAndClamped() {
        #expect(line(at: 0).contains("]   0%"))
        #expect(line(at: 0.999).contains("]  99%"))
        #expect(line(at: 1).contains("] 100%"))
        #expect(Progress.fraction(startUS: start, untilUS: start + hour, currentUS: start - 5) == 0)
        #expect(Progress.fraction(startUS: start, untilUS: start + hour, currentUS: start + 2 * hour) == 1)
        #expect(Progress.fraction(startUS: start, untilUS: start, currentUS: start) == 1)
    }

    @Test func theBarFillsInProportion() {
        #expect(line(at: 0, width: 20) == "[............]   0%")
        #expect(line(at: 0.25, width: 20) == "[###.........]  25%")
        #expect(line(at: 1, width: 20) == "[############] 100%")
    }

    @Test func etaExtrapolatesTheAveragePace() {
        #expect(Progress.eta(startUS: start, untilUS: start + hour, currentUS: start + hour / 4, elapsedSeconds: 10) == 30)
        #expect(Progress.eta(startUS: start, untilUS: start + hour, currentUS: start + hour, elapsedSeconds: 10) == 0)
        #expect(Progress.eta(startUS: start, untilUS: start + hour, currentUS: start, elapsedSeconds: 10) == nil)
        #expect(Progress.eta(startUS: start, untilUS: start + hour, currentUS: start + 1, elapsedSeconds: 0) == nil)
        #expect(line(at: 0, elapsed: 0).contains("ETA --"))
    }

    @Test func durationsUseTwoUnits() {
        #expect(Progress.duration(0) == "0s")
        #expect(Progress.duration(59.9) == "59s")
        #expect(Progress.duration(192) == "3m12s")
        #expect(Progress.duration(3720) == "1h02m")
        #expect(Progress.duration(2 * 86_400 + 3 * 3600) == "2d03h")
        #expect(Progress.duration(1e12) == "99d23h")
        #expect(Progress.duration(nil) == "--")
        #expect(Progress.duration(.infinity) == "--")
        #expect(Progress.duration(.nan) == "--")
        #expect(Progress.duration(-1) == "--")
    }

    @Test func ratesAreGroupedByThousands() {
        #expect(Progress.grouped(0) == "0")
        #expect(Progress.grouped(999) == "999")
        #expect(Progress.grouped(1000) == "1,000")
        #expect(Progress.grouped(12_345) == "12,345")
        #expect(Progress.grouped(1_234_567) == "1,234,567")
        #expect(line(at: 0.5, rate: 0.4).contains(" 0 ev/s"))
        #expect(line(at: 0.5, rate: -3).contains(" 0 ev/s"))
    }

    @Test func negativeLagShowsAsZero() {
        #expect(line(at: 0.5, lag: -2).hasSuffix("lag 0s"))
    }

    @Test func redrawReturnsToColumnZeroAndErasesTheRest() {
        #expect(Progress.redraw("x") == "\rx\u{1B}[K")
        #expect(Progress.erase == "\r\u{1B}[K")
    }

    @Test func terminalHelpersAnswerForAnyDescriptor() {
        #expect(!Progress.isTerminal(-1))
        #expect(Progress.terminalWidth(-1) > 0)
    }
}
