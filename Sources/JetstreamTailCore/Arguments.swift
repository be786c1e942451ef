/// What the command line asks for.
public enum Command: Equatable, Sendable {
    /// Tail the stream with this configuration.
    case run(StreamConfig)
    /// Print `Arguments.helpText` to stdout and exit 0.
    case help
    /// Print `Arguments.versionText` to stdout and exit 0.
    case version
}

/// One command-line option. The table of them, `Arguments.flags`, is the single source for parsing,
/// `--help`, the man page check and shell completions: adding an option means adding one entry.
public struct Flag: Sendable {
    /// The long spelling, with its dashes: `--collection`.
    public let long: String
    /// The one-letter spelling without its dash, if any: `c` for `-c`.
    public let short: Character?
    /// The placeholder shown for the value (`NSID`); nil for a switch that takes no value.
    public let valueName: String?
    /// One sentence for `--help`, defaults included.
    public let help: String
    /// Whether each use adds a value (`--did a --did b`) instead of the last one winning.
    public let repeatable: Bool
    /// Records the value in the parse state; for a switch the value is the empty string.
    let apply: @Sendable (inout ParseState, String) throws(UsageError) -> Void

    init(_ long: String, _ short: Character? = nil, value valueName: String? = nil, repeatable: Bool = false,
         help: String, apply: @escaping @Sendable (inout ParseState, String) throws(UsageError) -> Void) {
        self.long = long
        self.short = short
        self.valueName = valueName
        self.help = help
        self.repeatable = repeatable
        self.apply = apply
    }

    /// How the option is written in `--help`: `-c, --collection NSID` or `    --cursor MICROS`.
    public var synopsis: String {
        (short.map { "-\($0), " } ?? "    ") + long + (valueName.map { " \($0)" } ?? "")
    }
}

/// The command-line parser: GNU-style options, driven by the flag table.
///
/// Accepted forms: `--flag value`, `--flag=value`, `-f value`, `-fvalue` and `-f=value`; switches may
/// be bundled (`-qk`), and a bundle may end with one option that takes a value (`-qn5`, `-qn 5`).
/// A separate value may not begin with `-` unless it is a negative number, so a forgotten value
/// (`--collection --did x`) is reported as missing rather than swallowing the next option; write
/// `--flag=-value` to pass such a value. For options that are not repeatable, the last value wins.
/// `--` ends the options; the tool takes no operands, so anything after it is an error too.
/// `--help` and `--version` act as soon as they are reached, ignoring whatever follows.
public enum Arguments {
    /// The values `--help` reports as defaults.
    private static let defaults = StreamConfig()

