#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What the command line asks for.
public enum Command: Equatable, Sendable {
    /// Tail the stream with this configuration.
    case run(StreamConfig)
    /// Print `Arguments.helpText` to stdout and exit 0.
    case help
    /// Print `Arguments.versionText` to stdout and exit 0.
    case version
    /// Print `Completions.script(for:)` to stdout and exit 0.
    case completions(Shell)
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
    /// Whether `environmentVariable` supplies the option when the command line does not give it.
    public let readsEnvironment: Bool
    /// The words the value can be, offered by shell completions; empty when the value is free-form.
    public let choices: [String]
    /// Whether a value may also be `@FILE` or `-` (standard input): a list of values, one per line.
    public let acceptsLists: Bool
    /// Records the value in the parse state; for a switch the value is the empty string.
    let apply: @Sendable (inout ParseState, String) throws(UsageError) -> Void

    init(_ long: String, _ short: Character? = nil, value valueName: String? = nil, repeatable: Bool = false,
         env readsEnvironment: Bool = false, choices: [String] = [], lists acceptsLists: Bool = false,
         help: String, apply: @escaping @Sendable (inout ParseState, String) throws(UsageError) -> Void) {
        self.long = long
        self.short = short
        self.valueName = valueName
        self.help = help
        self.repeatable = repeatable
        self.readsEnvironment = readsEnvironment
        self.choices = choices
        self.acceptsLists = acceptsLists
        self.apply = apply
    }

