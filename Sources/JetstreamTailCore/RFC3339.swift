/// RFC 3339 timestamps to and from unix microseconds, with the calendar arithmetic done here rather
/// than by Foundation, whose date types the core does not link.
///
/// Accepted (RFC 3339 §5.6 `date-time`): `2026-11-22T10:00:00Z`, a fraction of 1 to 9 digits
/// (`10:00:00.5Z`, `10:00:00.123456789Z`; digits past the sixth are dropped, not rounded, so a
/// nanosecond time never moves into the next microsecond), a numeric offset (`+01:00`, `-05:30`,
/// `-00:00`), lower-case `t` and `z` ("may alternatively be lower case t or z", §5.6 NOTE), and a
/// space instead of `T`, which the same note permits "for the sake of readability". The year is
/// limited to 1970...9999: unix time starts in 1970 and four digits end in 9999. A leap second
/// (`23:59:60Z`) is accepted, as §5.6 requires, and counted as the first instant of the next
/// minute, since unix time has no leap seconds.
public enum RFC3339 {
    /// The last microsecond that four year digits can write: 9999-12-31T23:59:59.999999Z.
    public static let maxMicros: Int64 = 253_402_300_799_999_999

    /// Reads a complete RFC 3339 date-time into unix microseconds.
    public static func parse(_ text: String) throws(RFC3339Error) -> Int64 {
        var reader = DigitReader(Array(text.utf8))
        let year = try reader.number(digits: 4, field: "year")
        try reader.expect(UInt8(ascii: "-"), "'-' after the year")
        let month = try reader.number(digits: 2, field: "month")
        try reader.expect(UInt8(ascii: "-"), "'-' after the month")
        let day = try reader.number(digits: 2, field: "day")
        guard reader.take(where: { $0 == UInt8(ascii: "T") || $0 == UInt8(ascii: "t") || $0 == UInt8(ascii: " ") }) != nil else {
            throw reader.atEnd ? .missingTime : .expected("'T' between the date and the time")
        }
        let hour = try reader.number(digits: 2, field: "hour")
        try reader.expect(UInt8(ascii: ":"), "':' after the hour")
        let minute = try reader.number(digits: 2, field: "minute")
        try reader.expect(UInt8(ascii: ":"), "':' after the minute")
        let second = try reader.number(digits: 2, field: "second")

        var fraction: Int64 = 0
        if reader.take(where: { $0 == UInt8(ascii: ".") }) != nil {
            var count = 0
            while let digit = reader.take(where: isDigit) {
                count += 1
                if count > 9 { throw .fractionTooLong }
                if count <= 6 { fraction = fraction * 10 + Int64(digit - UInt8(ascii: "0")) }
            }
            if count == 0 { throw .expected("digits after '.'") }
            for _ in count..<max(count, 6) { fraction *= 10 }
        }

        var offsetSeconds: Int64 = 0
        if reader.take(where: { $0 == UInt8(ascii: "Z") || $0 == UInt8(ascii: "z") }) != nil {
            offsetSeconds = 0
        } else if let sign = reader.take(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }) {
            if reader.digitsAhead() == 4 { throw .expected("':' in the offset, as in +01:00") }
            let offsetHour = try reader.number(digits: 2, field: "offset hour")
            try reader.expect(UInt8(ascii: ":"), "':' in the offset, as in +01:00")
            let offsetMinute = try reader.number(digits: 2, field: "offset minute")
            guard offsetHour <= 23 else { throw .outOfRange(field: "offset hour", value: offsetHour, range: "00 to 23") }
            guard offsetMinute <= 59 else { throw .outOfRange(field: "offset minute", value: offsetMinute, range: "00 to 59") }
            offsetSeconds = (offsetHour * 3600 + offsetMinute * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
        } else {
            throw reader.atEnd ? .missingOffset : .expected("Z or an offset such as +01:00 after the time")
        }
        guard reader.atEnd else { throw .trailingCharacters }

        guard (1970...9999).contains(year) else { throw .outOfRange(field: "year", value: year, range: "1970 to 9999") }
        guard (1...12).contains(month) else { throw .outOfRange(field: "month", value: month, range: "01 to 12") }
        let monthDays = CivilDate.daysIn(month: month, year: year)
        guard (1...monthDays).contains(day) else {
            if month == 2, day == 29 { throw .notALeapYear(year) }
            throw .outOfRange(field: "day", value: day, range: "01 to \(monthDays)")
        }
        guard hour <= 23 else { throw .outOfRange(field: "hour", value: hour, range: "00 to 23") }
        guard minute <= 59 else { throw .outOfRange(field: "minute", value: minute, range: "00 to 59") }
        guard second <= 60 else { throw .outOfRange(field: "second", value: second, range: "00 to 60") }

        let days = CivilDate.daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        let micros = seconds * 1_000_000 + fraction
        if micros < 0 { throw .beforeEpoch }
        if micros > maxMicros { throw .afterYear9999 }
        return micros
    }

