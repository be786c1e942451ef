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
    /// `cursor`: unix microseconds to replay from; nil tails live.
    public var cursor: Int64? = nil
    /// Largest WebSocket message accepted, in bytes; larger ones fail the connection before any
    /// large allocation.
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

    public init() {}

    public static let maxCollections = 100
    public static let maxDids = 10_000
}