    /// Every option, in the order `--help` and the man page list them.
    public static let flags: [Flag] = [
        Flag("--host", value: "HOST", repeatable: true, help: "Server to read: host, host:port, [v6]:port, or a ws:// or wss:// URL; repeat for fallbacks (default \(Endpoint.defaultHost))") { s, v throws(UsageError) in try s.addHost(v) },
        Flag("--collection", "c", value: "NSID", repeatable: true, help: "Only commits in this collection, an NSID such as app.bsky.feed.post or a prefix such as app.bsky.*; repeatable, up to \(StreamConfig.maxCollections)") { s, v throws(UsageError) in try s.addCollection(v) },
        Flag("--did", "d", value: "DID", repeatable: true, help: "Only events from this account; repeatable, up to 10,000") { s, v throws(UsageError) in try s.addDID(v) },
        Flag("--cursor", value: "TIME", help: "Replay from TIME, then go on live: unix microseconds, an RFC 3339 time such as 2026-11-22T10:00:00Z, a time ago such as -90s, -15m, -2h or -1d, seq:N (a v2 server's sequence number), or live (the default)") { s, v throws(UsageError) in try s.setCursor(v) },
        Flag("--until", value: "TIME", help: "Stop before the first event at or past TIME (the --cursor forms, or now: the start of the run), save the cursor file and exit 0; also stop once caught up with live") { s, v throws(UsageError) in try s.setUntil(v) },
        Flag("--cursor-file", value: "PATH", help: "Keep the resume point in PATH: read it at start, save it as events are written. A saved point wins over --cursor, which only applies while PATH is missing or empty. A second run on the same PATH exits 1") { s, v throws(UsageError) in
            guard !v.isEmpty else { throw .invalidValue(v, option: "--cursor-file", reason: "expected a file name") }
            s.config.cursorFile = v
        },
        Flag("--save-every", value: "N", help: "With --cursor-file, save after every N events written; 0 saves only by time and at exit (default \(defaults.saveEvery))") { s, v throws(UsageError) in s.config.saveEvery = Int(try ParseState.integer(v, "--save-every", in: 0...1_000_000_000)) },
        Flag("--save-interval", value: "SECONDS", help: "With --cursor-file, save at least this often while events are written; 0 saves only by count and at exit (default \(OptionValue.formatSeconds(defaults.saveInterval)))") { s, v throws(UsageError) in s.config.saveInterval = try ParseState.seconds(v, "--save-interval", allowZero: true) },
        Flag("--limit", "n", value: "N", help: "Stop after writing N events") { s, v throws(UsageError) in s.config.limit = Int(try ParseState.integer(v, "--limit", in: 1...Int64.max)) },
        Flag("--compress", help: "Ask for zstd-compressed events, about half the bandwidth; they are written decompressed") { s, _ in s.config.compress = true },
        Flag("--zstd-dict", value: "FILE|URL", help: "With --compress, decompress with this zstd dictionary file or http(s) URL instead of Jetstream's own") { s, v throws(UsageError) in s.config.zstdDictionary = try ParseState.dictionarySource(v) },
        Flag("--zstd-dict-url", value: "URL", help: "With --compress, where to download Jetstream's dictionary if it is not cached (still checked by SHA-256)") { s, v throws(UsageError) in s.config.zstdDictionaryURL = try ParseState.downloadURL(v, "--zstd-dict-url") },
        Flag("--max-message-size", value: "BYTES", help: "Largest message accepted, also once decompressed, such as 65536, 512K or 4MiB (default \(OptionValue.formatBytes(Int64(defaults.maxMessageSize))))") { s, v throws(UsageError) in s.config.maxMessageSize = try ParseState.bytes(v, "--max-message-size") },
        Flag("--connect-timeout", value: "SECONDS", help: "Time allowed to connect, TLS and upgrade included (default \(OptionValue.formatSeconds(defaults.connectTimeout)))") { s, v throws(UsageError) in s.config.connectTimeout = try ParseState.seconds(v, "--connect-timeout", allowZero: false) },
        Flag("--cacert", value: "FILE", help: "Verify the server with the CA certificates in this PEM file") { s, v throws(UsageError) in s.config.caCertPath = try OptionValue.readableFile(v, option: "--cacert") },
        Flag("--insecure", "k", help: "Skip checking the server's certificate and name") { s, _ in s.config.insecure = true },
        Flag("--stats-interval", value: "SECONDS", help: "Seconds between stats lines on stderr; 0 turns them off (default \(OptionValue.formatSeconds(defaults.statsInterval)))") { s, v throws(UsageError) in s.config.statsInterval = try ParseState.seconds(v, "--stats-interval", allowZero: true) },
        Flag("--no-progress", help: "Draw no progress bar on stderr during an --until backfill; it is only drawn on a terminal") { s, _ in s.config.progress = false },
        Flag("--max-reconnects", value: "N", help: "Exit 1 after N reconnects in a row without a healthy connection (default: never give up)") { s, v throws(UsageError) in s.config.maxReconnects = Int(try ParseState.integer(v, "--max-reconnects", in: 0...Int64(Int32.max))) },
        Flag("--backoff", value: "SECONDS", help: "First reconnect delay ceiling; it doubles on each failure, with full jitter (default \(OptionValue.formatSeconds(defaults.backoffInitial)))") { s, v throws(UsageError) in s.config.backoffInitial = try ParseState.seconds(v, "--backoff", allowZero: true) },
        Flag("--backoff-max", value: "SECONDS", help: "Longest reconnect delay (default \(OptionValue.formatSeconds(defaults.backoffMax)))") { s, v throws(UsageError) in s.config.backoffMax = try ParseState.seconds(v, "--backoff-max", allowZero: true) },
        Flag("--keepalive", value: "SECONDS", help: "Send a ping this often; 0 sends none (default \(OptionValue.formatSeconds(defaults.keepalive)))") { s, v throws(UsageError) in s.config.keepalive = try ParseState.seconds(v, "--keepalive", allowZero: true) },
        Flag("--idle-timeout", value: "SECONDS", help: "Reconnect when nothing arrives for this long; 0 waits forever (default \(OptionValue.formatSeconds(defaults.idleTimeout)))") { s, v throws(UsageError) in s.config.idleTimeout = try ParseState.seconds(v, "--idle-timeout", allowZero: true) },
        Flag("--rewind", value: "SECONDS", help: "On reconnect, resume this long before the last event written and skip what was already written (default \(OptionValue.formatSeconds(defaults.rewind)))") { s, v throws(UsageError) in s.config.rewind = try ParseState.seconds(v, "--rewind", allowZero: true) },
        Flag("--buffer", value: "EVENTS", help: "Most events waiting for stdout (default \(defaults.bufferEvents))") { s, v throws(UsageError) in s.config.bufferEvents = Int(try ParseState.integer(v, "--buffer", in: 1...100_000_000)) },
        Flag("--buffer-bytes", value: "BYTES", help: "Most bytes waiting for stdout (default \(OptionValue.formatBytes(Int64(defaults.bufferBytes))))") { s, v throws(UsageError) in s.config.bufferBytes = try ParseState.bytes(v, "--buffer-bytes") },
        Flag("--on-full", value: "POLICY", help: "When stdout falls behind and the buffer is full: block (pause reading; lossless) or drop (drop the oldest, counted) (default \(defaults.onFull.rawValue))") { s, v throws(UsageError) in
            guard let policy = OverflowPolicy(rawValue: v) else { throw .invalidValue(v, option: "--on-full", reason: "expected block or drop") }
            s.config.onFull = policy
        },
        Flag("--max-lag", value: "EVENTS", help: "With --on-full drop, warn once this many events wait for stdout (default \(defaults.maxLag))") { s, v throws(UsageError) in s.config.maxLag = Int(try ParseState.integer(v, "--max-lag", in: 1...100_000_000)) },
        Flag("--quiet", "q", help: "Print nothing on stderr but errors") { s, _ in s.config.quiet = true },
        Flag("--help", "h", help: "Show this help and exit") { s, _ in s.stop = .help },
        Flag("--version", "V", help: "Show the version and exit") { s, _ in s.stop = .version },
    ]

