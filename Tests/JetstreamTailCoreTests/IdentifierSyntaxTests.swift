import Testing
@testable import JetstreamTailCore

private func collectionError(_ s: String) -> IdentifierError? {
    do { try IdentifierSyntax.validateCollection(s); return nil } catch { return error }
}

private func didError(_ s: String) -> IdentifierError? {
    do { try IdentifierSyntax.validateDID(s); return nil } catch { return error }
}

@Suite struct IdentifierSyntaxTests {
    /// The valid examples of the AT Protocol NSID specification, real collections, and a name with a
    /// digit, which the current specification allows.
    @Test(arguments: [
        "com.example.fooBar", "net.users.bob.ping", "a-0.b-1.c", "a.b.c", "cn.8.lex.stuff",
        "app.bsky.feed.post", "app.bsky.graph.follow", "com.atproto.sync.subscribeRepos", "com.example.v2",
        "COM.EXAMPLE.Foo", "xn--ls8h.example.thing",
    ])
    func acceptsValidNSIDs(_ nsid: String) {
        #expect(collectionError(nsid) == nil)
    }

    @Test(arguments: [
        ("com.exa💩ple.thing", IdentifierError.nsidInvalidCharacter("💩")),
        ("com.example", .tooFewSegments),
        ("com", .tooFewSegments),
        ("", .emptyNSID),
        ("com..example.foo", .emptySegment),
        (".com.example.foo", .emptySegment),
        ("com.example.foo.", .emptySegment),
        ("1com.example.foo", .topLevelStartsWithDigit("1com")),
        ("-com.example.foo", .hyphenAtSegmentEdge("-com")),
        ("com.example-.foo", .hyphenAtSegmentEdge("example-")),
        ("com.example.foo-bar", .invalidName("foo-bar")),
        ("com.example.3foo", .invalidName("3foo")),
        ("com.example.foo bar", .nsidInvalidCharacter(" ")),
        ("com.example.foo_bar", .nsidInvalidCharacter("_")),
        ("com.example.foo#main", .nsidInvalidCharacter("#")),
        ("app.bsky.feed.post,app.bsky.feed.like", .nsidInvalidCharacter(",")),
    ])
    func rejectsInvalidNSIDsForTheRightReason(_ nsid: String, _ expected: IdentifierError) {
        #expect(collectionError(nsid) == expected)
    }

    @Test func segmentsAreAtMostSixtyThreeCharacters() {
        let long = String(repeating: "a", count: 64)
        #expect(collectionError("com.\(String(repeating: "a", count: 63)).foo") == nil)
        #expect(collectionError("com.\(long).foo") == .segmentTooLong(long))
        #expect(collectionError("com.example.\(long)") == .segmentTooLong(long))
    }

    @Test func nsidsAreAtMostThreeHundredSeventeenCharacters() {
        let label = String(repeating: "a", count: 63)
        // 4 labels of 63 plus "b" and 3 periods = 256 authority chars; pad to 317 with a 60-char name.
        let authority = [label, label, label, label, "b"].joined(separator: ".")
        let exact = authority + "." + String(repeating: "n", count: 317 - authority.count - 1)
        #expect(exact.count == 317)
        #expect(collectionError(exact) == nil)
        #expect(collectionError(exact + "n") == .nsidTooLong(318))
        let tooLong = [label, label, label, label, label].joined(separator: ".") + ".name"
        #expect(collectionError(tooLong) == .nsidTooLong(tooLong.utf8.count))
    }

    @Test(arguments: ["app.bsky.*", "app.*", "com.example.sub-domain.*", "app.bsky.feed.*"])
    func acceptsPrefixWildcards(_ filter: String) {
        #expect(collectionError(filter) == nil)
    }

    @Test(arguments: [
        ("*", IdentifierError.bareWildcard),
        ("app.bsky.feed.po*", .misplacedWildcard),
        ("app.*.post", .misplacedWildcard),
        ("app.bsky.*.*", .misplacedWildcard),
        ("app.bsky*", .misplacedWildcard),
        ("app..*", .emptySegment),
        (".*", .emptySegment),
        ("app bsky.*", .nsidInvalidCharacter(" ")),
    ])
    func rejectsMalformedWildcards(_ filter: String, _ expected: IdentifierError) {
        #expect(collectionError(filter) == expected)
    }

    /// The valid examples of the AT Protocol DID specification.
    @Test(arguments: [
        "did:plc:z72i7hdynmk6r22z27h6tvur", "did:web:blueskyweb.xyz", "did:method:val:two", "did:m:v",
        "did:method::::val", "did:method:-:_:.", "did:key:zQ3shZc2QzApp2oymGvQbzP8eKheVshBHbU4ZYjeXqwSKEn6N",
        "did:web:localhost%3A1234",
    ])
    func acceptsValidDIDs(_ did: String) {
        #expect(didError(did) == nil)
    }

    /// The invalid examples of the AT Protocol DID specification, and a few more.
    @Test(arguments: [
        ("did:METHOD:val", IdentifierError.didInvalidMethod),
        ("did:m123:val", .didInvalidMethod),
        ("DID:method:val", .didMissingPrefix),
        ("did:method:", .didEmptyIdentifier),
        ("did:method:val/two", .didInvalidCharacter("/")),
        ("did:method:val?two", .didInvalidCharacter("?")),
        ("did:method:val#two", .didInvalidCharacter("#")),
        ("did:method:val:", .didBadEnding),
        ("did:method:val%", .didBadEnding),
        ("did:", .didInvalidMethod),
        ("did::val", .didInvalidMethod),
        ("did:plc", .didInvalidMethod),
        ("bsky.app", .didMissingPrefix),
        ("at://did:plc:abc", .didMissingPrefix),
        ("did:plc:é", .didInvalidCharacter("é")),
    ])
    func rejectsInvalidDIDsForTheRightReason(_ did: String, _ expected: IdentifierError) {
        #expect(didError(did) == expected)
    }

    @Test func didsAreAtMostTwoKilobytes() {
        let exact = "did:plc:" + String(repeating: "a", count: 2048 - 8)
        #expect(didError(exact) == nil)
        #expect(didError(exact + "a") == .didTooLong(2049))
    }

    @Test func everyErrorHasAOneLineDescription() {
        let all: [IdentifierError] = [
            .emptyNSID, .bareWildcard, .misplacedWildcard, .nsidInvalidCharacter("x"), .nsidTooLong(318),
            .emptySegment, .tooFewSegments, .segmentTooLong("s"), .hyphenAtSegmentEdge("s"),
            .topLevelStartsWithDigit("1"), .invalidName("n"), .didMissingPrefix, .didInvalidMethod,
            .didEmptyIdentifier, .didInvalidCharacter("x"), .didBadEnding, .didTooLong(2049),
        ]
        for e in all {
            #expect(!e.description.isEmpty && !e.description.contains("\n"))
        }
    }
}
