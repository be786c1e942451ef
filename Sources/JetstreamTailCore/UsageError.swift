/// A command line the tool cannot run: exit status 2, nothing sent to any server.
///
/// The description is one line naming the option and what was wrong with it. The caller prints it
/// as `jetstream-tail: <description>`, followed by `UsageError.hint`. Options are always named by
/// their long spelling, even when the short one was typed, so the message points at the manual entry.
public enum UsageError: Error, Equatable, CustomStringConvertible {
    /// No option is spelled this way; `suggestion` is the nearest real one, if any is close.
    case unknownOption(String, suggestion: String?)
    /// The option takes a value and none followed it.
    case missingValue(option: String)
    /// The option is a switch and was given a value, as in `--quiet=yes`.
    case unexpectedValue(option: String)
    /// The value does not have the form the option needs; `reason` says what was expected.
    case invalidValue(String, option: String, reason: String)
    /// The value is below the option's smallest accepted value.
    case belowMinimum(option: String, minimum: String)
    /// The value is above the option's largest accepted value.
    case aboveMaximum(option: String, maximum: String)
    /// The value must be strictly positive.
    case notPositive(option: String)
    /// A file named by the option cannot be opened for reading; `reason` is the system's word for it.
    case unreadableFile(String, option: String, reason: String)
    /// A repeatable option was given more distinct values than the server accepts.
    case tooMany(option: String, count: Int, maximum: Int)
    /// The option's value must come after the other option's value.
    case notLater(option: String, than: String)
    /// The tool takes no operands; `suggestion` is the option the word probably belongs to.
    case unexpectedArgument(String, suggestion: String?)
    /// The option has no effect unless `other` is given too.
    case requires(option: String, other: String)
    /// The option has no effect when `other` is given.
    case conflicts(option: String, other: String)
    /// A value read from a list (`@FILE` or `-`) is wrong; the list's name and the 1-based line say where.
    indirect case inList(String, line: Int, UsageError)
    /// A value read from an environment variable (`JETSTREAM_TAIL_…`) is wrong; the variable is named.
    indirect case inEnvironment(String, UsageError)

    /// The second line printed after a usage error, as jq and GNU tools do.
    public static let hint = "Try 'jetstream-tail --help' for more information."

    /// The message, with anything the user typed that holds a control character (a line break
    /// pasted into a value, an escape sequence; it may be quoted by the reason too) written as
    /// escapes, so the message stays one line of text and shows exactly what was wrong.
    public var description: String { Diagnostics.escapingControls(text) }

    private var text: String {
        switch self {
        case let .unknownOption(option, suggestion):
            return "unknown option '\(option)'" + (suggestion.map { " (did you mean '\($0)'?)" } ?? "")
        case let .missingValue(option):
            return "option '\(option)' needs a value"
        case let .unexpectedValue(option):
            return "option '\(option)' takes no value"
        case let .invalidValue(value, option, reason):
            return "invalid value '\(value)' for '\(option)': \(reason)"
        case let .belowMinimum(option, minimum):
            return "'\(option)' must be at least \(minimum)"
        case let .aboveMaximum(option, maximum):
            return "'\(option)' must be at most \(maximum)"
        case let .notPositive(option):
            return "'\(option)' must be greater than 0"
        case let .unreadableFile(path, option, reason):
            return "cannot read '\(path)' given to '\(option)': \(reason)"
        case let .tooMany(option, count, maximum):
            return "too many '\(option)' values: \(count) given, the server accepts at most \(maximum)"
        case let .notLater(option, than):
            return "'\(option)' must be later than '\(than)'"
        case let .unexpectedArgument(argument, suggestion):
            return "unexpected argument '\(argument)': jetstream-tail takes options only"
                + (suggestion.map { " (did you mean '\($0)'?)" } ?? "")
        case let .requires(option, other):
            return "'\(option)' is only used with '\(other)'"
        case let .conflicts(option, other):
            return "'\(option)' cannot be combined with '\(other)', which replaces it"
        case let .inList(name, line, error):
            return "\(name == "-" ? "standard input" : name):\(line): \(error.text)"
        case let .inEnvironment(variable, error):
            return "\(variable): \(error.text)"
        }
    }
}
