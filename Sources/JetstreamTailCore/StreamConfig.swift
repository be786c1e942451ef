/// Where to connect: one Jetstream server's `/subscribe` endpoint.
public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
    public enum Scheme: String, Sendable { case ws, wss }

    public var scheme: Scheme
    /// Host name or address; IPv6 literals without brackets.
    public var host: String
    public var port: Int
    /// The request path, `/subscribe` unless a full URL said otherwise.
    public var path: String

    public init(scheme: Scheme = .wss, host: String, port: Int? = nil, path: String = "/subscribe") {
        self.scheme = scheme
        self.host = host
        self.port = port ?? (scheme == .wss ? 443 : 80)
        self.path = path
    }

    public var defaultPort: Int { scheme == .wss ? 443 : 80 }

    /// The host as it goes in a URL or a `Host` header: IPv6 in brackets, the port only when not default.
    public var authority: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == defaultPort ? h : "\(h):\(port)"
    }

    public var description: String { "\(scheme.rawValue)://\(authority)\(path)" }

    /// The public Jetstream instance used when no `--host` is given.
    public static let defaultHost = "jetstream2.us-east.bsky.network"
}

/// Everything one run needs, built by the CLI from flags and validated before connecting.
/// Fields follow Jetstream's own client configuration where one exists.
public struct StreamConfig: Sendable, Equatable {
    /// Servers to try, in order; the first is used until it fails.
    public var endpoints: [Endpoint] = [Endpoint(host: Endpoint.defaultHost)]
    /// `wantedCollections`: exact NSIDs or `prefix.*` wildcards, at most 100.
    public var wantedCollections: [String] = []
    /// `wantedDids`: at most 10,000.
    public var wantedDids: [String] = []
    /// `--cursor`: where to start, `.micros` or `.sequence`; nil (also for `--cursor live`) tails
    /// live. A point saved in `cursorFile` takes precedence.
    public var startCursor: CursorSpec? = nil
    /// The `cursor` query value for `startCursor`: microseconds or a v2 sequence number, sent as
    /// is; nil for live.
    public var cursor: Int64? { startCursor?.wireValue }
    /// `--until`: stop before the first event at or past this point, `.micros` (relative times and
    /// `now` already resolved) or `.sequence`; nil runs on.
    public var until: CursorSpec? = nil
    /// `--cursor-file`: the durable resume point, read at start and saved as events are written.
    public var cursorFile: String? = nil
    /// Save the cursor file after this many events written; 0: not by count.
    public var saveEvery: Int = 10_000
    /// Save the cursor file at least this often while events are written, in seconds; 0: not by time.
    public var saveInterval: Double = 5
    /// Draw the backfill progress bar (only with `until`, and only when stderr is a terminal).
    public var progress: Bool = true
    /// Largest WebSocket message accepted, in bytes. It is also sent as `maxMessageSizeBytes`, so the
    /// server skips larger events; one that arrives anyway fails the connection before any large
    /// allocation.
    public var maxMessageSize: Int = 4 << 20
    /// Bounds TCP connect, TLS handshake and the HTTP upgrade together, in seconds.
    public var connectTimeout: Double = 10
    /// An extra CA bundle (PEM) to trust for `wss://`.
    public var caCertPath: String? = nil
    /// Skip certificate and host-name verification (warned about on stderr).
    public var insecure: Bool = false
    /// Stop after writing this many events.
    public var limit: Int? = nil
    /// Seconds between stats lines on stderr; 0 turns them off.
    public var statsInterval: Double = 10
    /// Silence everything on stderr but errors.
    public var quiet: Bool = false
    /// Ask for `compress=true`: every event arrives as one zstd frame made with Jetstream's dictionary.
    public var compress: Bool = false
    /// `--zstd-dict`: a dictionary file path or an http(s) URL, used instead of Jetstream's own
    /// (checked only for the zstd dictionary magic number).
    public var zstdDictionary: String? = nil
    /// `--zstd-dict-url`: where to download Jetstream's dictionary when it is not cached; the
    /// download must still have the published size and SHA-256.
    public var zstdDictionaryURL: String? = nil

    // Accounts named by handle, and filters applied here rather than on the server.
    /// `--handle` values, lowercased and deduplicated; `HandleResolver.resolveHandles` turns them into
    /// DIDs before connecting.
    public var handles: [String] = []
    /// Base URL of the XRPC service that resolves handles (`com.atproto.identity.resolveHandle`).
    public var resolver: String = HandleResolver.defaultResolver
    /// `--kind`: only events of these kinds are written; empty writes every kind.
    public var kinds: Set<EventKind> = []
    /// `--operation`: only commits with these operations are written; empty writes every commit.
    public var operations: Set<CommitOperation> = []

    // Reconnects and resume.
    /// First reconnect delay ceiling, in seconds; it doubles per failed attempt.
    public var backoffInitial: Double = 0.25
    /// Largest reconnect delay, in seconds.
    public var backoffMax: Double = 30
    /// Give up (exit 1) after this many reconnects in a row without a healthy connection; nil: never.
    public var maxReconnects: Int? = nil
    /// Seconds between keepalive pings; 0 sends none.
    public var keepalive: Double = 20
    /// Reconnect when nothing at all arrives for this many seconds; 0 never.
    public var idleTimeout: Double = 60
    /// How far before the last written event a reconnect resumes, in seconds.
    public var rewind: Double = 5

    // The queue between the socket reader and the stdout writer.
    /// Most events queued for stdout.
    public var bufferEvents: Int = 50_000
    /// Most bytes queued for stdout; nil for the default of `onFull` (`queueBytes` is what applies).
    public var bufferBytes: Int? = nil
    /// What a full queue does to the reader.
    public var onFull: OverflowPolicy = .block

    /// The queue's byte limit: `bufferBytes`, or by default 1 MiB with `--on-full block` and 4 MiB
    /// with `drop`. Under `block` a full queue only pauses reading: the kernel's socket buffers and
    /// the server (which holds 50,000 events for a slow reader, and waits for it during a replay)
    /// hold the rest, so a larger queue would only hold more memory, and a backfill, whose reader
    /// always runs ahead of stdout, keeps its queue full. Under `drop` the queue is what a stall of
    /// stdout eats into before events are lost, so it is larger.
    public var queueBytes: Int { bufferBytes ?? Self.defaultQueueBytes(onFull) }

    public static func defaultQueueBytes(_ policy: OverflowPolicy) -> Int {
        policy == .block ? 1 << 20 : 4 << 20
    }
    /// With `--on-full drop`, warn once this many events wait in the queue.
    public var maxLag: Int = 10_000

    public init() {}

    public static let maxCollections = 100
    public static let maxDids = 10_000
}
