import Testing
@testable import JetstreamTailCore

/// 2026-11-22T10:00:00Z, the "now" of every relative test.
private let now: Int64 = 1_795_341_600_000_000

private func parse(_ text: String, allowNow: Bool = false) throws(CursorSpecError) -> CursorSpec {
    try CursorSpec.parse(text, nowMicros: now, allowNow: allowNow)
}

private func error(_ text: String, allowNow: Bool = false) -> CursorSpecError? {
    do { _ = try parse(text, allowNow: allowNow); return nil } catch { return error }
}

@Suite struct CursorSpecTests {
    // MARK: Microseconds

    @Test func sixteenDigitsAreMicroseconds() throws {
        #expect(try parse("1732350000000000") == .micros(1_732_350_000_000_000))
        #expect(try parse("1000000000000000") == .micros(CursorSpec.firstMicros))
        #expect(try parse("0001732350000000000") == .micros(1_732_350_000_000_000))
        #expect(try parse("253402300799999999") == .micros(RFC3339.maxMicros))
    }

    @Test func secondsAndMillisecondsGetTheConvertedValue() {
        #expect(error("1732350000") == .looksLikeSeconds(suggestion: 1_732_350_000_000_000))
        #expect(error("999999999") == .looksLikeSeconds(suggestion: 999_999_999_000_000))
        #expect(error("1732350000000") == .looksLikeMilliseconds(suggestion: 1_732_350_000_000_000))
        #expect(error("1732350000").map(String.init(describing:))
            == "this looks like unix seconds; in microseconds it is 1732350000000000")
    }

    @Test func otherSmallNumbersPointToSeq() {
        for text in ["0", "5", "469083", "17323500000", "173235000000000", "999999999999999"] {
            #expect(error(text) == .tooSmall, "\(text)")
        }
        #expect(CursorSpecError.tooSmall.description.contains("seq:N"))
    }

    @Test func numbersPastYear9999AreRefused() {
        #expect(error("253402300800000000") == .afterYear9999)
        #expect(error("9223372036854775807") == .afterYear9999)
        #expect(error("99999999999999999999999") == .afterYear9999)
    }

    // MARK: RFC 3339

    @Test func rfc3339TimesWithOffsetsAndFractions() throws {
        #expect(try parse("2026-11-22T10:00:00Z") == .micros(now))
        #expect(try parse("2026-11-22T11:00:00+01:00") == .micros(now))
        #expect(try parse("2026-11-22T04:30:00-05:30") == .micros(now))
        #expect(try parse("2026-11-22T10:00:00.25Z") == .micros(now + 250_000))
        #expect(try parse("2026-11-22t10:00:00.123456789z") == .micros(now + 123_456))
        #expect(try parse("2026-11-22 10:00:00Z") == .micros(now))
    }

    @Test func rfc3339TimesBefore2001AreStillTimes() throws {
        #expect(try parse("1970-01-01T00:00:00Z") == .micros(0))
        #expect(try parse("2000-02-29T00:00:00Z") == .micros(951_782_400_000_000))
    }

    @Test func aBrokenDateSaysWhatIsWrong() {
        #expect(error("2025-02-29T00:00:00Z") == .invalidTime(.notALeapYear(2025)))
        #expect(error("2026-11-22T10:00:00") == .invalidTime(.missingOffset))
        #expect(error("2026-11-22") == .invalidTime(.missingTime))
        #expect(error("2026-11-22T10:00:00").map(String.init(describing:))
            == "not an RFC 3339 time (such as 2026-11-22T10:00:00Z): no time zone: add Z for UTC or an offset such as +01:00")
    }

    // MARK: Relative

    @Test(arguments: [
        ("-90s", Int64(90_000_000)), ("-15m", 900_000_000), ("-2h", 7_200_000_000), ("-1d", 86_400_000_000),
        ("-1h30m", 5_400_000_000), ("-1d12h", 129_600_000_000), ("-1d2h3m4s", 93_784_000_000),
        ("-0s", 0), ("-36h", 129_600_000_000), ("-0001m", 60_000_000),
    ])
    func relativeTimesCountBackFromNow(_ text: String, _ before: Int64) throws {
        #expect(try parse(text) == .micros(now - before))
    }

    @Test(arguments: ["-", "-15", "-m", "-15x", "-15M", "-30m1h", "-1h1h", "-1.5h", "- 1h", "-1h ", "-1w", "--1h", "-1h-30m"])
    func malformedRelativeTimesAreRefused(_ text: String) {
        #expect(error(text) == .invalidRelative)
    }

    @Test func relativeTimesCannotReachBefore1970() {
        #expect(error("-100000d") == .relativeBeforeEpoch)
        #expect(error("-999999999d") == .relativeBeforeEpoch)
        #expect(error("-999999999d999999999h") == .relativeBeforeEpoch)
        #expect(throws: Never.self) { try CursorSpec.parse("-1s", nowMicros: 1_000_000, allowNow: false) }
        #expect(throws: CursorSpecError.relativeBeforeEpoch) { try CursorSpec.parse("-2s", nowMicros: 1_000_000, allowNow: false) }
    }

    // MARK: seq:, live, now

    @Test func sequenceNumbersAreKeptAsTheyAre() throws {
        #expect(try parse("seq:469083") == .sequence(469_083))
        #expect(try parse("seq:0") == .sequence(0))
        #expect(try parse("seq:999999999999999") == .sequence(999_999_999_999_999))
    }

    @Test func sequenceNumbersMustBeDigitsBelowTheTimeThreshold() {
        #expect(error("seq:") == .invalidSequence)
        #expect(error("seq:-1") == .invalidSequence)
        #expect(error("seq:12a") == .invalidSequence)
        #expect(error("seq:1000000000000000") == .sequenceTooLarge)
        #expect(error("seq:99999999999999999999999") == .sequenceTooLarge)
        #expect(error("SEQ:5") == .unrecognized(allowNow: false))
    }

    @Test func liveMeansNoCursor() throws {
        #expect(try parse("live") == .live)
        #expect(try parse("live", allowNow: true) == .live)
    }

    @Test func nowOnlyWhereAllowed() throws {
        #expect(try parse("now", allowNow: true) == .now)
        #expect(error("now") == .nowNotAllowed)
    }

    // MARK: On the wire

    @Test func wireValuesAreWhatTheServerReads() {
        #expect(CursorSpec.micros(1_732_350_000_000_000).wireValue == 1_732_350_000_000_000)
        #expect(CursorSpec.sequence(469_083).wireValue == 469_083)
        #expect(CursorSpec.sequence(.max).wireValue == .max)
        #expect(CursorSpec.live.wireValue == nil)
        #expect(CursorSpec.now.wireValue == nil)
    }

    @Test func timesBefore2001AreRaisedSoV2ServersDoNotReadASequenceNumber() {
        #expect(CursorSpec.micros(0).wireValue == CursorSpec.firstMicros)
        #expect(CursorSpec.micros(951_782_400_000_000).wireValue == CursorSpec.firstMicros)
        #expect(CursorSpec.micros(CursorSpec.firstMicros).wireValue == CursorSpec.firstMicros)
    }

    // MARK: Everything else

    @Test(arguments: ["", "yesterday", "Live", "1.5e15", "+15m", "0x10", "17323500000000000x", " 1732350000000000"])
    func unknownFormsListEveryForm(_ text: String) {
        #expect(error(text) == .unrecognized(allowNow: false))
    }

    @Test func theListOfFormsHasAnExampleOfEach() {
        #expect(CursorSpecError.unrecognized(allowNow: false).description
            == "expected unix microseconds (1732350000000000), an RFC 3339 time (2026-11-22T10:00:00Z), a relative time (-15m, -2h, -1d), seq:N, or live")
        #expect(CursorSpecError.unrecognized(allowNow: true).description.hasSuffix("seq:N, live or now"))
    }
}
