import Testing
@testable import JetstreamTailCore

/// Runs the parser and returns the configuration, recording an issue for anything but `.run`.
private func config(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> StreamConfig {
    let command = try Arguments.parse(args, environment: [:])
    guard case let .run(c) = command else {
        Issue.record("expected .run, got \(command)", sourceLocation: sourceLocation)
        return StreamConfig()
    }
    return c
}

/// The usage message the parser gives, or nil if it accepted the arguments.
private func message(_ args: [String]) -> String? {
    do {
        _ = try Arguments.parse(args, environment: [:])
        return nil
    } catch {
        return error.description
    }
}

private let readableFile = String(#filePath)
/// Package.swift, three directories up from this file.
private let packageManifest = readableFile.split(separator: "/", omittingEmptySubsequences: false)
    .dropLast(3).joined(separator: "/") + "/Package.swift"

@Suite struct ArgumentsTests {
    // MARK: Defaults and every flag in every form

    @Test func noArgumentsRunWithTheDefaults() throws {
        #expect(try Arguments.parse([], environment: [:]) == .run(StreamConfig()))
    }

    @Test(arguments: [["--host", "localhost:6008"], ["--host=localhost:6008"]])
    func hostAcceptsEveryForm(_ args: [String]) throws {
        #expect(try config(args).endpoints == [Endpoint(scheme: .wss, host: "localhost", port: 6008)])
    }

    @Test(arguments: [
        ["--collection", "app.bsky.feed.post"], ["--collection=app.bsky.feed.post"],
        ["-c", "app.bsky.feed.post"], ["-capp.bsky.feed.post"], ["-c=app.bsky.feed.post"],
    ])
    func collectionAcceptsEveryForm(_ args: [String]) throws {
        #expect(try config(args).wantedCollections == ["app.bsky.feed.post"])
    }

    @Test(arguments: [
        ["--did", "did:plc:z72i7hdynmk6r22z27h6tvur"], ["--did=did:plc:z72i7hdynmk6r22z27h6tvur"],
        ["-d", "did:plc:z72i7hdynmk6r22z27h6tvur"], ["-ddid:plc:z72i7hdynmk6r22z27h6tvur"],
        ["-d=did:plc:z72i7hdynmk6r22z27h6tvur"],
    ])
    func didAcceptsEveryForm(_ args: [String]) throws {
        #expect(try config(args).wantedDids == ["did:plc:z72i7hdynmk6r22z27h6tvur"])
    }

    @Test(arguments: [["--cursor", "1725911162329308"], ["--cursor=1725911162329308"]])
    func cursorAcceptsEveryForm(_ args: [String]) throws {
        #expect(try config(args).startCursor == .micros(1_725_911_162_329_308))
        #expect(try config(args).cursor == 1_725_911_162_329_308)
    }

    /// 2026-11-22T10:00:00Z, the present for relative times.
    private static let now: Int64 = 1_795_341_600_000_000

    private func parsed(_ args: [String]) throws -> StreamConfig {
        guard case let .run(c) = try Arguments.parse(args, nowMicros: Self.now) else { throw UsageError.missingValue(option: "run") }
        return c
    }

    @Test func cursorTakesEveryCursorForm() throws {
        #expect(try parsed(["--cursor", "2026-11-22T11:00:00.5+01:00"]).startCursor == .micros(Self.now + 500_000))
        #expect(try parsed(["--cursor", "-15m"]).startCursor == .micros(Self.now - 900_000_000))
        #expect(try parsed(["--cursor=-1h30m"]).startCursor == .micros(Self.now - 5_400_000_000))
        #expect(try parsed(["--cursor", "seq:469083"]).startCursor == .sequence(469_083))
        #expect(try parsed(["--cursor", "seq:469083"]).cursor == 469_083)
        #expect(try parsed(["--cursor", "live"]).startCursor == nil)
        #expect(try parsed(["--cursor", "-15m", "--cursor", "live"]).startCursor == nil)
    }

    @Test func untilTakesTheCursorFormsAndNow() throws {
        #expect(try parsed(["--until", "now"]).until == .micros(Self.now))
        #expect(try parsed(["--until", "-1m"]).until == .micros(Self.now - 60_000_000))
        #expect(try parsed(["--until", "2026-11-22T10:00:00Z"]).until == .micros(Self.now))
        #expect(try parsed(["--until", "seq:10"]).until == .sequence(10))
        #expect(try parsed([]).until == nil)
    }

    @Test func untilMustComeAfterTheCursor() throws {
        #expect(try parsed(["--cursor", "-2h", "--until", "-1h"]).until == .micros(Self.now - 3_600_000_000))
        #expect(message(["--cursor", "-1h", "--until", "-2h"]) == "'--until' must be later than '--cursor'")
        #expect(message(["--cursor", "seq:5", "--until", "seq:5"]) == "'--until' must be later than '--cursor'")
        #expect(try parsed(["--cursor", "seq:5", "--until", "now"]).until == .micros(Self.now))
    }

    @Test func cursorFileAndItsSavingOptions() throws {
        let c = try parsed(["--cursor-file", "jt.cursor", "--save-every", "0", "--save-interval", "2.5"])
        #expect(c.cursorFile == "jt.cursor")
        #expect(c.saveEvery == 0)
        #expect(c.saveInterval == 2.5)
        let d = try parsed(["--cursor-file=jt.cursor"])
        #expect(d.saveEvery == StreamConfig().saveEvery)
        #expect(d.saveInterval == StreamConfig().saveInterval)
    }

    @Test func savingOptionsNeedACursorFile() {
        #expect(message(["--save-every", "10"]) == "'--save-every' is only used with '--cursor-file'")
        #expect(message(["--save-interval", "1"]) == "'--save-interval' is only used with '--cursor-file'")
    }

    @Test func noProgressTurnsTheBarOff() throws {
        #expect(try parsed([]).progress)
        #expect(try !parsed(["--no-progress"]).progress)
    }

    @Test(arguments: [["--limit", "5"], ["--limit=5"], ["-n", "5"], ["-n5"], ["-n=5"]])
    func limitAcceptsEveryForm(_ args: [String]) throws {
        #expect(try config(args).limit == 5)
    }

    @Test(arguments: [
        ("65536", 65536), ("1024", 1024), ("512K", 512 << 10), ("512k", 512 << 10), ("512KiB", 512 << 10),
        ("4M", 4 << 20), ("4MiB", 4 << 20), ("4mib", 4 << 20), ("1G", 1 << 30), ("1GiB", 1 << 30),
    ])
    func maxMessageSizeAcceptsBytesAndBinarySuffixes(_ text: String, _ bytes: Int) throws {
        #expect(try config(["--max-message-size", text]).maxMessageSize == bytes)
        #expect(try config(["--max-message-size=\(text)"]).maxMessageSize == bytes)
    }

    @Test(arguments: [("2.5", 2.5), ("30", 30.0), (".5", 0.5), ("1.", 1.0), ("86400", 86400.0)])
    func connectTimeoutAcceptsFractions(_ text: String, _ seconds: Double) throws {
        #expect(try config(["--connect-timeout", text]).connectTimeout == seconds)
        #expect(try config(["--connect-timeout=\(text)"]).connectTimeout == seconds)
    }

    @Test(arguments: [["--cacert", readableFile], ["--cacert=\(readableFile)"]])
    func cacertAcceptsAReadableFile(_ args: [String]) throws {
        #expect(try config(args).caCertPath == readableFile)
    }

    @Test func compressIsASwitch() throws {
        #expect(try config(["--compress"]).compress)
        #expect(try config([]).compress == false)
    }

    @Test(arguments: [
        (["--compress", "--zstd-dict", readableFile], readableFile),
        (["--zstd-dict=\(readableFile)", "--compress"], readableFile),
        (["--compress", "--zstd-dict", "https://example.com/d.zdict"], "https://example.com/d.zdict"),
        (["--compress", "--zstd-dict", "HTTP://127.0.0.1:8080/d"], "HTTP://127.0.0.1:8080/d"),
    ] as [([String], String)])
    func zstdDictAcceptsAReadableFileOrAURL(_ args: [String], _ expected: String) throws {
        let c = try config(args)
        #expect(c.zstdDictionary == expected && c.zstdDictionaryURL == nil)
    }

    @Test func zstdDictURLAcceptsAnHTTPSURL() throws {
        let c = try config(["--compress", "--zstd-dict-url", "https://mirror.example/legacy_subscribe.zdict"])
        #expect(c.zstdDictionaryURL == "https://mirror.example/legacy_subscribe.zdict" && c.zstdDictionary == nil)
    }

    @Test(arguments: [
        (["--zstd-dict", readableFile], "'--zstd-dict' is only used with '--compress'"),
        (["--zstd-dict-url", "https://a.example/d"], "'--zstd-dict-url' is only used with '--compress'"),
        (["--compress", "--zstd-dict", readableFile, "--zstd-dict-url", "https://a.example/d"],
         "'--zstd-dict-url' cannot be combined with '--zstd-dict', which replaces it"),
    ] as [([String], String)])
    func dictionaryOptionsNeedCompressAndExcludeEachOther(_ args: [String], _ expected: String) {
        #expect(message(args) == expected)
    }

    @Test(arguments: [["--insecure"], ["-k"]])
    func insecureAcceptsEveryForm(_ args: [String]) throws {
        #expect(try config(args).insecure)
    }

    @Test(arguments: [("0", 0.0), ("2.5", 2.5), ("60", 60.0)])
    func statsIntervalAcceptsZeroAndFractions(_ text: String, _ seconds: Double) throws {
        #expect(try config(["--stats-interval", text]).statsInterval == seconds)
        #expect(try config(["--stats-interval=\(text)"]).statsInterval == seconds)
    }

    @Test(arguments: [["--quiet"], ["-q"]])
    func quietAcceptsEveryForm(_ args: [String]) throws {
        #expect(try config(args).quiet)
    }

    @Test(arguments: [["--help"], ["-h"], ["-qh"], ["--help", "--bogus"], ["--limit", "3", "--help"]])
    func helpStopsParsing(_ args: [String]) throws {
        #expect(try Arguments.parse(args) == .help)
    }

    @Test(arguments: [["--version"], ["-V"], ["-V", "extra"]])
    func versionStopsParsing(_ args: [String]) throws {
        #expect(try Arguments.parse(args) == .version)
    }

    @Test func errorsBeforeHelpStillCount() {
        #expect(message(["--bogus", "--help"]) == "unknown option '--bogus'")
    }

    // MARK: Bundles, repeats, last wins

    @Test(arguments: [["-qk"], ["-kq"], ["-q", "-k"]])
    func switchesBundle(_ args: [String]) throws {
        let c = try config(args)
        #expect(c.quiet && c.insecure)
    }

    @Test(arguments: [["-qkn5"], ["-qkn", "5"], ["-qkn=5"]])
    func aBundleMayEndWithAnOptionTakingAValue(_ args: [String]) throws {
        let c = try config(args)
        #expect(c.quiet && c.insecure && c.limit == 5)
    }

    @Test func lastValueWinsForSingleValuedOptions() throws {
        let c = try config([
            "--limit", "1", "-n", "2", "--cursor", "seq:5", "--cursor=seq:7", "--max-message-size", "2K",
            "--max-message-size", "8K", "--connect-timeout", "1", "--connect-timeout", "3",
            "--stats-interval", "1", "--stats-interval", "0", "--cacert", packageManifest, "--cacert", readableFile,
        ])
        #expect(c.limit == 2)
        #expect(c.startCursor == .sequence(7))
        #expect(c.maxMessageSize == 8 << 10)
        #expect(c.connectTimeout == 3)
        #expect(c.statsInterval == 0)
        #expect(c.caCertPath == readableFile)
    }

    @Test func collectionsRepeatInOrderWithoutDuplicates() throws {
        let c = try config(["-c", "app.bsky.feed.post", "--collection", "app.bsky.graph.*", "-c", "app.bsky.feed.post"])
        #expect(c.wantedCollections == ["app.bsky.feed.post", "app.bsky.graph.*"])
    }

    @Test func didsRepeatInOrderWithoutDuplicates() throws {
        let c = try config(["-d", "did:plc:b", "--did", "did:plc:a", "-d", "did:plc:b", "--did=did:web:example.com"])
        #expect(c.wantedDids == ["did:plc:b", "did:plc:a", "did:web:example.com"])
    }

    @Test func givenHostsReplaceTheDefaultInOrder() throws {
        let c = try config(["--host", "a.example", "--host", "ws://[::1]:6008"])
        #expect(c.endpoints == [Endpoint(host: "a.example"), Endpoint(scheme: .ws, host: "::1", port: 6008)])
    }

    @Test func exactlyTheServerLimitsAreAccepted() throws {
        let collections = (0..<100).flatMap { ["-c", "com.example.n\($0)"] }
        let dids = (0..<10_000).flatMap { ["-d", "did:plc:\($0)"] }
        let c = try config(collections + collections + dids + ["-d", "did:plc:0"])
        #expect(c.wantedCollections.count == 100)
        #expect(c.wantedDids.count == 10_000)
    }

    @Test func aNegativeNumberIsTakenAsAValue() throws {
        #expect(try parsed(["--cursor", "-5m"]).startCursor == .micros(Self.now - 300_000_000))
        #expect(message(["-n", "-5"]) == "'--limit' must be at least 1")
    }

    // MARK: Options ending and operands

    @Test func doubleDashEndsOptions() throws {
        #expect(try config(["-q", "--"]).quiet)
    }

    @Test func anythingAfterDoubleDashIsAnError() {
        #expect(message(["--", "foo"]) == "unexpected argument 'foo': jetstream-tail takes options only")
        #expect(message(["--", "--quiet"]) == "unexpected argument '--quiet': jetstream-tail takes options only")
    }

    @Test func operandsAreErrorsWithAHintWhenTheirMeaningIsClear() {
        #expect(message(["foo"]) == "unexpected argument 'foo': jetstream-tail takes options only")
        #expect(message(["-"]) == "unexpected argument '-': jetstream-tail takes options only")
        #expect(message(["app.bsky.feed.post"])
            == "unexpected argument 'app.bsky.feed.post': jetstream-tail takes options only (did you mean '--collection app.bsky.feed.post'?)")
        #expect(message(["app.bsky.*"])
            == "unexpected argument 'app.bsky.*': jetstream-tail takes options only (did you mean '--collection app.bsky.*'?)")
        #expect(message(["did:plc:abc"])
            == "unexpected argument 'did:plc:abc': jetstream-tail takes options only (did you mean '--did did:plc:abc'?)")
        #expect(message(["wss://example.com"])
            == "unexpected argument 'wss://example.com': jetstream-tail takes options only (did you mean '--host wss://example.com'?)")
    }

    // MARK: Unknown options

    @Test(arguments: [
        (["--colection", "x"], "unknown option '--colection' (did you mean '--collection'?)"),
        (["--colection=x"], "unknown option '--colection' (did you mean '--collection'?)"),
        (["--limt", "5"], "unknown option '--limt' (did you mean '--limit'?)"),
        (["--hsot", "x"], "unknown option '--hsot' (did you mean '--host'?)"),
        (["--coll", "x"], "unknown option '--coll' (did you mean '--collection'?)"),
        (["--Quiet"], "unknown option '--Quiet' (did you mean '--quiet'?)"),
        (["--verbose"], "unknown option '--verbose'"),
        (["--bogus"], "unknown option '--bogus'"),
        (["-x"], "unknown option '-x'"),
        (["-qx"], "unknown option '-x'"),
        (["-collection", "x"], "unknown option '-collection' (did you mean '--collection'?)"),
        (["-quiet"], "unknown option '-quiet' (did you mean '--quiet'?)"),
        (["-quite"], "unknown option '-quite' (did you mean '--quiet'?)"),
    ] as [([String], String)])
    func unknownOptionsAreNamedWithASuggestion(_ args: [String], _ expected: String) {
        #expect(message(args) == expected)
    }

    // MARK: Missing and unexpected values

    @Test(arguments: [
        (["--limit"], "--limit"), (["-n"], "--limit"), (["-qn"], "--limit"),
        (["--collection", "--did", "did:plc:a"], "--collection"), (["-c", "-q"], "--collection"),
        (["--host"], "--host"), (["--did"], "--did"), (["--cursor"], "--cursor"),
        (["--max-message-size"], "--max-message-size"), (["--connect-timeout"], "--connect-timeout"),
        (["--cacert"], "--cacert"), (["--stats-interval"], "--stats-interval"),
        (["--zstd-dict"], "--zstd-dict"), (["--zstd-dict-url"], "--zstd-dict-url"),
    ] as [([String], String)])
    func aMissingValueIsNamed(_ args: [String], _ option: String) {
        #expect(message(args) == "option '\(option)' needs a value")
    }

    @Test(arguments: [
        (["--quiet=yes"], "--quiet"), (["--insecure="], "--insecure"), (["-q=yes"], "--quiet"),
        (["-kq=1"], "--quiet"), (["--help=me"], "--help"), (["--version=2"], "--version"),
    ] as [([String], String)])
    func aSwitchGivenAValueIsAnError(_ args: [String], _ option: String) {
        #expect(message(args) == "option '\(option)' takes no value")
    }

    // MARK: Invalid values, each with its exact message

    @Test(arguments: [
        (["--limit", "abc"], "invalid value 'abc' for '--limit': expected a whole number"),
        (["--limit="], "invalid value '' for '--limit': expected a whole number"),
        (["--limit", "1.5"], "invalid value '1.5' for '--limit': expected a whole number"),
        (["--limit", "+5"], "invalid value '+5' for '--limit': expected a whole number"),
        (["--limit", "0"], "'--limit' must be at least 1"),
        (["-n", "-3"], "'--limit' must be at least 1"),
        (["--limit", "99999999999999999999"], "invalid value '99999999999999999999' for '--limit': number too large"),
        (["--cursor", "yesterday"], "invalid value 'yesterday' for '--cursor': expected unix microseconds (1732350000000000), an RFC 3339 time (2026-11-22T10:00:00Z), a relative time (-15m, -2h, -1d), seq:N, or live"),
        (["--until", "yesterday"], "invalid value 'yesterday' for '--until': expected unix microseconds (1732350000000000), an RFC 3339 time (2026-11-22T10:00:00Z), a relative time (-15m, -2h, -1d), seq:N, live or now"),
        (["--cursor", "-1"], "invalid value '-1' for '--cursor': a relative time is a minus sign and amounts with units d, h, m, s from the largest down, such as -90s, -15m, -2h, -1d or -1h30m"),
        (["--cursor", "1732350000"], "invalid value '1732350000' for '--cursor': this looks like unix seconds; in microseconds it is 1732350000000000"),
        (["--cursor", "2025-02-29T00:00:00Z"], "invalid value '2025-02-29T00:00:00Z' for '--cursor': not an RFC 3339 time (such as 2026-11-22T10:00:00Z): February 2025 has no 29th: 2025 is not a leap year"),
        (["--cursor", "now"], "invalid value 'now' for '--cursor': 'now' is only accepted by --until; to start with live events write live"),
        (["--until", "live"], "invalid value 'live' for '--until': live never ends; give a time, seq:N or now"),
        (["--cursor-file="], "invalid value '' for '--cursor-file': expected a file name"),
        (["--cursor-file", "c", "--save-every", "-1"], "'--save-every' must be at least 0"),
        (["--cursor-file", "c", "--save-interval", "1m"], "invalid value '1m' for '--save-interval': expected a number of seconds, such as 10 or 2.5"),
        (["--max-message-size", "512"], "'--max-message-size' must be at least 1024 bytes"),
        (["--max-message-size", "2G"], "'--max-message-size' must be at most 1GiB"),
        (["--max-message-size", "99999999999G"], "'--max-message-size' must be at most 1GiB"),
        (["--max-message-size", "4MB"], "invalid value '4MB' for '--max-message-size': expected a byte count such as 65536, 512K or 4MiB"),
        (["--max-message-size", "1.5M"], "invalid value '1.5M' for '--max-message-size': expected a byte count such as 65536, 512K or 4MiB"),
        (["--max-message-size", "M"], "invalid value 'M' for '--max-message-size': expected a byte count such as 65536, 512K or 4MiB"),
        (["--connect-timeout", "0"], "'--connect-timeout' must be greater than 0"),
        (["--connect-timeout", "0.0"], "'--connect-timeout' must be greater than 0"),
        (["--connect-timeout", "-1"], "invalid value '-1' for '--connect-timeout': expected a number of seconds, such as 10 or 2.5"),
        (["--connect-timeout", "1e3"], "invalid value '1e3' for '--connect-timeout': expected a number of seconds, such as 10 or 2.5"),
        (["--connect-timeout", "inf"], "invalid value 'inf' for '--connect-timeout': expected a number of seconds, such as 10 or 2.5"),
        (["--connect-timeout", "."], "invalid value '.' for '--connect-timeout': expected a number of seconds, such as 10 or 2.5"),
        (["--connect-timeout", "90000"], "'--connect-timeout' must be at most 86400 seconds"),
        (["--stats-interval", "10s"], "invalid value '10s' for '--stats-interval': expected a number of seconds, such as 10 or 2.5"),
        (["--stats-interval", "86401"], "'--stats-interval' must be at most 86400 seconds"),
        (["--cacert", "/nonexistent/ca.pem"], "cannot read '/nonexistent/ca.pem' given to '--cacert': No such file or directory"),
        (["--cacert", "/"], "cannot read '/' given to '--cacert': Is a directory"),
        (["--compress", "--zstd-dict", "/nonexistent/d.zdict"], "cannot read '/nonexistent/d.zdict' given to '--zstd-dict': No such file or directory"),
        (["--compress", "--zstd-dict", "ftp://example.com/d"], "invalid value 'ftp://example.com/d' for '--zstd-dict': expected a file or an http:// or https:// URL"),
        (["--compress", "--zstd-dict", "https://"], "invalid value 'https://' for '--zstd-dict': expected an http:// or https:// URL"),
        (["--compress", "--zstd-dict-url", "/tmp/d.zdict"], "invalid value '/tmp/d.zdict' for '--zstd-dict-url': expected an http:// or https:// URL"),
        (["--compress", "--zstd-dict-url", "https:///d"], "invalid value 'https:///d' for '--zstd-dict-url': expected an http:// or https:// URL"),
        (["--host", "https://example.com"], "invalid value 'https://example.com' for '--host': unsupported scheme 'https'; use wss:// (or ws:// for no TLS)"),
        (["--host", "wss://example.com/subscribe?cursor=1"], "invalid value 'wss://example.com/subscribe?cursor=1' for '--host': a query string is not accepted; use --collection, --did and --cursor instead"),
        (["--host", "::1"], "invalid value '::1' for '--host': put an IPv6 address in brackets, as in [::1]:6008"),
        (["--host="], "invalid value '' for '--host': expected a host name or a ws:// or wss:// URL"),
        (["-c", "app.bsky"], "invalid value 'app.bsky' for '--collection': an NSID has at least three segments, as in app.bsky.feed.post"),
        (["-c", "*"], "invalid value '*' for '--collection': '*' alone is not a filter; leave out --collection to receive every collection"),
        (["-c", "app.bsky.feed.po*"], "invalid value 'app.bsky.feed.po*' for '--collection': '*' may only be the whole last segment, as in app.bsky.*"),
        (["-c", "app.bsky.feed.post,app.bsky.feed.like"], "invalid value 'app.bsky.feed.post,app.bsky.feed.like' for '--collection': ',' is not allowed in an NSID (letters, digits, '-' and '.' only)"),
        (["-d", "bsky.app"], "invalid value 'bsky.app' for '--did': a DID starts with 'did:', as in did:plc:z72i7hdynmk6r22z27h6tvur (for a handle such as bsky.app, use --handle)"),
        (["-d", "did:PLC:abc"], "invalid value 'did:PLC:abc' for '--did': 'did:' must be followed by a lowercase method name and ':', as in did:plc:"),
    ] as [([String], String)])
    func invalidValuesAreExplained(_ args: [String], _ expected: String) {
        #expect(message(args) == expected)
    }

    @Test func moreThanOneHundredCollectionsIsAnError() {
        let args = (0...100).flatMap { ["-c", "com.example.n\($0)"] }
        #expect(message(args) == "too many '--collection' values: 101 given, the server accepts at most 100")
    }

    @Test func moreThanTenThousandDidsIsAnError() {
        let args = (0...10_000).flatMap { ["-d", "did:plc:\($0)"] }
        #expect(message(args) == "too many '--did' values: 10001 given, the server accepts at most 10000")
    }

    // MARK: The table itself

    @Test func flagNamesAreUniqueAndWellFormed() {
        let longs = Arguments.flags.map(\.long)
        let shorts = Arguments.flags.compactMap(\.short)
        #expect(Set(longs).count == longs.count)
        #expect(Set(shorts).count == shorts.count)
        for long in longs {
            #expect(long.hasPrefix("--") && !long.contains("=") && long.count > 3)
        }
    }

    @Test func exactlyTheHostFilterAndAccountFlagsRepeat() {
        #expect(Set(Arguments.flags.filter(\.repeatable).map(\.long))
            == ["--host", "--collection", "--did", "--handle", "--kind", "--operation"])
    }
}

