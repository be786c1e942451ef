import Testing
@testable import JetstreamTailCore

/// A resolver on a table: handle → (status, body); records the URLs asked for.
private final class TableGetter: HTTPGetter {
    var answers: [String: (Int, String)]
    var failure: (any Error)?
    var asked: [String] = []
    init(_ answers: [String: (Int, String)] = [:], failure: (any Error)? = nil) {
        self.answers = answers
        self.failure = failure
    }
    func get(url: String, accept: String) throws -> (status: Int, body: [UInt8]) {
        asked.append(url)
        #expect(accept == "application/json")
        if let failure { throw failure }
        let handle = String(url.split(separator: "=").last ?? "")
        let (status, body) = answers[handle] ?? (400, #"{"error":"InvalidRequest","message":"Unable to resolve handle"}"#)
        return (status, Array(body.utf8))
    }
}

private func did(_ d: String) -> (Int, String) { (200, #"{"did":"\#(d)"}"#) }

private func config(dids: [String] = [], handles: [String]) -> StreamConfig {
    var c = StreamConfig()
    c.wantedDids = dids
    c.handles = handles
    c.resolver = "https://resolver.example/"
    return c
}

@Suite struct HandleResolverTests {
    @Test func asksTheXRPCMethodOnTheResolver() throws {
        let getter = TableGetter(["bsky.app": did("did:plc:z72i7hdynmk6r22z27h6tvur")])
        let resolver = HandleResolver(resolver: "https://resolver.example/", getter: getter)
        #expect(try resolver.resolve("bsky.app") == "did:plc:z72i7hdynmk6r22z27h6tvur")
        #expect(getter.asked == ["https://resolver.example/xrpc/com.atproto.identity.resolveHandle?handle=bsky.app"])
    }

    @Test func theDefaultResolverIsThePublicAppView() {
        #expect(HandleResolver(getter: TableGetter()).url(for: "a.b") == "https://public.api.bsky.app/xrpc/com.atproto.identity.resolveHandle?handle=a.b")
    }

    @Test func resolvedDIDsFollowTheGivenOnesWithoutDuplicates() throws {
        let getter = TableGetter([
            "a.test": did("did:plc:aaa"), "b.test": did("did:plc:given"), "c.test": did("did:plc:aaa"), "d.test": did("did:web:d.test"),
        ])
        let dids = try HandleResolver.resolveHandles(config(dids: ["did:plc:given"], handles: ["a.test", "b.test", "c.test", "d.test"]), using: getter)
        #expect(dids == ["did:plc:given", "did:plc:aaa", "did:web:d.test"])
        #expect(getter.asked.count == 4)
    }

    @Test func noHandlesMeansNoRequest() throws {
        let getter = TableGetter()
        #expect(try HandleResolver.resolveHandles(config(dids: ["did:plc:x"], handles: []), using: getter) == ["did:plc:x"])
        #expect(getter.asked.isEmpty)
    }

    @Test func everyUnknownHandleIsReportedOnItsOwnLine() {
        let getter = TableGetter(["ok.test": did("did:plc:ok")])
        #expect(throws: HandleResolutionError.unresolved([
            UnresolvedHandle(handle: "nobody.test", reason: "Unable to resolve handle"),
            UnresolvedHandle(handle: "ghost.test", reason: "Unable to resolve handle"),
        ])) {
            try HandleResolver.resolveHandles(config(handles: ["nobody.test", "ok.test", "ghost.test"]), using: getter)
        }
        #expect(getter.asked.count == 3)
        let error = HandleResolutionError.unresolved([UnresolvedHandle(handle: "nobody.test", reason: "Unable to resolve handle")])
        #expect(error.lines == ["cannot resolve handle 'nobody.test': Unable to resolve handle"])
    }

