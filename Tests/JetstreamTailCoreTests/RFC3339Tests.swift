import Testing
@testable import JetstreamTailCore

@Suite struct RFC3339Tests {
    private func parse(_ text: String) throws(RFC3339Error) -> Int64 { try RFC3339.parse(text) }

    private func error(_ text: String) -> RFC3339Error? {
        do { _ = try RFC3339.parse(text); return nil } catch { return error }
    }

    // MARK: Accepted forms

    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2001-09-09T01:46:40Z", 1_000_000_000_000_000),
        ("2024-11-23T08:20:00Z", 1_732_350_000_000_000),
        ("2026-11-22T10:00:00Z", 1_795_341_600_000_000),
        ("2027-01-01T00:00:00Z", 1_798_761_600_000_000),
        ("1972-01-01T00:30:00Z", 63_073_800_000_000),
        ("9999-12-31T23:59:59.999999Z", 253_402_300_799_999_999),
    ])
    func utcTimes(_ text: String, _ micros: Int64) throws {
        #expect(try parse(text) == micros)
    }

    @Test func offsetsMoveTheInstant() throws {
        #expect(try parse("2026-11-22T10:00:00+01:00") == 1_795_338_000_000_000)
        #expect(try parse("2026-11-22T10:00:00-05:30") == 1_795_361_400_000_000)
        #expect(try parse("2026-11-22T10:00:00+00:00") == 1_795_341_600_000_000)
        #expect(try parse("2026-11-22T10:00:00-00:00") == 1_795_341_600_000_000)
        #expect(try parse("2026-11-22T23:30:00-01:00") == 1_795_341_600_000_000 + 52_200_000_000)
    }

    @Test func anOffsetMayCrossTheYear() throws {
        #expect(try parse("2026-12-31T23:30:00-01:00") == 1_798_761_600_000_000 + 1_800_000_000)
        #expect(try parse("2027-01-01T00:30:00+01:00") == 1_798_761_600_000_000 - 1_800_000_000)
    }

    @Test func fractionsOfOneToNineDigitsTruncateToMicroseconds() throws {
        let base: Int64 = 1_795_341_600_000_000
        #expect(try parse("2026-11-22T10:00:00.5Z") == base + 500_000)
        #expect(try parse("2026-11-22T10:00:00.123Z") == base + 123_000)
        #expect(try parse("2026-11-22T10:00:00.123456Z") == base + 123_456)
        #expect(try parse("2026-11-22T10:00:00.1234567Z") == base + 123_456)
        #expect(try parse("2026-11-22T10:00:00.999999999Z") == base + 999_999)
        #expect(try parse("2026-11-22T10:00:00.000001+01:00") == base - 3_600_000_000 + 1)
    }

    @Test func lowerCaseAndSpaceSeparatorsAreAccepted() throws {
        let base: Int64 = 1_795_341_600_000_000
        #expect(try parse("2026-11-22t10:00:00z") == base)
        #expect(try parse("2026-11-22 10:00:00Z") == base)
    }

    @Test func leapDaysExistInLeapYearsOnly() throws {
        #expect(try parse("2024-02-29T12:00:00Z") == 1_709_208_000_000_000)
        #expect(try parse("2000-02-29T00:00:00Z") == 951_782_400_000_000)
        #expect(error("2025-02-29T00:00:00Z") == .notALeapYear(2025))
        #expect(error("2100-02-29T00:00:00Z") == .notALeapYear(2100))
        #expect(try parse("2100-03-01T00:00:00Z") == 4_107_542_400_000_000)
    }

    @Test func aLeapSecondIsTheStartOfTheNextMinute() throws {
        #expect(try parse("2026-12-31T23:59:60Z") == 1_798_761_600_000_000)
    }

    // MARK: Ranges

    @Test func yearsOutside1970To9999AreRefused() {
        #expect(error("1969-12-31T23:59:59Z") == .outOfRange(field: "year", value: 1969, range: "1970 to 9999"))
        #expect(error("0000-01-01T00:00:00Z") == .outOfRange(field: "year", value: 0, range: "1970 to 9999"))
        #expect(error("10000-01-01T00:00:00Z") == .wrongDigitCount(field: "year", digits: 4))
    }

    @Test func offsetsCannotLeaveTheRange() {
        #expect(error("1970-01-01T00:00:00+00:01") == .beforeEpoch)
        #expect(error("9999-12-31T23:59:59-00:01") == .afterYear9999)
    }

    @Test(arguments: [
        ("2026-00-01T00:00:00Z", RFC3339Error.outOfRange(field: "month", value: 0, range: "01 to 12")),
        ("2026-13-01T00:00:00Z", .outOfRange(field: "month", value: 13, range: "01 to 12")),
        ("2026-01-00T00:00:00Z", .outOfRange(field: "day", value: 0, range: "01 to 31")),
        ("2026-01-32T00:00:00Z", .outOfRange(field: "day", value: 32, range: "01 to 31")),
        ("2026-04-31T00:00:00Z", .outOfRange(field: "day", value: 31, range: "01 to 30")),
        ("2026-02-30T00:00:00Z", .outOfRange(field: "day", value: 30, range: "01 to 28")),
        ("2024-02-30T00:00:00Z", .outOfRange(field: "day", value: 30, range: "01 to 29")),
        ("2026-01-01T24:00:00Z", .outOfRange(field: "hour", value: 24, range: "00 to 23")),
        ("2026-01-01T00:60:00Z", .outOfRange(field: "minute", value: 60, range: "00 to 59")),
        ("2026-01-01T00:00:61Z", .outOfRange(field: "second", value: 61, range: "00 to 60")),
        ("2026-01-01T00:00:00+24:00", .outOfRange(field: "offset hour", value: 24, range: "00 to 23")),
        ("2026-01-01T00:00:00+01:60", .outOfRange(field: "offset minute", value: 60, range: "00 to 59")),
    ])
    func fieldsOutOfRangeAreNamed(_ text: String, _ expected: RFC3339Error) {
        #expect(error(text) == expected)
    }

    // MARK: Malformed

    @Test(arguments: [
        ("2026-11-22", RFC3339Error.missingTime),
        ("2026-11-22T10:00:00", .missingOffset),
        ("2026-11-22T10:00Z", .expected("':' after the minute")),
        ("2026-11-22T10:00:00.Z", .expected("digits after '.'")),
        ("2026-11-22T10:00:00.1234567890Z", .fractionTooLong),
        ("2026-11-22T10:00:00Z ", .trailingCharacters),
        ("2026-11-22T10:00:00+0100", .expected("':' in the offset, as in +01:00")),
        ("2026-11-22T10:00:00+1:00", .wrongDigitCount(field: "offset hour", digits: 2)),
        ("2026-11-22T10:00:00 UTC", .expected("Z or an offset such as +01:00 after the time")),
        ("2026-1-22T10:00:00Z", .wrongDigitCount(field: "month", digits: 2)),
        ("2026-11-022T10:00:00Z", .wrongDigitCount(field: "day", digits: 2)),
        ("2026/11/22T10:00:00Z", .expected("'-' after the year")),
        ("2026-11-22_10:00:00Z", .expected("'T' between the date and the time")),
        ("2026-11-22T1:00:00Z", .wrongDigitCount(field: "hour", digits: 2)),
    ])
    func malformedTextSaysWhatWasExpected(_ text: String, _ expected: RFC3339Error) {
        #expect(error(text) == expected)
    }

    @Test func nonASCIIDigitsAreNotDigits() {
        #expect(error("２０２６-11-22T10:00:00Z") == .wrongDigitCount(field: "year", digits: 4))
    }

    // MARK: Formatting and the calendar

    @Test func formatWritesUTCWithSixFractionDigits() {
        #expect(RFC3339.format(micros: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(RFC3339.format(micros: 1_732_350_000_123_456) == "2024-11-23T08:20:00.123456Z")
        #expect(RFC3339.format(micros: 1_709_208_000_000_001) == "2024-02-29T12:00:00.000001Z")
        #expect(RFC3339.format(micros: RFC3339.maxMicros) == "9999-12-31T23:59:59.999999Z")
    }

    @Test func formatClampsToTheRange() {
        #expect(RFC3339.format(micros: -1) == "1970-01-01T00:00:00.000000Z")
        #expect(RFC3339.format(micros: .max) == "9999-12-31T23:59:59.999999Z")
    }

    @Test func formatAndParseRoundTrip() throws {
        for micros: Int64 in [0, 1, 951_782_399_999_999, 1_732_350_000_123_456, 4_107_542_399_999_999, RFC3339.maxMicros] {
            #expect(try parse(RFC3339.format(micros: micros)) == micros)
        }
    }

    @Test func everyDayFrom1970To2500MapsBothWays() {
        var days: Int64 = 0
        for year: Int64 in 1970...2500 {
            for month: Int64 in 1...12 {
                for day in 1...CivilDate.daysIn(month: month, year: year) {
                    if CivilDate.daysSinceEpoch(year: year, month: month, day: day) != days
                        || CivilDate(daysSinceEpoch: days) != CivilDate(year: year, month: month, day: day) {
                        Issue.record("\(year)-\(month)-\(day) is not day \(days)")
                        return
                    }
                    days += 1
                }
            }
        }
    }

    @Test func leapYearRule() {
        #expect(CivilDate.isLeap(2024))
        #expect(CivilDate.isLeap(2000))
        #expect(!CivilDate.isLeap(1900))
        #expect(!CivilDate.isLeap(2100))
        #expect(!CivilDate.isLeap(2026))
    }

    @Test func descriptionsReadAfterTheirPrefix() {
        #expect(RFC3339Error.missingOffset.description == "no time zone: add Z for UTC or an offset such as +01:00")
        #expect(RFC3339Error.notALeapYear(2025).description == "February 2025 has no 29th: 2025 is not a leap year")
        #expect(RFC3339Error.outOfRange(field: "month", value: 13, range: "01 to 12").description == "month 13 is not from 01 to 12")
    }
}
