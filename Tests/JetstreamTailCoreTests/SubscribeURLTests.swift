import Testing
@testable import JetstreamTailCore

private func endpoint(_ s: String) throws -> Endpoint { try Endpoint.parse(s) }

private func endpointError(_ s: String) -> EndpointError? {
    do { _ = try Endpoint.parse(s); return nil } catch { return error }
}

/// Decodes a query the way Go's `url.ParseQuery` does, which is what Jetstream's `URL.Query()`
/// calls: split on `&`, refuse `;`, split each pair at its first `=`, turn `+` into a space and
/// `%XX` into a byte, refusing a `%` not followed by two hex digits. Nil where Go reports an error.
private func goQuery(_ query: Substring) -> [String: [String]]? {
    var values: [String: [String]] = [:]
    for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
        if pair.contains(";") { return nil }
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard let key = goUnescape(parts[0]), let value = goUnescape(parts.count > 1 ? parts[1] : "") else { return nil }
        values[key, default: []].append(value)
    }
    return values
}

private func goUnescape(_ s: Substring) -> String? {
    var out: [UInt8] = []
    var bytes = s.utf8[...]
    func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
    while let b = bytes.popFirst() {
        if b == UInt8(ascii: "+") {
            out.append(UInt8(ascii: " "))
        } else if b == UInt8(ascii: "%") {
            guard let h = bytes.popFirst().flatMap(hex), let l = bytes.popFirst().flatMap(hex) else { return nil }
            out.append(h << 4 | l)
        } else {
            out.append(b)
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// The default `--max-message-size`, as the query carries it when it is the only parameter.
private let size = "?maxMessageSizeBytes=4194304"
/// The same parameter following others.
private func and(_ first: String) -> String { "&" + first.dropFirst() }

@Suite struct SubscribeURLTests {
    // MARK: Endpoint.parse

    @Test(arguments: [
        ("jetstream2.us-east.bsky.network", Endpoint(scheme: .wss, host: "jetstream2.us-east.bsky.network", port: 443)),
        ("localhost:6008", Endpoint(scheme: .wss, host: "localhost", port: 6008)),
        ("127.0.0.1:6008", Endpoint(scheme: .wss, host: "127.0.0.1", port: 6008)),
        ("[::1]:6008", Endpoint(scheme: .wss, host: "::1", port: 6008)),
        ("[2001:db8::1]", Endpoint(scheme: .wss, host: "2001:db8::1", port: 443)),
        ("[::ffff:192.0.2.1]:8443", Endpoint(scheme: .wss, host: "::ffff:192.0.2.1", port: 8443)),
        ("ws://localhost:6008", Endpoint(scheme: .ws, host: "localhost", port: 6008)),
        ("ws://localhost", Endpoint(scheme: .ws, host: "localhost", port: 80)),
        ("wss://example.com", Endpoint(scheme: .wss, host: "example.com", port: 443)),
        ("WSS://Example.com", Endpoint(scheme: .wss, host: "Example.com", port: 443)),
        ("wss://example.com:8443/subscribe", Endpoint(scheme: .wss, host: "example.com", port: 8443)),
        ("ws://[::1]:6008/subscribe", Endpoint(scheme: .ws, host: "::1", port: 6008)),
        ("ws://[::1]/jet/stream", Endpoint(scheme: .ws, host: "::1", port: 80, path: "/jet/stream")),
        ("wss://example.com/", Endpoint(scheme: .wss, host: "example.com", port: 443, path: "/")),
        ("wss://example.com/a-b_c~d/%7E", Endpoint(scheme: .wss, host: "example.com", port: 443, path: "/a-b_c~d/%7E")),
    ])
    func parsesEveryHostForm(_ text: String, _ expected: Endpoint) throws {
        #expect(try endpoint(text) == expected)
    }

    @Test(arguments: [
        ("", EndpointError.empty),
        ("wss://", .empty),
        ("wss://:443", .empty),
        (":6008", .empty),
        ("https://example.com", .unsupportedScheme("https")),
        ("http://example.com", .unsupportedScheme("http")),
        ("wss://example.com/subscribe?wantedCollections=app.bsky.feed.post", .queryNotAllowed),
        ("example.com?cursor=1", .queryNotAllowed),
        ("wss://example.com/#top", .fragmentNotAllowed),
        ("wss://user:secret@example.com", .userInfoNotAllowed),
        ("example.com/subscribe", .pathNeedsURL),
        ("::1", .unbracketedIPv6),
        ("fe80::1:443", .unbracketedIPv6),
        ("example.com:0", .invalidPort("0")),
        ("example.com:65536", .invalidPort("65536")),
        ("example.com:", .invalidPort("")),
        ("example.com:http", .invalidPort("http")),
        ("example.com:+443", .invalidPort("+443")),
        ("example.com:0000443", .invalidPort("0000443")),
        ("[::1]x", .invalidHost("[::1]x")),
        ("[::1", .invalidHost("[::1")),
        ("[example.com]", .invalidHost("[example.com]")),
        ("[]:443", .invalidHost("[]:443")),
        ("ex ample.com", .invalidHost("ex ample.com")),
        ("exämple.com", .invalidHost("exämple.com")),
        ("wss://example.com/a b", .invalidPath("/a b")),
    ])
    func refusesBadHostsForTheRightReason(_ text: String, _ expected: EndpointError) {
        #expect(endpointError(text) == expected)
    }

    @Test func portsAtTheEdgesOfTheRangeAreAccepted() throws {
        #expect(try endpoint("example.com:1").port == 1)
        #expect(try endpoint("example.com:65535").port == 65535)
    }

    // MARK: target(for:config:cursor:)

    @Test func withoutFiltersOnlyTheMessageSizeIsSent() {
        #expect(SubscribeURL.target(for: Endpoint(host: "h"), config: StreamConfig(), cursor: nil) == "/subscribe" + size)
    }

    @Test func nothingToSendMeansNoQuestionMark() {
        var c = StreamConfig()
        c.maxMessageSize = 0
        #expect(SubscribeURL.target(for: Endpoint(host: "h"), config: c, cursor: nil) == "/subscribe")
    }

    @Test func theMessageSizeLimitIsTheConfiguredOne() {
        var c = StreamConfig()
        c.maxMessageSize = 65536
        #expect(SubscribeURL.target(for: Endpoint(host: "h"), config: c, cursor: 7) == "/subscribe?cursor=7&maxMessageSizeBytes=65536")
    }

    @Test func repeatedKeysInOrderThenCursor() {
        var c = StreamConfig()
        c.wantedCollections = ["app.bsky.feed.post", "app.bsky.graph.*"]
        c.wantedDids = ["did:plc:z72i7hdynmk6r22z27h6tvur", "did:web:example.com"]
        #expect(SubscribeURL.target(for: Endpoint(host: "h"), config: c, cursor: 1_725_911_162_329_308) == "/subscribe"
            + "?wantedCollections=app.bsky.feed.post&wantedCollections=app.bsky.graph.*"
            + "&wantedDids=did:plc:z72i7hdynmk6r22z27h6tvur&wantedDids=did:web:example.com"
            + "&cursor=1725911162329308&maxMessageSizeBytes=4194304")
    }

    @Test func compressionIsAskedForBeforeTheCursor() {
        var c = StreamConfig()
        c.compress = true
        #expect(SubscribeURL.target(for: Endpoint(host: "h"), config: c, cursor: nil) == "/subscribe?compress=true&maxMessageSizeBytes=4194304")
        c.wantedCollections = ["app.bsky.feed.post"]
        c.wantedDids = ["did:plc:a"]
        #expect(SubscribeURL.target(for: Endpoint(host: "h"), config: c, cursor: 12)
            == "/subscribe?wantedCollections=app.bsky.feed.post&wantedDids=did:plc:a&compress=true&cursor=12&maxMessageSizeBytes=4194304")
    }

    @Test func theCursorArgumentIsSentNotTheConfiguredOne() {
        var c = StreamConfig()
        c.startCursor = .micros(1_725_911_162_329_308)
        #expect(SubscribeURL.target(for: Endpoint(host: "h"), config: c, cursor: nil) == "/subscribe" + size)
        #expect(SubscribeURL.target(for: Endpoint(host: "h"), config: c, cursor: 0) == "/subscribe?cursor=0" + and(size))
        #expect(SubscribeURL.target(for: Endpoint(host: "h"), config: c, cursor: 3) == "/subscribe?cursor=3" + and(size))
    }

    @Test func theConfiguredCursorIsSentAsTheServerReadsIt() {
        var c = StreamConfig()
        #expect(SubscribeURL.target(for: Endpoint(host: "h"), config: c, cursor: c.cursor) == "/subscribe?maxMessageSizeBytes=4194304")
        c.startCursor = .micros(1_725_911_162_329_308)
        #expect(SubscribeURL.target(for: Endpoint(host: "h"), config: c, cursor: c.cursor) == "/subscribe?cursor=1725911162329308&maxMessageSizeBytes=4194304")
        c.startCursor = .sequence(469_083)
        #expect(SubscribeURL.target(for: Endpoint(host: "h"), config: c, cursor: c.cursor) == "/subscribe?cursor=469083&maxMessageSizeBytes=4194304")
        c.startCursor = .micros(951_782_400_000_000) // 2000-02-29: a v2 server would take it for a sequence number
        #expect(SubscribeURL.target(for: Endpoint(host: "h"), config: c, cursor: c.cursor) == "/subscribe?cursor=1000000000000000&maxMessageSizeBytes=4194304")
    }

    @Test func aNegativeCursorIsNeverSent() {
        #expect(SubscribeURL.target(for: Endpoint(host: "h"), config: StreamConfig(), cursor: -1) == "/subscribe" + size)
    }

    @Test func theEndpointPathIsKept() {
        var c = StreamConfig()
        c.wantedDids = ["did:plc:a"]
        let e = Endpoint(scheme: .ws, host: "::1", port: 6008, path: "/jet/stream")
        #expect(SubscribeURL.target(for: e, config: c, cursor: nil) == "/jet/stream?wantedDids=did:plc:a" + and(size))
    }

    @Test func percentEncodingKeepsUnreservedStarAndColon() {
        #expect(SubscribeURL.percentEncoded("AZaz09-._~*:") == "AZaz09-._~*:")
        #expect(SubscribeURL.percentEncoded("a+b&c=d;e f%/?#") == "a%2Bb%26c%3Dd%3Be%20f%25%2F%3F%23")
        #expect(SubscribeURL.percentEncoded("é") == "%C3%A9")
        #expect(SubscribeURL.percentEncoded("") == "")
    }

    /// What Jetstream's Go code reads back must be exactly what was configured, even for values the
    /// CLI would refuse: `+` must not become a space, `;` must not void the query, `%` must survive.
    @Test func goQueryParsingReadsBackEveryValue() throws {
        var c = StreamConfig()
        c.wantedCollections = ["app.bsky.*", "a+b", "x;y", "p&q=r", "sp ace", "é", "%zz"]
        c.wantedDids = ["did:web:localhost%3A1234", "did:plc:z72i7hdynmk6r22z27h6tvur"]
        c.compress = true
        let target = SubscribeURL.target(for: Endpoint(host: "h"), config: c, cursor: 42)
        let query = try #require(target.split(separator: "?", maxSplits: 1).last)
        let decoded = try #require(goQuery(query))
        #expect(decoded["wantedCollections"] == c.wantedCollections)
        #expect(decoded["wantedDids"] == c.wantedDids)
        #expect(decoded["cursor"] == ["42"])
        #expect(decoded["compress"] == ["true"])
        #expect(decoded["maxMessageSizeBytes"] == ["4194304"])
        #expect(decoded.count == 5)
    }

    // MARK: Filters too long for a URL

    @Test func longFilterListsLeaveTheURLForRequireHello() {
        var c = StreamConfig()
        c.wantedCollections = ["app.bsky.feed.post"]
        c.wantedDids = (0..<2000).map { "did:plc:\($0)" }
        #expect(SubscribeURL.target(for: Endpoint(host: "h"), config: c, cursor: 9)
            == "/subscribe?cursor=9&maxMessageSizeBytes=4194304&requireHello=true")
        #expect(SubscribeURL.target(for: Endpoint(host: "h"), config: c, cursor: nil)
            == "/subscribe?maxMessageSizeBytes=4194304&requireHello=true")
    }

    @Test func theURLStaysUnderTheLimitEitherWay() {
        for count in [1, 50, 90, 100, 200, 10_000] {
            var c = StreamConfig()
            c.wantedDids = (0..<count).map { "did:plc:" + String(repeating: "a", count: 20) + "\($0)" }
            let target = SubscribeURL.target(for: Endpoint(host: "h"), config: c, cursor: 1_725_911_162_329_308)
            #expect(target.utf8.count < SubscribeOptions.maxQueryBytes + 100, "\(count) DIDs")
            #expect(target.contains("requireHello=true") == SubscribeOptions.needsHello(c))
        }
    }

    @Test func everyErrorHasAOneLineDescription() {
        let all: [EndpointError] = [
            .empty, .unsupportedScheme("x"), .queryNotAllowed, .fragmentNotAllowed, .userInfoNotAllowed,
            .pathNeedsURL, .invalidPath("/ "), .unbracketedIPv6, .invalidHost("h"), .invalidPort("p"),
        ]
        for e in all {
            #expect(!e.description.isEmpty && !e.description.contains("\n"))
        }
    }
}