    /// Reads the arguments that follow the program name, resolving relative times against the
    /// wall clock now.
    public static func parse(_ args: [String]) throws(UsageError) -> Command {
        try parse(args, nowMicros: WallClock.nowMicroseconds())
    }

    /// Reads the arguments, with `nowMicros` as the present for `--cursor -15m` and `--until now`:
    /// times are fixed once, here, so reconnects and retries later in the run do not move them.
    public static func parse(_ args: [String], nowMicros: Int64) throws(UsageError) -> Command {
        var state = ParseState(nowMicros: nowMicros)
        var i = args.startIndex
        /// Takes the next argument as a value, unless it looks like an option.
        func nextValue(for flag: Flag) throws(UsageError) -> String {
            guard i < args.endIndex, looksLikeValue(args[i]) else { throw .missingValue(option: flag.long) }
            defer { i += 1 }
            return args[i]
        }
        while i < args.endIndex {
            let arg = args[i]
            i += 1
            if arg == "--" {
                if i < args.endIndex { throw unexpectedArgument(args[i]) }
                break
            } else if arg.hasPrefix("--") {
                let (name, inline) = splitAtEquals(arg)
                guard let flag = flags.first(where: { $0.long == name }) else {
                    throw .unknownOption(name, suggestion: suggestLong(name.dropFirst(2)))
                }
                state.given.insert(flag.long)
                if flag.valueName == nil {
                    if inline != nil { throw .unexpectedValue(option: flag.long) }
                    try flag.apply(&state, "")
                } else if let inline {
                    try flag.apply(&state, inline)
                } else {
                    try flag.apply(&state, try nextValue(for: flag))
                }
            } else if arg.hasPrefix("-"), arg != "-" {
                try parseShortBundle(arg, into: &state, nextValue: nextValue)
            } else {
                throw unexpectedArgument(arg)
            }
            if let stop = state.stop { return stop }
        }
        return .run(try state.finish())
    }

    /// Parses `-q`, `-qk`, `-n5`, `-n=5` or `-qn 5`. A single-dash spelling of a long option
    /// (`-collection`) is refused with a suggestion instead of being read as `-c ollection`.
    private static func parseShortBundle(
        _ arg: String, into state: inout ParseState,
        nextValue: (Flag) throws(UsageError) -> String
    ) throws(UsageError) {
        let body = arg.dropFirst()
        let (name, _) = splitAtEquals(String(body))
        if name.count > 1, flags.contains(where: { $0.long == "--" + name }) {
            throw .unknownOption("-" + name, suggestion: "--" + name)
        }
        var rest = body[...]
        while let c = rest.first {
            rest = rest.dropFirst()
            guard let flag = flags.first(where: { $0.short == c }) else {
                if body.count > 1, let near = suggestLong(Substring(name)) {
                    throw .unknownOption("-" + name, suggestion: near)
                }
                throw .unknownOption("-\(c)", suggestion: nil)
            }
            state.given.insert(flag.long)
            if flag.valueName == nil {
                if rest.first == "=" { throw .unexpectedValue(option: flag.long) }
                try flag.apply(&state, "")
            } else {
                let value: String
                if rest.first == "=" {
                    value = String(rest.dropFirst())
                } else if rest.isEmpty {
                    value = try nextValue(flag)
                } else {
                    value = String(rest)
                }
                try flag.apply(&state, value)
                return
            }
            if state.stop != nil { return }
        }
    }

