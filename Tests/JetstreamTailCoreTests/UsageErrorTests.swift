import Testing
@testable import JetstreamTailCore

@Suite struct UsageErrorTests {
    @Test(arguments: [
        (UsageError.unknownOption("--colection", suggestion: "--collection"), "unknown option '--colection' (did you mean '--collection'?)"),
        (.unknownOption("-x", suggestion: nil), "unknown option '-x'"),
        (.missingValue(option: "--limit"), "option '--limit' needs a value"),
        (.unexpectedValue(option: "--quiet"), "option '--quiet' takes no value"),
        (.invalidValue("abc", option: "--limit", reason: "expected a whole number"), "invalid value 'abc' for '--limit': expected a whole number"),
        (.belowMinimum(option: "--limit", minimum: "1"), "'--limit' must be at least 1"),
        (.aboveMaximum(option: "--max-message-size", maximum: "1GiB"), "'--max-message-size' must be at most 1GiB"),
        (.notPositive(option: "--connect-timeout"), "'--connect-timeout' must be greater than 0"),
        (.unreadableFile("ca.pem", option: "--cacert", reason: "Permission denied"), "cannot read 'ca.pem' given to '--cacert': Permission denied"),
        (.tooMany(option: "--did", count: 10_001, maximum: 10_000), "too many '--did' values: 10001 given, the server accepts at most 10000"),
        (.notLater(option: "--until", than: "--cursor"), "'--until' must be later than '--cursor'"),
        (.unexpectedArgument("x", suggestion: nil), "unexpected argument 'x': jetstream-tail takes options only"),
        (.unexpectedArgument("did:plc:a", suggestion: "--did did:plc:a"), "unexpected argument 'did:plc:a': jetstream-tail takes options only (did you mean '--did did:plc:a'?)"),
        (.requires(option: "--zstd-dict", other: "--compress"), "'--zstd-dict' is only used with '--compress'"),
        (.conflicts(option: "--zstd-dict-url", other: "--zstd-dict"), "'--zstd-dict-url' cannot be combined with '--zstd-dict', which replaces it"),
        (.inList("dids.txt", line: 3, .invalidValue("did:x", option: "--did", reason: "bad")), "dids.txt:3: invalid value 'did:x' for '--did': bad"),
        (.inList("-", line: 1, .invalidValue("a", option: "--handle", reason: "bad")), "standard input:1: invalid value 'a' for '--handle': bad"),
        (.inEnvironment("JETSTREAM_TAIL_LIMIT", .invalidValue("x", option: "--limit", reason: "expected a whole number")),
         "JETSTREAM_TAIL_LIMIT: invalid value 'x' for '--limit': expected a whole number"),
    ] as [(UsageError, String)])
    func descriptionsAreOneLineNamingTheOption(_ error: UsageError, _ expected: String) {
        #expect(error.description == expected)
    }

    /// A value can hold anything the shell passes: a pasted line break, a CR, an escape sequence,
    /// a C1 control. The message shows them as escapes, wherever they appear in it (the value, a
    /// reason that quotes it, a list's name), and stays one line a terminal prints as text.
    @Test(arguments: [
        (UsageError.invalidValue("did:plc:a\ndid:plc:b", option: "--did", reason: "bad"),
         #"invalid value 'did:plc:a\ndid:plc:b' for '--did': bad"#),
        (.unknownOption("--col\r\nlection", suggestion: nil), #"unknown option '--col\r\nlection'"#),
        (.unexpectedArgument("\u{1B}[2J", suggestion: nil), #"unexpected argument '\u{1b}[2J': jetstream-tail takes options only"#),
        (.invalidValue("a\u{9B}31m", option: "--host", reason: "'a\u{9B}31m' is not a host name"),
         #"invalid value 'a\u{9b}31m' for '--host': 'a\u{9b}31m' is not a host name"#),
        (.inList("my\nlist", line: 2, .invalidValue("x\u{0}", option: "--did", reason: "bad")),
         #"my\nlist:2: invalid value 'x\u{0}' for '--did': bad"#),
        (.inEnvironment("JETSTREAM_TAIL_HOST", .invalidValue("h\u{7F}", option: "--host", reason: "bad")),
         #"JETSTREAM_TAIL_HOST: invalid value 'h\u{7f}' for '--host': bad"#),
        (.invalidValue("tab\tand café ✓", option: "--handle", reason: "bad"), #"invalid value 'tab\tand café ✓' for '--handle': bad"#),
    ] as [(UsageError, String)])
    func controlCharactersAreShownAsEscapes(_ error: UsageError, _ expected: String) {
        #expect(error.description == expected)
    }

    @Test func theHintPointsToHelp() {
        #expect(UsageError.hint == "Try 'jetstream-tail --help' for more information.")
    }
}
