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

    @Test func theHintPointsToHelp() {
        #expect(UsageError.hint == "Try 'jetstream-tail --help' for more information.")
    }
}
