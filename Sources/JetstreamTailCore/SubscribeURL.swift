/// The request target of a subscription: the endpoint's path plus the query Jetstream reads,
/// `wantedCollections` and `wantedDids` (one repeated key per value), `compress`, `cursor` and
/// `maxMessageSizeBytes`; or, when the filters are too long for a URL (`SubscribeOptions`),
/// `requireHello=true` in their place.
///
/// Compression is asked for with `compress=true` only. Jetstream also accepts the header
/// `Socket-Encoding: zstd` for the same thing; the query alone is enough, and it shows in logs.
///
/// Jetstream reads the query with Go's `URL.Query()`, which splits on `&`, rejects `;`, turns `+`
/// into a space and decodes `%XX`. Values are therefore percent-encoded as RFC 3986 asks, keeping
/// the unreserved characters and also `*` and `:`, which a query may hold literally (RFC 3986 §3.4:
/// `query = *( pchar / "/" / "?" )`) and Go leaves as they are; this keeps `app.bsky.*` and
/// `did:plc:…` readable in logs. Comma-joined lists are never sent: the server does not split them.
public enum SubscribeURL {
    /// Builds `path?wantedCollections=a&wantedDids=d&compress=true&cursor=N&maxMessageSizeBytes=M`,
    /// leaving out every parameter that has nothing to send, and the `?` itself when none has.
    ///
    /// `cursor` is a separate argument because a reconnect passes a rewound one, not the configured
    /// one. It is the integer the server reads, sent as is: unix microseconds, or a v2 server's
    /// sequence number (`config.cursor` gives either for `--cursor`, see `CursorSpec.wireValue`).
    /// A negative cursor is never sent (a v2 server would answer 400).
    ///
    /// `maxMessageSizeBytes` is the tail's own message limit, so the server skips an event the tail
    /// would refuse, instead of sending it and having the connection fail on it, again after every
    /// reconnect. When `SubscribeOptions.needsHello` says the filters do not fit, both lists are left
    /// out and `requireHello=true` is sent: the connection must then send
    /// `SubscribeOptions.optionsUpdate(for:)` before the server sends anything.
    public static func target(for endpoint: Endpoint, config: StreamConfig, cursor: Int64?) -> String {
        var query = ""
        func add(_ key: String, _ value: String) {
            query += query.isEmpty ? "?" : "&"
            query += key
            query += "="
            query += percentEncoded(value)
        }
        let hello = SubscribeOptions.needsHello(config)
        if !hello {
            for collection in config.wantedCollections { add("wantedCollections", collection) }
            for did in config.wantedDids { add("wantedDids", did) }
        }
        // The server compares the value with "true" exactly.
        if config.compress { add("compress", "true") }
        if let cursor, cursor >= 0 { add("cursor", String(cursor)) }
        if config.maxMessageSize > 0 { add("maxMessageSizeBytes", String(config.maxMessageSize)) }
        if hello { add("requireHello", "true") }
        return endpoint.path + query
    }