    @Test func aFailingResolverStopsAtTheFirstHandle() {
        let getter = TableGetter(failure: HTTPFetchError.unreachable(reason: "Could not resolve host: resolver.example"))
        #expect(throws: HandleResolutionError.resolverFailed(handle: "a.test", reason: "Could not resolve host: resolver.example")) {
            try HandleResolver.resolveHandles(config(handles: ["a.test", "b.test"]), using: getter)
        }
        #expect(getter.asked.count == 1)
    }

    @Test func otherStatusesAreResolverFailures() {
        let getter = TableGetter(["a.test": (502, "Bad Gateway"), "b.test": (404, #"{"error":"MethodNotImplemented","message":"Method Not Implemented"}"#)])
        #expect(throws: HandleResolutionError.resolverFailed(handle: "a.test", reason: "HTTP 502: Bad Gateway")) {
            try HandleResolver(getter: getter).resolve("a.test")
        }
        #expect(throws: HandleResolutionError.resolverFailed(handle: "b.test", reason: "HTTP 404: Method Not Implemented")) {
            try HandleResolver(getter: getter).resolve("b.test")
        }
    }

    @Test func anAnswerWithoutAValidDIDIsRefused() {
        let getter = TableGetter(["a.test": (200, "{}"), "b.test": (200, #"{"did":"plc:nope"}"#), "c.test": (200, "<html>")])
        #expect(throws: HandleResolutionError.resolverFailed(handle: "a.test", reason: "the answer has no \"did\" ({})")) {
            try HandleResolver(getter: getter).resolve("a.test")
        }
        #expect(throws: HandleResolutionError.self) { try HandleResolver(getter: getter).resolve("b.test") }
        #expect(throws: HandleResolutionError.self) { try HandleResolver(getter: getter).resolve("c.test") }
    }

    @Test func theLimitIsCheckedAgainAfterResolving() {
        let given = (0..<StreamConfig.maxDids).map { "did:plc:\($0)" }
        let getter = TableGetter(["a.test": did("did:plc:new")])
        #expect(throws: HandleResolutionError.tooManyDids(count: 10_001)) {
            try HandleResolver.resolveHandles(config(dids: given, handles: ["a.test"]), using: getter)
        }
        let again = TableGetter(["a.test": did("did:plc:0")])
        #expect((try? HandleResolver.resolveHandles(config(dids: given, handles: ["a.test"]), using: again))?.count == 10_000)
    }

    @Test(arguments: [
        ("https://public.api.bsky.app", "https://public.api.bsky.app"),
        ("https://public.api.bsky.app/", "https://public.api.bsky.app"),
        ("http://127.0.0.1:8080/base/", "http://127.0.0.1:8080/base"),
        ("HTTPS://Example.com", "HTTPS://Example.com"),
    ])
    func resolverURLsAreNormalized(_ text: String, _ expected: String) throws {
        #expect(try HandleResolver.normalizedResolverURL(text) == expected)
    }

    @Test(arguments: ["public.api.bsky.app", "wss://x.example", "https://", "https:///x", "https://x.example/?a=b",
                      "https://user:pw@x.example", "https://x.example/a b"])
    func badResolverURLsAreUsageErrors(_ text: String) {
        #expect(throws: UsageError.self) { try HandleResolver.normalizedResolverURL(text) }
    }

    // MARK: Reading the answer

    @Test func topLevelStringsAreDecodedAndNestedOnesIgnored() {
        let body = Array(#" {"n":1,"did":"did:plc:a\u0062c","nested":{"did":"no","a":[1,"x",{"y":"}"}]},"t":true,"m":"a\"b\n\ud83e\udd8b"} "#.utf8)
        #expect(TopLevelStrings.parse(body) == ["did": "did:plc:abc", "m": "a\"b\n🦋"])
    }

    @Test(arguments: ["", "[]", "{", #"{"a"}"#, #"{"a":"b""#, #"{"a":"b"} x"#, "{\"a\":\"\u{01}\"}", #"{"a":"\q"}"#,
                      #"{"a":"\u+123"}"#, #"{"a":"\u12"}"#, #"{"a":"\u12g4"}"#])
    func malformedAnswersAreNotRead(_ text: String) {
        #expect(TopLevelStrings.parse(Array(text.utf8)) == nil)
    }

    @Test func anEmptyObjectHasNoFields() {
        #expect(TopLevelStrings.parse(Array("{ }".utf8)) == [:])
    }
}