    /// `JETSTREAM_TAIL_` and the long name in capitals with `_` for `-` (`JETSTREAM_TAIL_CONNECT_TIMEOUT`),
    /// for the options that read the environment.
    public var environmentVariable: String? {
        guard readsEnvironment else { return nil }
        return "JETSTREAM_TAIL_" + long.dropFirst(2).uppercased().replacing("-", with: "_")
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
        Flag("--host", value: "HOST", repeatable: true, env: true, choices: PublicHosts.names, help: "Server to read: host, host:port, [v6]:port, a ws:// or wss:// URL, or a public instance (\(PublicHosts.names.joined(separator: ", "))); repeat for fallbacks (default \(Endpoint.defaultHost))") { s, v throws(UsageError) in try s.addHost(v) },
        Flag("--collection", "c", value: "NSID", repeatable: true, env: true, help: "Only commits in this collection, an NSID such as app.bsky.feed.post or a prefix such as app.bsky.*; repeatable, up to \(StreamConfig.maxCollections)") { s, v throws(UsageError) in try s.addCollection(v) },
        Flag("--did", "d", value: "DID", repeatable: true, env: true, lists: true, help: "Only events from this account; repeatable, up to 10,000; @FILE or - reads one per line") { s, v throws(UsageError) in try s.addDID(v) },
        Flag("--cursor", value: "TIME", help: "Replay from TIME, then go on live: unix microseconds, an RFC 3339 time such as 2026-11-22T10:00:00Z, a time ago such as -90s, -15m, -2h or -1d, seq:N (a v2 server's sequence number), or live (the default)") { s, v throws(UsageError) in try s.setCursor(v) },
        Flag("--until", value: "TIME", help: "Stop before the first event at or past TIME (the --cursor forms, or now: the start of the run), save the cursor file and exit 0; also stop once caught up with live") { s, v throws(UsageError) in try s.setUntil(v) },
        Flag("--cursor-file", value: "PATH", env: true, help: "Keep the resume point in PATH: read it at start, save it as events are written. A saved point wins over --cursor, which only applies while PATH is missing or empty. A second run on the same PATH exits 1") { s, v throws(UsageError) in
            guard !v.isEmpty else { throw .invalidValue(v, option: "--cursor-file", reason: "expected a file name") }
            s.config.cursorFile = v
        },
        Flag("--save-every", value: "N", env: true, help: "With --cursor-file, save after every N events written; 0 saves only by time and at exit (default \(defaults.saveEvery))") { s, v throws(UsageError) in s.config.saveEvery = Int(try ParseState.integer(v, "--save-every", in: 0...1_000_000_000)) },
        Flag("--save-interval", value: "SECONDS", env: true, help: "With --cursor-file, save at least this often while events are written; 0 saves only by count and at exit (default \(OptionValue.formatSeconds(defaults.saveInterval)))") { s, v throws(UsageError) in s.config.saveInterval = try ParseState.seconds(v, "--save-interval", allowZero: true) },
        Flag("--limit", "n", value: "N", help: "Stop after writing N events") { s, v throws(UsageError) in s.config.limit = Int(try ParseState.integer(v, "--limit", in: 1...Int64.max)) },
        Flag("--compress", env: true, help: "Ask for zstd-compressed events, about half the bandwidth; they are written decompressed") { s, _ in s.config.compress = true },
        Flag("--zstd-dict", value: "FILE|URL", env: true, help: "With --compress, decompress with this zstd dictionary file or http(s) URL instead of Jetstream's own") { s, v throws(UsageError) in s.config.zstdDictionary = try ParseState.dictionarySource(v) },
        Flag("--zstd-dict-url", value: "URL", env: true, help: "With --compress, where to download Jetstream's dictionary if it is not cached (still checked by SHA-256)") { s, v throws(UsageError) in s.config.zstdDictionaryURL = try ParseState.downloadURL(v, "--zstd-dict-url") },
        Flag("--max-message-size", value: "BYTES", env: true, help: "Largest message accepted, also once decompressed, such as 65536, 512K or 4MiB; the server skips larger events (default \(OptionValue.formatBytes(Int64(defaults.maxMessageSize))))") { s, v throws(UsageError) in s.config.maxMessageSize = try ParseState.bytes(v, "--max-message-size") },
        Flag("--connect-timeout", value: "SECONDS", env: true, help: "Time allowed to connect, TLS and upgrade included (default \(OptionValue.formatSeconds(defaults.connectTimeout)))") { s, v throws(UsageError) in s.config.connectTimeout = try ParseState.seconds(v, "--connect-timeout", allowZero: false) },
        Flag("--cacert", value: "FILE", env: true, help: "Verify the server with the CA certificates in this PEM file") { s, v throws(UsageError) in s.config.caCertPath = try OptionValue.readableFile(v, option: "--cacert") },
        Flag("--insecure", "k", env: true, help: "Skip checking the server's certificate and name") { s, _ in s.config.insecure = true },
        Flag("--stats-interval", value: "SECONDS", env: true, help: "Seconds between stats lines on stderr; 0 turns them off (default \(OptionValue.formatSeconds(defaults.statsInterval)))") { s, v throws(UsageError) in s.config.statsInterval = try ParseState.seconds(v, "--stats-interval", allowZero: true) },
        Flag("--no-progress", env: true, help: "Draw no progress bar on stderr during an --until backfill; it is only drawn on a terminal") { s, _ in s.config.progress = false },
        Flag("--max-reconnects", value: "N", env: true, help: "Exit 1 after N reconnects in a row without a healthy connection (default: never give up)") { s, v throws(UsageError) in s.config.maxReconnects = Int(try ParseState.integer(v, "--max-reconnects", in: 0...Int64(Int32.max))) },
        Flag("--backoff", value: "SECONDS", env: true, help: "First reconnect delay ceiling; it doubles on each failure, with full jitter (default \(OptionValue.formatSeconds(defaults.backoffInitial)))") { s, v throws(UsageError) in s.config.backoffInitial = try ParseState.seconds(v, "--backoff", allowZero: true) },
        Flag("--backoff-max", value: "SECONDS", env: true, help: "Longest reconnect delay (default \(OptionValue.formatSeconds(defaults.backoffMax)))") { s, v throws(UsageError) in s.config.backoffMax = try ParseState.seconds(v, "--backoff-max", allowZero: true) },
        Flag("--keepalive", value: "SECONDS", env: true, help: "Send a ping this often; 0 sends none (default \(OptionValue.formatSeconds(defaults.keepalive)))") { s, v throws(UsageError) in s.config.keepalive = try ParseState.seconds(v, "--keepalive", allowZero: true) },
        Flag("--idle-timeout", value: "SECONDS", env: true, help: "Reconnect when nothing arrives for this long; 0 waits forever (default \(OptionValue.formatSeconds(defaults.idleTimeout)))") { s, v throws(UsageError) in s.config.idleTimeout = try ParseState.seconds(v, "--idle-timeout", allowZero: true) },
        Flag("--rewind", value: "SECONDS", env: true, help: "On reconnect, resume this long before the last event written and skip what was already written (default \(OptionValue.formatSeconds(defaults.rewind)))") { s, v throws(UsageError) in s.config.rewind = try ParseState.seconds(v, "--rewind", allowZero: true) },
        Flag("--buffer", value: "EVENTS", env: true, help: "Most events waiting for stdout (default \(defaults.bufferEvents))") { s, v throws(UsageError) in s.config.bufferEvents = Int(try ParseState.integer(v, "--buffer", in: 1...100_000_000)) },
        Flag("--buffer-bytes", value: "BYTES", env: true, help: "Most bytes waiting for stdout (default \(OptionValue.formatBytes(Int64(StreamConfig.defaultQueueBytes(.block)))), \(OptionValue.formatBytes(Int64(StreamConfig.defaultQueueBytes(.drop)))) with --on-full drop)") { s, v throws(UsageError) in s.config.bufferBytes = try ParseState.bytes(v, "--buffer-bytes") },
        Flag("--on-full", value: "POLICY", env: true, choices: OverflowPolicy.allCases.map(\.rawValue), help: "When stdout falls behind and the buffer is full: block (pause reading; lossless) or drop (drop the oldest, counted) (default \(defaults.onFull.rawValue))") { s, v throws(UsageError) in
            guard let policy = OverflowPolicy(rawValue: v) else { throw .invalidValue(v, option: "--on-full", reason: "expected block or drop") }
            s.config.onFull = policy
        },
        Flag("--max-lag", value: "EVENTS", env: true, help: "With --on-full drop, warn once this many events wait for stdout (default \(defaults.maxLag))") { s, v throws(UsageError) in s.config.maxLag = Int(try ParseState.integer(v, "--max-lag", in: 1...100_000_000)) },
        Flag("--quiet", "q", env: true, help: "Print nothing on stderr but errors") { s, _ in s.config.quiet = true },
        Flag("--handle", value: "HANDLE", repeatable: true, env: true, lists: true, help: "Only events from the account with this handle, such as bsky.app, resolved to its DID before connecting; repeatable; @FILE or - reads one per line") { s, v throws(UsageError) in try s.addHandle(v) },
        Flag("--resolver", value: "URL", env: true, help: "Service that resolves handles, over HTTPS (default \(HandleResolver.defaultResolver))") { s, v throws(UsageError) in s.config.resolver = try HandleResolver.normalizedResolverURL(v) },
        Flag("--kind", value: "KIND", repeatable: true, env: true, choices: ParseState.kindNames.map(\.0), help: "Only write events of this kind: commit, identity or account; repeatable") { s, v throws(UsageError) in
            guard let kind = ParseState.kindNames.first(where: { $0.0 == v })?.1 else { throw .invalidValue(v, option: "--kind", reason: "expected commit, identity or account") }
            s.config.kinds.insert(kind)
        },
        Flag("--operation", value: "OP", repeatable: true, env: true, choices: ParseState.operationNames.map(\.0), help: "Only write commits with this operation: create, update or delete; repeatable; other kinds still pass") { s, v throws(UsageError) in
            guard let operation = ParseState.operationNames.first(where: { $0.0 == v })?.1 else { throw .invalidValue(v, option: "--operation", reason: "expected create, update or delete") }
            s.config.operations.insert(operation)
        },
        Flag("--completions", value: "SHELL", choices: Shell.allCases.map(\.rawValue), help: "Print the completion script for bash, zsh or fish and exit") { s, v throws(UsageError) in
            guard let shell = Shell(rawValue: v) else { throw .invalidValue(v, option: "--completions", reason: "expected bash, zsh or fish") }
            s.stop = .completions(shell)
        },
        Flag("--help", "h", help: "Show this help and exit") { s, _ in s.stop = .help },
        Flag("--version", "V", help: "Show the version and exit") { s, _ in s.stop = .version },
    ]