    /// Encodes every byte outside `A-Z a-z 0-9 - . _ ~ * :` as `%XX` (RFC 3986 §2.1: "uppercase
    /// hexadecimal digits"), so `+`, `&`, `=`, `;`, `#`, `%` and spaces cannot change the query's meaning.
    public static func percentEncoded(_ value: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        for b in value.utf8 {
            if isKept(b) {
                out.append(b)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isKept(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
             UInt8(ascii: "*"), UInt8(ascii: ":"):
            return true
        default:
            return false
        }
    }
}

extension Endpoint {
    /// Reads a `--host` value: `host`, `host:port`, `[v6]`, `[v6]:port`, or a `ws://` or `wss://`
    /// URL with an optional port and path.
    ///
    /// A bare host means TLS on port 443 and the path `/subscribe`, which is how the public instances
    /// serve Jetstream. A URL without a path also gets `/subscribe`; a URL with a path keeps it as
    /// written. Query strings are refused: the subscription's parameters come from their own flags,
    /// and merging two sources of `wantedCollections` would hide mistakes.
    public static func parse(_ text: String) throws(EndpointError) -> Endpoint {
        if text.isEmpty { throw .empty }
        if text.contains("?") { throw .queryNotAllowed }
        if text.contains("#") { throw .fragmentNotAllowed }

        var scheme = Scheme.wss
        var rest = Substring(text)
        if let separator = text.firstRange(of: "://") {
            let name = text[..<separator.lowerBound].lowercased()
            guard let s = Scheme(rawValue: name) else { throw .unsupportedScheme(String(text[..<separator.lowerBound])) }
            scheme = s
            rest = text[separator.upperBound...]
        }

        var path = "/subscribe"
        if let slash = rest.firstIndex(of: "/") {
            guard text.contains("://") else { throw .pathNeedsURL }
            let given = rest[slash...]
            guard given.unicodeScalars.allSatisfy(isPathCharacter) else { throw .invalidPath(String(given)) }
            path = String(given)
            rest = rest[..<slash]
        }
        if rest.contains("@") { throw .userInfoNotAllowed }

        let (host, portText) = try splitAuthority(rest)
        var port: Int? = nil
        if let portText {
            guard !portText.isEmpty, portText.utf8.count <= 5, portText.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  let n = Int(portText), (1...65535).contains(n)
            else { throw .invalidPort(String(portText)) }
            port = n
        }
        return Endpoint(scheme: scheme, host: host, port: port, path: path)
    }

    /// Splits `host`, `host:port`, `[v6]` or `[v6]:port` into the host (IPv6 without brackets) and
    /// the port text, if any.
    private static func splitAuthority(_ authority: Substring) throws(EndpointError) -> (String, Substring?) {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidHost(String(authority)) }
            let address = authority[authority.index(after: authority.startIndex)..<close]
            let isIPv6 = address.contains(":") && address.unicodeScalars.allSatisfy {
                $0.properties.isASCIIHexDigit || $0 == ":" || $0 == "."
            }
            guard isIPv6 else { throw .invalidHost(String(authority)) }
            let after = authority[authority.index(after: close)...]
            if after.isEmpty { return (String(address), nil) }
            guard after.hasPrefix(":") else { throw .invalidHost(String(authority)) }
            return (String(address), after.dropFirst())
        }
        let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count > 2 { throw .unbracketedIPv6 }
        let host = parts[0]
        guard !host.isEmpty else { throw .empty }
        guard host.unicodeScalars.allSatisfy(isHostCharacter) else { throw .invalidHost(String(host)) }
        return (String(host), parts.count == 2 ? parts[1] : nil)
    }

    /// Letters, digits, `-`, `.` and `_`: enough for DNS names and IPv4 addresses. Names in other
    /// scripts go in their `xn--` form.
    private static func isHostCharacter(_ s: Unicode.Scalar) -> Bool {
        s.isASCII && (s.properties.isAlphabetic || s.properties.numericType != nil || s == "-" || s == "." || s == "_")
    }

    /// RFC 3986 `pchar` plus `/`: unreserved, sub-delims, `:`, `@` and `%`, nothing that would break
    /// the HTTP request line.
    private static func isPathCharacter(_ s: Unicode.Scalar) -> Bool {
        guard s.isASCII else { return false }
        if s.properties.isAlphabetic || s.properties.numericType != nil { return true }
        return "-._~!$&'()*+,;=:@%/".unicodeScalars.contains(s)
    }
}

/// Why a `--host` value is not a usable endpoint. Each description is the reason part of a usage
/// message, so it reads after "invalid value '…' for '--host': ".
public enum EndpointError: Error, Equatable, CustomStringConvertible {
    /// Nothing to connect to.
    case empty
    /// Only WebSocket schemes name a Jetstream endpoint.
    case unsupportedScheme(String)
    /// The subscription's query comes from `--collection`, `--did` and `--cursor` alone.
    case queryNotAllowed
    /// A fragment is never sent to a server.
    case fragmentNotAllowed
    /// Credentials in a URL would end up in logs and process listings.
    case userInfoNotAllowed
    /// A path is only accepted inside a full URL, where the scheme makes the intent clear.
    case pathNeedsURL
    /// The path holds a character that cannot appear in an HTTP request target.
    case invalidPath(String)
    /// Without brackets, the colons of an IPv6 address and the port separator cannot be told apart.
    case unbracketedIPv6
    /// The host is neither a DNS name, an IPv4 address nor a bracketed IPv6 address.
    case invalidHost(String)
    /// A port is a whole number from 1 to 65535.
    case invalidPort(String)

    public var description: String {
        switch self {
        case .empty: return "expected a host name or a ws:// or wss:// URL"
        case let .unsupportedScheme(s): return "unsupported scheme '\(s)'; use wss:// (or ws:// for no TLS)"
        case .queryNotAllowed: return "a query string is not accepted; use --collection, --did and --cursor instead"
        case .fragmentNotAllowed: return "a '#' fragment is not accepted"
        case .userInfoNotAllowed: return "a user name or password is not accepted in the host"
        case .pathNeedsURL: return "to give a path, write a full URL such as wss://HOST/subscribe"
        case let .invalidPath(p): return "the path '\(p)' has characters a URL path cannot hold"
        case .unbracketedIPv6: return "put an IPv6 address in brackets, as in [::1]:6008"
        case let .invalidHost(h): return "'\(h)' is not a host name or address"
        case let .invalidPort(p): return "port '\(p)' is not a number from 1 to 65535"
        }
    }
}
