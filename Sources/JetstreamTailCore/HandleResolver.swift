/// One HTTP GET, as the handle resolver needs it: the status and the whole body. Implementations
/// bound the body's size and the time taken, and throw (any error with a one-line description) when
/// no HTTP answer could be had: name resolution, connection, TLS, timeout.
public protocol HTTPGetter {
    func get(url: String, accept: String) throws -> (status: Int, body: [UInt8])
}

/// Turns `--handle` values into DIDs before connecting, with the XRPC call
/// `GET {resolver}/xrpc/com.atproto.identity.resolveHandle?handle=NAME`, answered by
/// `{"did":"did:plc:…"}`, or by HTTP 400 `{"error":"InvalidRequest","message":"Unable to resolve handle"}`.
///
/// Jetstream filters on DIDs only, and a handle can move to another account, so the mapping is made
/// once, at start-up, and the stream follows the accounts those handles named then.
public struct HandleResolver {
    /// The public Bluesky AppView, which answers `resolveHandle` for any handle without credentials.
    public static let defaultResolver = "https://public.api.bsky.app"

    /// The service's base URL, without a trailing slash.
    public let resolver: String
    private let getter: any HTTPGetter

    public init(resolver: String = defaultResolver, getter: any HTTPGetter) {
        self.resolver = resolver.hasSuffix("/") ? String(resolver.dropLast()) : resolver
        self.getter = getter
    }

    /// The URL asked for one handle.
    public func url(for handle: String) -> String {
        resolver + "/xrpc/com.atproto.identity.resolveHandle?handle=" + SubscribeURL.percentEncoded(handle)
    }

    /// The DID `handle` names now.
    public func resolve(_ handle: String) throws(HandleResolutionError) -> String {
        let answer: (status: Int, body: [UInt8])
        do {
            answer = try getter.get(url: url(for: handle), accept: "application/json")
        } catch {
            throw .resolverFailed(handle: handle, reason: (error as? CustomStringConvertible)?.description ?? "\(error)")
        }
        let fields = TopLevelStrings.parse(answer.body)
        switch answer.status {
        case 200:
            guard let did = fields?["did"] else {
                throw .resolverFailed(handle: handle, reason: "the answer has no \"did\" (\(Self.excerpt(answer.body)))")
            }
            do throws(IdentifierError) {
                try IdentifierSyntax.validateDID(did)
            } catch {
                throw .resolverFailed(handle: handle, reason: "the answer's DID '\(did)' is not valid: \(error.description)")
            }
            return did
        case 400:
            // XRPC's error shape: `error` names the kind, `message` says what happened.
            let reason = fields?["message"] ?? fields?["error"] ?? "HTTP 400 \(Self.excerpt(answer.body))"
            throw .unresolved([UnresolvedHandle(handle: handle, reason: reason)])
        default:
            let detail = fields?["message"] ?? fields?["error"] ?? Self.excerpt(answer.body)
            throw .resolverFailed(handle: handle, reason: "HTTP \(answer.status)" + (detail.isEmpty ? "" : ": \(detail)"))
        }
    }

    /// The DID list the run subscribes to: `config.wantedDids`, then the DIDs of `config.handles` in
    /// order, without duplicates, at most `StreamConfig.maxDids`.
    ///
    /// Every handle is tried, so that all the unknown ones are reported together; a failure of the
    /// resolver itself (network, TLS, an HTTP status other than 200 and 400, a malformed answer)
    /// stops at once, as it would only repeat for each handle.
    public func resolveHandles(_ config: StreamConfig) throws(HandleResolutionError) -> [String] {
        var dids = config.wantedDids
        var seen = Set(dids)
        var unresolved: [UnresolvedHandle] = []
        for handle in config.handles {
            do throws(HandleResolutionError) {
                let did = try resolve(handle)
                if seen.insert(did).inserted { dids.append(did) }
            } catch .unresolved(let failures) {
                unresolved += failures
            }
        }
        if !unresolved.isEmpty { throw .unresolved(unresolved) }
        if dids.count > StreamConfig.maxDids { throw .tooManyDids(count: dids.count) }
        return dids
    }

    /// `resolveHandles` with the resolver and getter the configuration and caller give.
    public static func resolveHandles(_ config: StreamConfig, using getter: any HTTPGetter) throws(HandleResolutionError) -> [String] {
        try HandleResolver(resolver: config.resolver, getter: getter).resolveHandles(config)
    }

    /// At most 200 characters of a body, on one line, for an error message.
    static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        let line = String(text.unicodeScalars.map { $0.value < 0x20 ? " " : Character($0) })
        return body.count > 200 ? line + "…" : line
    }

    /// Reads a `--resolver` value: an `https://` (or, for a local service, `http://`) URL with a host,
    /// an optional port and path, and no query, fragment or credentials. The trailing slash is dropped.
    public static func normalizedResolverURL(_ text: String) throws(UsageError) -> String {
        func refuse(_ reason: String) -> UsageError { .invalidValue(text, option: "--resolver", reason: reason) }
        let lower = text.lowercased()
        guard let schemeEnd = text.firstRange(of: "://"), lower.hasPrefix("https://") || lower.hasPrefix("http://") else {
            throw refuse("expected an https:// URL such as \(defaultResolver)")
        }
        let rest = text[schemeEnd.upperBound...]
        if rest.contains("?") || rest.contains("#") { throw refuse("a query or fragment is not accepted") }
        let authority = rest.prefix { $0 != "/" }
        if authority.isEmpty { throw refuse("the URL has no host") }
        if authority.contains("@") { throw refuse("a user name or password is not accepted") }
        if !rest.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0 != "\\" && $0 != "\"" }) {
            throw refuse("the URL has characters a URL cannot hold")
        }
        var url = text
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}