// MARK: - Lists, handles, client-side filters, named hosts and the environment

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Parses with an explicit environment and standard input, returning the configuration.
private func configured(_ args: [String], env: [String: String] = [:], stdin: String = "",
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> StreamConfig {
    let command = try Arguments.parse(args, nowMicros: WallClock.nowMicroseconds(), lookup: { env[$0] }, standardInput: { _ throws(UsageError) in Array(stdin.utf8) })
    guard case let .run(c) = command else {
        Issue.record("expected .run, got \(command)", sourceLocation: sourceLocation)
        return StreamConfig()
    }
    return c
}

private func failure(_ args: [String], env: [String: String] = [:], stdin: String = "") -> String? {
    do {
        _ = try Arguments.parse(args, nowMicros: WallClock.nowMicroseconds(), lookup: { env[$0] }, standardInput: { _ throws(UsageError) in Array(stdin.utf8) })
        return nil
    } catch {
        return error.description
    }
}

/// A file in a fresh temporary directory holding `text`; returns its path.
private func temporaryFile(_ text: String, name: String = "list.txt") throws -> String {
    var template = Array("/tmp/jetstream-tail-tests-XXXXXX".utf8CString)
    let directory = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
    let path = directory + "/" + name
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    try #require(fd >= 0)
    defer { close(fd) }
    var copy = text
    copy.withUTF8 { _ = write(fd, $0.baseAddress, $0.count) }
    return path
}

extension ArgumentsTests {
    @Test func didListsComeFromFilesWithCommentsAndBlankLines() throws {
        let path = try temporaryFile("# followed accounts\ndid:plc:a\n\n  did:plc:b   # with a comment\r\ndid:plc:a\n\tdid:web:example.com\n")
        let c = try configured(["--did", "@" + path, "-d", "did:plc:c"])
        #expect(c.wantedDids == ["did:plc:a", "did:plc:b", "did:web:example.com", "did:plc:c"])
    }

    @Test func didListsComeFromStandardInput() throws {
        #expect(try configured(["--did", "-"], stdin: "did:plc:x\ndid:plc:y\n").wantedDids == ["did:plc:x", "did:plc:y"])
        #expect(try configured(["-d-"], stdin: "did:plc:x").wantedDids == ["did:plc:x"])
    }

    @Test func aBadListEntryNamesTheFileAndLine() throws {
        let path = try temporaryFile("did:plc:a\n# two\nhandle.example\n")
        #expect(failure(["--did", "@" + path])
            == "\(path):3: invalid value 'handle.example' for '--did': \(IdentifierError.didMissingPrefix.description)")
        #expect(failure(["--did", "-"], stdin: "did:plc:a\nnope\n")?.hasPrefix("standard input:2: invalid value 'nope' for '--did'") == true)
    }

    @Test func aMissingListFileIsAUsageError() {
        #expect(failure(["--did", "@/nonexistent/dids.txt"]) == "cannot read '/nonexistent/dids.txt' given to '--did': No such file or directory")
        #expect(failure(["--handle", "@/tmp"]) == "cannot read '/tmp' given to '--handle': Is a directory")
    }

    @Test func standardInputIsReadOnce() {
        #expect(failure(["--did", "-", "--handle", "-"], stdin: "did:plc:a\n")
            == "invalid value '-' for '--handle': standard input was already read for '--did'")
    }

    @Test func handlesAreValidatedLowercasedAndDeduplicated() throws {
        let path = try temporaryFile("@Alice.Bsky.Social\nbob.test # a comment\n")
        let c = try configured(["--handle", "alice.bsky.social", "--handle=@" + path, "--handle", "BOB.test"])
        #expect(c.handles == ["alice.bsky.social", "bob.test"])
        #expect(failure(["--handle", "not_a.handle"]) == "invalid value 'not_a.handle' for '--handle': \(HandleSyntaxError.invalidCharacter("_").description)")
        #expect(failure(["--handle", "did:plc:a"]) == "invalid value 'did:plc:a' for '--handle': \(HandleSyntaxError.isADID.description)")
    }

    @Test func theResolverDefaultsToTheAppViewAndCanBeChanged() throws {
        #expect(try configured([]).resolver == "https://public.api.bsky.app")
        #expect(try configured(["--resolver", "https://127.0.0.1:8443/"]).resolver == "https://127.0.0.1:8443")
        #expect(failure(["--resolver", "ftp://x"]) != nil)
    }

    @Test func kindsAndOperationsRepeat() throws {
        let c = try configured(["--kind", "commit", "--kind=account", "--operation", "delete", "--operation", "create", "--kind", "commit"])
        #expect(c.kinds == [.commit, .account])
        #expect(c.operations == [.delete, .create])
        #expect(failure(["--kind", "post"]) == "invalid value 'post' for '--kind': expected commit, identity or account")
        #expect(failure(["--operation", "Create"]) == "invalid value 'Create' for '--operation': expected create, update or delete")
    }

    @Test(arguments: [
        ("us-east", "jetstream.us-east.bsky.network"), ("us-west", "jetstream.us-west.bsky.network"),
        ("us-east-1", "jetstream1.us-east.bsky.network"), ("us-east-2", "jetstream2.us-east.bsky.network"),
        ("us-west-1", "jetstream1.us-west.bsky.network"), ("US-West-2", "jetstream2.us-west.bsky.network"),
    ])
    func namedHostsExpandToThePublicInstances(_ name: String, _ host: String) throws {
        #expect(try configured(["--host", name]).endpoints == [Endpoint(scheme: .wss, host: host, port: 443, path: "/subscribe")])
    }

    @Test func aNamedHostWithAPortIsAnOrdinaryHost() throws {
        #expect(try configured(["--host", "us-east:6008"]).endpoints == [Endpoint(scheme: .wss, host: "us-east", port: 6008)])
    }

    @Test(arguments: Shell.allCases)
    func completionsStopParsing(_ shell: Shell) throws {
        #expect(try Arguments.parse(["--completions", shell.rawValue, "--bogus"], environment: [:]) == .completions(shell))
        #expect(failure(["--completions", "tcsh"]) == "invalid value 'tcsh' for '--completions': expected bash, zsh or fish")
    }

    // MARK: Environment

    @Test func environmentVariableNamesFollowTheLongName() throws {
        let names = Arguments.flags.compactMap(\.environmentVariable)
        #expect(names.contains("JETSTREAM_TAIL_HOST"))
        #expect(names.contains("JETSTREAM_TAIL_CONNECT_TIMEOUT"))
        #expect(names.contains("JETSTREAM_TAIL_MAX_MESSAGE_SIZE"))
        for flag in Arguments.flags where ["--help", "--version", "--completions", "--cursor", "--limit"].contains(flag.long) {
            #expect(flag.environmentVariable == nil, "\(flag.long)")
        }
    }

    @Test func theEnvironmentSuppliesOptionsNotGiven() throws {
        let c = try configured([], env: [
            "JETSTREAM_TAIL_HOST": "us-west", "JETSTREAM_TAIL_CONNECT_TIMEOUT": "2.5", "JETSTREAM_TAIL_QUIET": "yes",
            "JETSTREAM_TAIL_COLLECTION": "app.bsky.feed.post, app.bsky.graph.*\tapp.bsky.feed.like",
            "JETSTREAM_TAIL_KIND": "commit,identity", "JETSTREAM_TAIL_ON_FULL": "drop", "JETSTREAM_TAIL_INSECURE": "0",
        ])
        #expect(c.endpoints == [Endpoint(host: "jetstream.us-west.bsky.network")])
        #expect(c.connectTimeout == 2.5)
        #expect(c.quiet)
        #expect(!c.insecure)
        #expect(c.wantedCollections == ["app.bsky.feed.post", "app.bsky.graph.*", "app.bsky.feed.like"])
        #expect(c.kinds == [.commit, .identity])
        #expect(c.onFull == .drop)
    }

    @Test func optionsWinOverTheEnvironment() throws {
        let env = ["JETSTREAM_TAIL_HOST": "a.example b.example", "JETSTREAM_TAIL_COLLECTION": "app.bsky.feed.like",
                   "JETSTREAM_TAIL_CONNECT_TIMEOUT": "2", "JETSTREAM_TAIL_DID": "did:plc:env"]
        let c = try configured(["--host", "c.example", "-c", "app.bsky.feed.post", "--connect-timeout=7"], env: env)
        #expect(c.endpoints == [Endpoint(host: "c.example")])
        #expect(c.wantedCollections == ["app.bsky.feed.post"])
        #expect(c.connectTimeout == 7)
        #expect(c.wantedDids == ["did:plc:env"])
        #expect(try configured([], env: env).endpoints == [Endpoint(host: "a.example"), Endpoint(host: "b.example")])
    }

    @Test func blankVariablesAreIgnoredAndOptionsWithoutOneAreNotRead() throws {
        #expect(try configured([], env: ["JETSTREAM_TAIL_HOST": "  ", "JETSTREAM_TAIL_LIMIT": "5", "JETSTREAM_TAIL_CURSOR": "9"]) == StreamConfig())
    }

    @Test func environmentListsMayNameFiles() throws {
        let path = try temporaryFile("did:plc:one\ndid:plc:two\n")
        #expect(try configured([], env: ["JETSTREAM_TAIL_DID": "@" + path + " did:plc:three"]).wantedDids == ["did:plc:one", "did:plc:two", "did:plc:three"])
    }

    @Test func environmentErrorsNameTheVariable() {
        #expect(failure([], env: ["JETSTREAM_TAIL_CONNECT_TIMEOUT": "soon"])
            == "JETSTREAM_TAIL_CONNECT_TIMEOUT: invalid value 'soon' for '--connect-timeout': expected a number of seconds, such as 10 or 2.5")
        #expect(failure([], env: ["JETSTREAM_TAIL_QUIET": "maybe"])
            == "JETSTREAM_TAIL_QUIET: invalid value 'maybe' for '--quiet': expected 1, true, yes or on (or 0, false, no or off)")
        #expect(failure([], env: ["JETSTREAM_TAIL_DID": "did:plc:a nope"])?.hasPrefix("JETSTREAM_TAIL_DID: invalid value 'nope' for '--did'") == true)
    }

    @Test func commandLineErrorsComeBeforeEnvironmentErrors() {
        #expect(failure(["--limit", "x"], env: ["JETSTREAM_TAIL_CONNECT_TIMEOUT": "soon"]) == "invalid value 'x' for '--limit': expected a whole number")
    }

    @Test func theEnvironmentIsNotReadForHelp() throws {
        #expect(try Arguments.parse(["--help"], environment: ["JETSTREAM_TAIL_CONNECT_TIMEOUT": "soon"]) == .help)
    }
}