    /// Writes unix microseconds as `2026-11-22T10:00:00.123456Z`, always in UTC with six fraction
    /// digits, so that the text sorts like the number. Values outside 1970...9999 are clamped.
    public static func format(micros: Int64) -> String {
        let clamped = min(max(micros, 0), maxMicros)
        let seconds = clamped / 1_000_000
        let date = CivilDate(daysSinceEpoch: seconds / 86_400)
        let inDay = seconds % 86_400
        return pad(date.year, 4) + "-" + pad(date.month, 2) + "-" + pad(date.day, 2)
            + "T" + pad(inDay / 3600, 2) + ":" + pad(inDay / 60 % 60, 2) + ":" + pad(inDay % 60, 2)
            + "." + pad(clamped % 1_000_000, 6) + "Z"
    }

    private static func pad(_ n: Int64, _ width: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// A day of the proleptic Gregorian calendar, converted to and from a count of days since
/// 1970-01-01 by the era arithmetic described in Howard Hinnant's "chrono-compatible low-level date
/// algorithms": shifting the year to start on March 1st puts the leap day last, so that the days
/// before each month follow the closed form `(153 * m + 2) / 5`, and 400-year eras of 146,097 days
/// repeat exactly.
struct CivilDate: Equatable {
    var year: Int64
    var month: Int64
    var day: Int64

    init(year: Int64, month: Int64, day: Int64) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Days from 0000-03-01 to 1970-01-01.
    private static let epochShift: Int64 = 719_468
    private static let daysPerEra: Int64 = 146_097

    static func isLeap(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (negative before it) of a valid date.
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let marchMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * marchMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * daysPerEra + dayOfEra - epochShift
    }

    /// The date `days` after 1970-01-01.
    init(daysSinceEpoch days: Int64) {
        let z = days + Self.epochShift
        let era = (z >= 0 ? z : z - Self.daysPerEra + 1) / Self.daysPerEra
        let dayOfEra = z - era * Self.daysPerEra
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let marchMonth = (5 * dayOfYear + 2) / 153
        let month = marchMonth < 10 ? marchMonth + 3 : marchMonth - 9
        self.init(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month,
                  day: dayOfYear - (153 * marchMonth + 2) / 5 + 1)
    }
}

/// Reads fixed-width digit fields and single separators from the front of a byte array.
private struct DigitReader {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }

    /// Consumes and returns the next byte if it passes the test.
    mutating func take(where test: (UInt8) -> Bool) -> UInt8? {
        guard position < bytes.count, test(bytes[position]) else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    /// How many digits follow, without consuming them.
    func digitsAhead() -> Int {
        bytes[position...].prefix(while: isDigit).count
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(RFC3339Error) {
        guard take(where: { $0 == byte }) != nil else { throw .expected(what) }
    }

    /// Exactly `digits` decimal digits: RFC 3339 fields have fixed widths (`date-month = 2DIGIT`).
    mutating func number(digits: Int, field: String) throws(RFC3339Error) -> Int64 {
        var value: Int64 = 0
        for _ in 0..<digits {
            guard let d = take(where: isDigit) else { throw .wrongDigitCount(field: field, digits: digits) }
            value = value * 10 + Int64(d - UInt8(ascii: "0"))
        }
        if position < bytes.count, isDigit(bytes[position]) { throw .wrongDigitCount(field: field, digits: digits) }
        return value
    }
}

private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

/// Why a text is not an RFC 3339 date-time this tool accepts. The description completes the phrase
/// "not an RFC 3339 time: ".
public enum RFC3339Error: Error, Equatable, CustomStringConvertible {
    /// "date-fullyear = 4DIGIT", "date-month = 2DIGIT", and so on: every field has a fixed width.
    case wrongDigitCount(field: String, digits: Int)
    /// A separator or part is missing or wrong.
    case expected(String)
    /// A date alone names no instant.
    case missingTime
    /// A local time without offset is ambiguous; RFC 3339 requires `Z` or `±hh:mm`.
    case missingOffset
    /// More than nanoseconds: almost certainly a mistake, and never needed for microsecond cursors.
    case fractionTooLong
    /// Something follows the offset.
    case trailingCharacters
    /// A field is outside its calendar or clock range.
    case outOfRange(field: String, value: Int64, range: String)
    /// February 29th of a year that has none.
    case notALeapYear(Int64)
    /// The offset moves the time before the unix epoch.
    case beforeEpoch
    /// The offset moves the time past 9999-12-31T23:59:59.999999Z.
    case afterYear9999

    public var description: String {
        switch self {
        case let .wrongDigitCount(field, digits): return "the \(field) must have \(digits) digits"
        case let .expected(what): return "expected \(what)"
        case .missingTime: return "a time of day is needed after the date, as in 2026-11-22T10:00:00Z"
        case .missingOffset: return "no time zone: add Z for UTC or an offset such as +01:00"
        case .fractionTooLong: return "at most 9 digits of fraction are accepted"
        case .trailingCharacters: return "unexpected characters after the time zone"
        case let .outOfRange(field, value, range): return "\(field) \(value) is not from \(range)"
        case let .notALeapYear(year): return "February \(year) has no 29th: \(year) is not a leap year"
        case .beforeEpoch: return "the time is before 1970-01-01T00:00:00Z"
        case .afterYear9999: return "the time is after 9999-12-31T23:59:59.999999Z"
        }
    }
}