/// One handle the resolver could not resolve, and its reason as the resolver put it.
public struct UnresolvedHandle: Sendable, Equatable, CustomStringConvertible {
    public var handle: String
    public var reason: String
    public var description: String { "cannot resolve handle '\(handle)': \(reason)" }
}

/// Why `--handle` values did not become DIDs. The run stops before connecting (exit status 1).
public enum HandleResolutionError: Error, Equatable, CustomStringConvertible {
    /// The resolver answered HTTP 400 for these handles: they do not exist, or their DNS or
    /// `/.well-known/atproto-did` record does not name an account.
    case unresolved([UnresolvedHandle])
    /// No usable answer for this handle: the resolver was unreachable, failed, or answered something
    /// other than a DID. The remaining handles were not tried.
    case resolverFailed(handle: String, reason: String)
    /// With the resolved DIDs, more distinct DIDs than the server accepts.
    case tooManyDids(count: Int)

    /// One line per problem, to print each as an error of its own.
    public var lines: [String] {
        switch self {
        case .unresolved(let handles): return handles.map(\.description)
        case let .resolverFailed(handle, reason): return ["cannot resolve handle '\(handle)': \(reason)"]
        case .tooManyDids(let count):
            return ["too many accounts: \(count) distinct DIDs with the resolved handles, the server accepts at most \(StreamConfig.maxDids)"]
        }
    }

    public var description: String { lines.joined(separator: "; ") }
}

/// The string-valued members of a JSON object's top level, decoded, which is all an XRPC answer
/// needs here (`did`, `error`, `message`). Other values, nested ones included, are skipped over.
/// Nil when the text is not one JSON object; the checks are those that matter for reading strings
/// correctly, not a full validation.
enum TopLevelStrings {
    static func parse(_ bytes: [UInt8]) -> [String: String]? {
        var i = 0
        let n = bytes.count
        func skipSpace() { while i < n, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 } }
        /// Reads a string starting at its opening quote; decodes escapes, including surrogate pairs.
        func string() -> String? {
            guard i < n, bytes[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            var out: [UInt8] = []
            var pendingHigh: UInt32? = nil
            while i < n {
                let b = bytes[i]
                i += 1
                if b == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
                if b < 0x20 { return nil }
                guard b == UInt8(ascii: "\\") else { out.append(b); continue }
                guard i < n else { return nil }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    // Four hex digits, and nothing else `UInt32(_:radix:)` would take (a `+` sign).
                    guard i + 4 <= n, bytes[i..<i + 4].allSatisfy(\.isASCIIHexDigit),
                          let unit = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else { return nil }
                    i += 4
                    var scalar: UInt32 = unit
                    if (0xD800...0xDBFF).contains(unit) { pendingHigh = unit; continue }
                    if (0xDC00...0xDFFF).contains(unit), let high = pendingHigh {
                        scalar = 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00)
                    }
                    pendingHigh = nil
                    out += String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8
                default: return nil
                }
            }
            return nil
        }
        /// Skips any value: strings, numbers and literals, and containers by counting brackets.
        func skipValue() -> Bool {
            skipSpace()
            guard i < n else { return false }
            if bytes[i] == UInt8(ascii: "\"") { return string() != nil }
            if bytes[i] == UInt8(ascii: "{") || bytes[i] == UInt8(ascii: "[") {
                var depth = 0
                while i < n {
                    switch bytes[i] {
                    case UInt8(ascii: "\""): if string() == nil { return false }; continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 { i += 1; return true }
                    default: break
                    }
                    i += 1
                }
                return false
            }
            let start = i
            while i < n, !",}] \t\r\n".utf8.contains(bytes[i]) { i += 1 }
            return i > start
        }

        var fields: [String: String] = [:]
        skipSpace()
        guard i < n, bytes[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        skipSpace()
        if i < n, bytes[i] == UInt8(ascii: "}") { i += 1 } else {
            while true {
                skipSpace()
                guard let key = string() else { return nil }
                skipSpace()
                guard i < n, bytes[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                skipSpace()
                if i < n, bytes[i] == UInt8(ascii: "\"") {
                    guard let value = string() else { return nil }
                    fields[key] = value
                } else if !skipValue() {
                    return nil
                }
                skipSpace()
                guard i < n else { return nil }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                guard bytes[i] == UInt8(ascii: "}") else { return nil }
                i += 1
                break
            }
        }
        skipSpace()
        return i == n ? fields : nil
    }
}

/// The resolver's HTTP client: `HTTPFetch` with the run's TLS settings (`--cacert`, `--insecure`)
/// and timeouts, and a 1 MiB bound on the answer.
public struct FetchGetter: HTTPGetter, Sendable {
    public let tls: CurlTransport.Options
    public let connectTimeout: Double

    public init(_ config: StreamConfig) {
        tls = CurlTransport.Options(caCertPath: config.caCertPath, insecure: config.insecure)
        connectTimeout = config.connectTimeout
    }

    public func get(url: String, accept: String) throws -> (status: Int, body: [UInt8]) {
        let request = HTTPFetch.Request(url: url, accept: accept, tls: tls, connectTimeout: connectTimeout,
                                        totalTimeout: max(30, connectTimeout * 2), maxBodySize: 1 << 20)
        let response = try HTTPFetch.get(request)
        return (response.status, response.body)
    }
}