    /// Reads the arguments that follow the program name, and the `JETSTREAM_TAIL_…` variables of
    /// this process's environment, resolving relative times against the wall clock now.
    public static func parse(_ args: [String]) throws(UsageError) -> Command {
        try parse(args, nowMicros: WallClock.nowMicroseconds(), lookup: { name in getenv(name).map { String(cString: $0) } })
    }

    /// Reads the arguments with `nowMicros` as the present for `--cursor -15m` and `--until now`:
    /// times are fixed once, here, so reconnects and retries later in the run do not move them.
    public static func parse(_ args: [String], nowMicros: Int64) throws(UsageError) -> Command {
        try parse(args, nowMicros: nowMicros, lookup: { _ in nil })
    }

    /// Reads the arguments that follow the program name, with `environment` standing in for the
    /// process's environment.
    public static func parse(_ args: [String], environment: [String: String]) throws(UsageError) -> Command {
        try parse(args, nowMicros: WallClock.nowMicroseconds(), lookup: { environment[$0] })
    }

    /// The parser proper. `standardInput` reads all of standard input for `--did -` and the like,
    /// for the named option; tests pass their own.
    ///
    /// The environment is read after the arguments, and only for options the arguments do not give
    /// at all, so that options win: a single value is replaced, and a repeatable option's list is
    /// taken from the command line alone (`--collection` replaces `JETSTREAM_TAIL_COLLECTION`, it
    /// does not add to it).
    static func parse(
        _ args: [String], nowMicros: Int64, lookup: (String) -> String?,
        standardInput: @escaping (String) throws(UsageError) -> [UInt8] = ListFile.readStandardInput(option:)
    ) throws(UsageError) -> Command {
        var state = ParseState(nowMicros: nowMicros, readStandardInput: standardInput)
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
                    try state.use(flag, "")
                } else if let inline {
                    try state.use(flag, inline)
                } else {
                    try state.use(flag, try nextValue(for: flag))
                }
            } else if arg.hasPrefix("-"), arg != "-" {
                try parseShortBundle(arg, into: &state, nextValue: nextValue)
            } else {
                throw unexpectedArgument(arg)
            }
            if let stop = state.stop { return stop }
        }
        try applyEnvironment(lookup, to: &state)
        return .run(try state.finish())
    }

    /// Applies `JETSTREAM_TAIL_…` for every option that reads the environment and was not given on
    /// the command line. An unset or blank variable counts as absent. A repeatable option's variable
    /// holds several values separated by commas or white space; a switch's holds 1, true, yes or on
    /// (0, false, no or off leave it off).
    private static func applyEnvironment(_ lookup: (String) -> String?, to state: inout ParseState) throws(UsageError) {
        for flag in flags where !state.given.contains(flag.long) {
            guard let variable = flag.environmentVariable, let raw = lookup(variable) else { continue }
            let text = raw.trimmingBlanks()
            if text.isEmpty { continue }
            do throws(UsageError) {
                if flag.valueName == nil {
                    switch text.lowercased() {
                    case "1", "true", "yes", "on": try flag.apply(&state, "")
                    case "0", "false", "no", "off": break
                    default: throw .invalidValue(raw, option: flag.long, reason: "expected 1, true, yes or on (or 0, false, no or off)")
                    }
                } else if flag.repeatable {
                    for item in text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\n" }) {
                        try state.expand(flag, String(item))
                    }
                } else {
                    try state.expand(flag, text)
                }
            } catch {
                throw .inEnvironment(variable, error)
            }
        }
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
                try state.use(flag, "")
            } else {
                let value: String
                if rest.first == "=" {
                    value = String(rest.dropFirst())
                } else if rest.isEmpty {
                    value = try nextValue(flag)
                } else {
                    value = String(rest)
                }
                try state.use(flag, value)
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
    /// `--host` values; the first one given replaces the default host.
    var hosts: [Endpoint] = []
    /// Set by `--help`, `--version` or `--completions`, which end parsing.
    var stop: Command? = nil
    /// The long names of the options the command line gave; the environment is not read for them.
    var given: Set<String> = []
    /// Reads all of standard input, for the option named.
    var readStandardInput: (String) throws(UsageError) -> [UInt8] = ListFile.readStandardInput(option:)
    /// The option that read standard input, which can be read only once.
    var standardInputReadBy: String? = nil

    /// Records one command-line use of an option.
    mutating func use(_ flag: Flag, _ value: String) throws(UsageError) {
        given.insert(flag.long)
        try expand(flag, value)
    }

    /// Applies a value, or, for an option that accepts lists, each value of `@FILE` or `-`, with
    /// errors pointing at the list's line.
    mutating func expand(_ flag: Flag, _ value: String) throws(UsageError) {
        guard flag.acceptsLists, value == "-" || value.hasPrefix("@") else {
            try flag.apply(&self, value)
            return
        }
        let name: String
        let bytes: [UInt8]
        if value == "-" {
            if let other = standardInputReadBy {
                throw .invalidValue(value, option: flag.long, reason: "standard input was already read for '\(other)'")
            }
            standardInputReadBy = flag.long
            name = "-"
            bytes = try readStandardInput(flag.long)
        } else {
            name = String(value.dropFirst())
            bytes = try ListFile.read(path: name, option: flag.long)
        }
        for (line, item) in ListFile.items(bytes) {
            do throws(UsageError) {
                try flag.apply(&self, item)
            } catch {
                throw .inList(name, line: line, error)
            }
        }
    }

    init(nowMicros: Int64 = 0, readStandardInput: @escaping (String) throws(UsageError) -> [UInt8] = ListFile.readStandardInput(option:)) {
        self.nowMicros = nowMicros
        self.readStandardInput = readStandardInput
    }

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
        if let named = PublicHosts.endpoint(named: value) {
            hosts.append(named)
            return
        }
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

    /// Adds a handle; in a list, a leading `@` (as handles are often written) is dropped.
    mutating func addHandle(_ value: String) throws(UsageError) {
        let bare = value.hasPrefix("@") ? String(value.dropFirst()) : value
        do throws(HandleSyntaxError) {
            config.handles.append(try HandleSyntax.normalized(bare))
        } catch {
            throw .invalidValue(value, option: "--handle", reason: error.description)
        }
    }

    /// The words `--kind` accepts.
    static let kindNames: [(String, EventKind)] = [("commit", .commit), ("identity", .identity), ("account", .account)]
    /// The words `--operation` accepts.
    static let operationNames: [(String, CommitOperation)] = [("create", .create), ("update", .update), ("delete", .delete)]

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
        c.handles = Self.uniqued(c.handles)
        if c.wantedCollections.count > StreamConfig.maxCollections {
            throw .tooMany(option: "--collection", count: c.wantedCollections.count, maximum: StreamConfig.maxCollections)
        }
        if c.wantedDids.count > StreamConfig.maxDids {
            throw .tooMany(option: "--did", count: c.wantedDids.count, maximum: StreamConfig.maxDids)
        }
        if c.cursorFile == nil {
            for option in ["--save-every", "--save-interval"] where given.contains(option) {
                throw .requires(option: option, other: "--cursor-file")
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
        if c.handles.count > StreamConfig.maxDids {
            throw .tooMany(option: "--handle", count: c.handles.count, maximum: StreamConfig.maxDids)
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

extension String {
    /// Without leading and trailing spaces, tabs, CRs and LFs.
    func trimmingBlanks() -> String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        return String(drop(while: blank).reversed().drop(while: blank).reversed())
    }
}
