/// A point in the stream as `--cursor` and `--until` write it.
///
/// Jetstream's `cursor` parameter is one integer read two ways: legacy servers take it as unix
/// microseconds; v2 servers take a value below 10^15 as their own sequence number and anything at
/// or above it as microseconds. Plain integers here are therefore always microseconds and must
/// have 16 digits (from 2001-09-09 on), which also catches times written in seconds or
/// milliseconds; a sequence number is written `seq:N` so it can never be mistaken for a time.
public enum CursorSpec: Equatable, Sendable {
    /// Unix microseconds, the unit of an event's `time_us`.
    case micros(Int64)
    /// A v2 server's sequence number, the `cursor` field of its events, sent as it is.
    case sequence(UInt64)
    /// `live`: no cursor, start with the next live event.
    case live
    /// `now`, accepted only where `allowNow` is set (for `--until`): the caller's start time.
    case now

    /// Smallest value a v2 server reads as microseconds rather than as a sequence number
    /// (`CursorSeqMaxThreshold`, 10^15 = 2001-09-09T01:46:40Z).
    public static let firstMicros: Int64 = 1_000_000_000_000_000

    /// The integer to send as `cursor=`; nil for `live` and `now`, which send none.
    ///
    /// Microseconds below 10^15 (RFC 3339 times before 2001-09-09) are raised to 10^15: a v2
    /// server would read the smaller number as a sequence number, while every server keeps far
    /// less than those 25 years, so both values mean "the oldest event kept".
    public var wireValue: Int64? {
        switch self {
        case let .micros(n): return max(n, Self.firstMicros)
        case let .sequence(n): return Int64(min(n, UInt64(Int64.max)))
        case .live, .now: return nil
        }
    }

    /// Reads one value. Relative times (`-15m`) are resolved against `nowMicros` at once, so a
    /// run's start point does not drift while it connects and retries.
    ///
    /// Forms: `1732350000000000` (unix µs, 16 digits or more), `2026-11-22T10:00:00Z` and the rest
    /// of RFC 3339 (see `RFC3339`), `-90s`, `-15m`, `-2h`, `-1d` and combinations written from the
    /// largest unit down (`-1d12h`, `-1h30m`), `seq:469083`, `live`, and `now` when `allowNow`.
    public static func parse(_ text: String, nowMicros: Int64, allowNow: Bool) throws(CursorSpecError) -> CursorSpec {
        let bytes = Array(text.utf8)
        switch text {
        case "live": return .live
        case "now": if allowNow { return .now } else { throw .nowNotAllowed }
        default: break
        }
        if text.hasPrefix("seq:") {
            return .sequence(try sequence(bytes.dropFirst(4)))
        }
        if bytes.first == UInt8(ascii: "-") {
            return .micros(try relative(bytes.dropFirst(), nowMicros: nowMicros))
        }
        if looksLikeDate(bytes) {
            do throws(RFC3339Error) {
                return .micros(try RFC3339.parse(text))
            } catch {
                throw .invalidTime(error)
            }
        }
        if !bytes.isEmpty, bytes.allSatisfy(isDigit) {
            return .micros(try micros(bytes))
        }
        throw .unrecognized(allowNow: allowNow)
    }

    /// `YYYY-` starts a date: enough to report what is wrong with it rather than list every form.
    private static func looksLikeDate(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 5 && bytes.prefix(4).allSatisfy(isDigit) && bytes[4] == UInt8(ascii: "-")
    }

    /// Digits for microseconds, with a hint for the units people paste by mistake: 10 digits are a
    /// `date +%s` in seconds, 13 a JavaScript `Date.now()` in milliseconds.
    private static func micros(_ digits: [UInt8]) throws(CursorSpecError) -> Int64 {
        let significant = digits.drop(while: { $0 == UInt8(ascii: "0") })
        guard significant.count <= 18 else { throw .afterYear9999 }
        let n = value(of: significant)
        if n > RFC3339.maxMicros { throw .afterYear9999 }
        if n >= firstMicros { return n }
        switch significant.count {
        case 9...10: throw .looksLikeSeconds(suggestion: n * 1_000_000)
        case 12...13: throw .looksLikeMilliseconds(suggestion: n * 1_000)
        default: throw .tooSmall
        }
    }

    /// `seq:` followed by decimal digits, below 10^15 because a v2 server reads larger values as times.
    private static func sequence(_ digits: ArraySlice<UInt8>) throws(CursorSpecError) -> UInt64 {
        guard !digits.isEmpty, digits.allSatisfy(isDigit) else { throw .invalidSequence }
        let significant = digits.drop(while: { $0 == UInt8(ascii: "0") })
        guard significant.count <= 15, case let n = value(of: significant), n < firstMicros else { throw .sequenceTooLarge }
        return UInt64(n)
    }