    /// A separate argument is taken as a value unless it starts with `-` and is not `-` alone or a
    /// negative number.
    private static func looksLikeValue(_ arg: String) -> Bool {
        guard arg.hasPrefix("-"), arg.count > 1 else { return true }
        let second = arg.utf8.dropFirst().first!
        return (second >= UInt8(ascii: "0") && second <= UInt8(ascii: "9")) || second == UInt8(ascii: ".")
    }

    private static func splitAtEquals(_ arg: String) -> (String, String?) {
        guard let eq = arg.firstIndex(of: "=") else { return (arg, nil) }
        return (String(arg[..<eq]), String(arg[arg.index(after: eq)...]))
    }

    private static func suggestLong(_ typed: Substring) -> String? {
        Suggestion.closest(to: String(typed), among: flags.map { String($0.long.dropFirst(2)) }).map { "--" + $0 }
    }

    /// The tool takes no operands; guess which option a stray word was meant for.
    private static func unexpectedArgument(_ arg: String) -> UsageError {
        var suggestion: String? = nil
        if arg.hasPrefix("did:") {
            suggestion = "--did \(arg)"
        } else if arg.hasPrefix("ws://") || arg.hasPrefix("wss://") {
            suggestion = "--host \(arg)"
        } else if (try? IdentifierSyntax.validateCollection(arg)) != nil, arg.contains(".") {
            suggestion = "--collection \(arg)"
        }
        return .unexpectedArgument(arg, suggestion: suggestion)
    }
}

/// The configuration as the arguments build it, before the checks that need every value at once.
struct ParseState {
    var config = StreamConfig()
    /// The present for relative times and `now`, in unix microseconds.
    var nowMicros: Int64 = 0
    /// The long names of the options given, for checks on combinations.
    var given: Set<String> = []
    /// `--host` values; the first one given replaces the default host.
    var hosts: [Endpoint] = []
    /// Set by `--help` or `--version`, which end parsing.
    var stop: Command? = nil

    init(nowMicros: Int64 = 0) { self.nowMicros = nowMicros }

    /// `--cursor`: any cursor form but `now`; `live` clears an earlier value.
    mutating func setCursor(_ value: String) throws(UsageError) {
        switch try Self.cursorSpec(value, "--cursor", nowMicros: nowMicros, allowNow: false) {
        case .live: config.startCursor = nil
        case let spec: config.startCursor = spec
        }
    }

    /// `--until`: any cursor form but `live`, which never comes to an end; `now` is fixed here.
    mutating func setUntil(_ value: String) throws(UsageError) {
        switch try Self.cursorSpec(value, "--until", nowMicros: nowMicros, allowNow: true) {
        case .live: throw .invalidValue(value, option: "--until", reason: "live never ends; give a time, seq:N or now")
        case .now: config.until = .micros(nowMicros)
        case let spec: config.until = spec
        }
    }

    static func cursorSpec(_ value: String, _ option: String, nowMicros: Int64, allowNow: Bool) throws(UsageError) -> CursorSpec {
        do throws(CursorSpecError) {
            return try CursorSpec.parse(value, nowMicros: nowMicros, allowNow: allowNow)
        } catch {
            throw .invalidValue(value, option: option, reason: error.description)
        }
    }

    mutating func addHost(_ value: String) throws(UsageError) {
        do throws(EndpointError) {
            hosts.append(try Endpoint.parse(value))
        } catch {
            throw .invalidValue(value, option: "--host", reason: error.description)
        }
    }

    mutating func addCollection(_ value: String) throws(UsageError) {
        do throws(IdentifierError) {
            try IdentifierSyntax.validateCollection(value)
        } catch {
            throw .invalidValue(value, option: "--collection", reason: error.description)
        }
        config.wantedCollections.append(value)
    }

    mutating func addDID(_ value: String) throws(UsageError) {
        do throws(IdentifierError) {
            try IdentifierSyntax.validateDID(value)
        } catch {
            throw .invalidValue(value, option: "--did", reason: error.description)
        }
        config.wantedDids.append(value)
    }

    /// Applies the checks that span several values, as the server would: duplicates collapse, then
    /// "too many wanted DIDs" above 10,000 and "too many" collections above 100. Then the
    /// combinations: the save options need `--cursor-file` (without it nothing would be saved, which
    /// a user who typed them would not expect), and `--until` must come after `--cursor` when both
    /// are in the same unit (a sequence number and a time cannot be compared before connecting).
    func finish() throws(UsageError) -> StreamConfig {
        var c = config
        if !hosts.isEmpty { c.endpoints = hosts }
        c.wantedCollections = Self.uniqued(c.wantedCollections)
        c.wantedDids = Self.uniqued(c.wantedDids)
        if c.wantedCollections.count > StreamConfig.maxCollections {
            throw .tooMany(option: "--collection", count: c.wantedCollections.count, maximum: StreamConfig.maxCollections)
        }
        if c.wantedDids.count > StreamConfig.maxDids {
            throw .tooMany(option: "--did", count: c.wantedDids.count, maximum: StreamConfig.maxDids)
        }
        if c.cursorFile == nil {
            for option in ["--save-every", "--save-interval"] where given.contains(option) {
                throw .needs(option: option, other: "--cursor-file")
            }
        }
        switch (c.startCursor, c.until) {
        case let (.micros(start)?, .micros(end)?) where end <= start: throw .notLater(option: "--until", than: "--cursor")
        case let (.sequence(start)?, .sequence(end)?) where end <= start: throw .notLater(option: "--until", than: "--cursor")
        default: break
        }
        // A dictionary without --compress would be silently unused; both dictionary options at
        // once would leave one of them silently unused.
        if !c.compress, c.zstdDictionary != nil { throw .requires(option: "--zstd-dict", other: "--compress") }
        if !c.compress, c.zstdDictionaryURL != nil { throw .requires(option: "--zstd-dict-url", other: "--compress") }
        if c.zstdDictionary != nil, c.zstdDictionaryURL != nil {
            throw .conflicts(option: "--zstd-dict-url", other: "--zstd-dict")
        }
        return c
    }

    /// A `--zstd-dict` value: an http(s) URL, downloaded at start, or a file readable now.
    static func dictionarySource(_ v: String) throws(UsageError) -> String {
        if ZstdDictionary.isURL(v) { return try downloadURL(v, "--zstd-dict") }
        if v.contains("://") {
            throw .invalidValue(v, option: "--zstd-dict", reason: "expected a file or an http:// or https:// URL")
        }
        return try OptionValue.readableFile(v, option: "--zstd-dict")
    }

    /// An `http://` or `https://` URL with a host; libcurl judges the rest when it downloads.
    static func downloadURL(_ v: String, _ option: String) throws(UsageError) -> String {
        let afterScheme = v.firstRange(of: "://").map { v[$0.upperBound...] } ?? ""
        guard ZstdDictionary.isURL(v), let first = afterScheme.first, first != "/", first != "?", first != "#" else {
            throw .invalidValue(v, option: option, reason: "expected an http:// or https:// URL")
        }
        return v
    }

    /// Shortest and longest accepted `--max-message-size`: below 1 KiB even small events would be
    /// refused; above 1 GiB a single message could exhaust memory.
    static let messageSizeRange: ClosedRange<Int64> = 1024...(1 << 30)
    /// Longest accepted timeout or interval, one day; it also keeps nanosecond deadlines far from overflow.
    static let maxSeconds = 86_400.0

    static func integer(_ v: String, _ option: String, in range: ClosedRange<Int64>) throws(UsageError) -> Int64 {
        let n = try OptionValue.wholeNumber(v, option: option)
        if n < range.lowerBound { throw .belowMinimum(option: option, minimum: "\(range.lowerBound)") }
        if n > range.upperBound { throw .aboveMaximum(option: option, maximum: "\(range.upperBound)") }
        return n
    }

    static func bytes(_ v: String, _ option: String) throws(UsageError) -> Int {
        let n = try OptionValue.byteCount(v, option: option)
        let r = messageSizeRange
        if n < r.lowerBound { throw .belowMinimum(option: option, minimum: "\(r.lowerBound) bytes") }
        if n > r.upperBound { throw .aboveMaximum(option: option, maximum: OptionValue.formatBytes(r.upperBound)) }
        return Int(n)
    }

    static func seconds(_ v: String, _ option: String, allowZero: Bool) throws(UsageError) -> Double {
        let s = try OptionValue.seconds(v, option: option)
        if s == 0, !allowZero { throw .notPositive(option: option) }
        if s > maxSeconds { throw .aboveMaximum(option: option, maximum: "\(Int(maxSeconds)) seconds") }
        return s
    }

    private static func uniqued(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }
}