    /// `90s`, `15m`, `2h`, `1d`, `1h30m` (after the `-`): the time that long before `nowMicros`.
    private static func relative(_ body: ArraySlice<UInt8>, nowMicros: Int64) throws(CursorSpecError) -> Int64 {
        let units: [(UInt8, Int64)] = [
            (UInt8(ascii: "d"), 86_400_000_000), (UInt8(ascii: "h"), 3_600_000_000),
            (UInt8(ascii: "m"), 60_000_000), (UInt8(ascii: "s"), 1_000_000),
        ]
        var total: Int64 = 0
        var rest = body
        var nextUnit = 0
        guard !rest.isEmpty else { throw .invalidRelative }
        while !rest.isEmpty {
            let digits = rest.prefix(while: isDigit)
            rest = rest.dropFirst(digits.count)
            guard !digits.isEmpty, digits.count <= 9, let unit = rest.first,
                  let index = units[nextUnit...].firstIndex(where: { $0.0 == unit })
            else { throw .invalidRelative }
            rest = rest.dropFirst()
            nextUnit = index + 1
            let (span, overflow) = value(of: digits).multipliedReportingOverflow(by: units[index].1)
            if overflow || span > nowMicros - total { throw .relativeBeforeEpoch }
            total += span
        }
        return nowMicros - total
    }

    /// The value of at most 18 decimal digits, which always fits in an `Int64`.
    private static func value(of digits: some Collection<UInt8>) -> Int64 {
        digits.reduce(0) { $0 * 10 + Int64($1 - UInt8(ascii: "0")) }
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
}

/// Why a `--cursor` or `--until` value cannot be read. Each description is the reason part of a
/// usage message, so it reads after "invalid value '…' for '--cursor': ".
public enum CursorSpecError: Error, Equatable, CustomStringConvertible {
    /// None of the forms; the message lists an example of each.
    case unrecognized(allowNow: Bool)
    /// A 9- or 10-digit number: unix seconds, as `date +%s` prints.
    case looksLikeSeconds(suggestion: Int64)
    /// A 12- or 13-digit number: unix milliseconds, as JavaScript's `Date.now()` returns.
    case looksLikeMilliseconds(suggestion: Int64)
    /// Below 10^15 a v2 server would read the number as a sequence number, not a time.
    case tooSmall
    /// Past 9999-12-31T23:59:59.999999Z.
    case afterYear9999
    /// Starts like an RFC 3339 time but is not one.
    case invalidTime(RFC3339Error)
    /// `-` not followed by amounts with units d, h, m, s from largest to smallest.
    case invalidRelative
    /// Goes back further than 1970.
    case relativeBeforeEpoch
    /// `seq:` not followed by digits.
    case invalidSequence
    /// A v2 server reads values from 10^15 up as microseconds, so no sequence number reaches them.
    case sequenceTooLarge
    /// `now` as a start point would only mean `live`.
    case nowNotAllowed

    public var description: String {
        switch self {
        case let .unrecognized(allowNow):
            return "expected unix microseconds (1732350000000000), an RFC 3339 time (2026-11-22T10:00:00Z), "
                + "a relative time (-15m, -2h, -1d), seq:N, " + (allowNow ? "live or now" : "or live")
        case let .looksLikeSeconds(suggestion):
            return "this looks like unix seconds; in microseconds it is \(suggestion)"
        case let .looksLikeMilliseconds(suggestion):
            return "this looks like unix milliseconds; in microseconds it is \(suggestion)"
        case .tooSmall:
            return "unix microseconds have 16 digits, such as 1732350000000000; for a v2 sequence number write seq:N"
        case .afterYear9999:
            return "the time is after 9999-12-31T23:59:59.999999Z"
        case let .invalidTime(error):
            return "not an RFC 3339 time (such as 2026-11-22T10:00:00Z): \(error)"
        case .invalidRelative:
            return "a relative time is a minus sign and amounts with units d, h, m, s from the largest down, such as -90s, -15m, -2h, -1d or -1h30m"
        case .relativeBeforeEpoch:
            return "the time would be before 1970"
        case .invalidSequence:
            return "expected digits after 'seq:', as in seq:469083"
        case .sequenceTooLarge:
            return "sequence numbers stop below 1000000000000000; larger values are times"
        case .nowNotAllowed:
            return "'now' is only accepted by --until; to start with live events write live"
        }
    }
}
