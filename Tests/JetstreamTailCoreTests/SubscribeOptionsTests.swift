import Testing
@testable import JetstreamTailCore

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// `count` DIDs of the usual did:plc length (32 characters).
private func dids(_ count: Int) -> [String] {
    (0..<count).map { n in
        let digits = String(n)
        return "did:plc:" + String(repeating: "a", count: 24 - digits.count) + digits
    }
}

@Suite struct SubscribeOptionsTests {
    @Test func shortFiltersStayInTheURL() {
        var c = StreamConfig()
        #expect(!SubscribeOptions.needsHello(c))
        c.wantedCollections = ["app.bsky.feed.post", "app.bsky.graph.*"]
        c.wantedDids = dids(80)
        #expect(!SubscribeOptions.needsHello(c))
    }

    @Test func theLineIsDrawnAtFourKibibytesOfQuery() {
        // Each did:plc costs "&wantedDids=" (12) + 32 = 44 bytes: 93 fit in 4096, 94 do not.
        var c = StreamConfig()
        c.wantedDids = dids(93)
        #expect(!SubscribeOptions.needsHello(c))
        c.wantedDids = dids(94)
        #expect(SubscribeOptions.needsHello(c))
    }

    @Test func collectionsCountTowardsTheLimitToo() {
        var c = StreamConfig()
        c.wantedCollections = (0..<100).map { "com.example.some-long-authority-name.collection\($0)" }
        #expect(SubscribeOptions.needsHello(c))
    }

    @Test func percentEncodingCountsAtItsEncodedLength() {
        var c = StreamConfig()
        // 1,400 bytes that each become three in the URL.
        c.wantedDids = ["did:web:" + String(repeating: "%", count: 1400)]
        #expect(SubscribeOptions.needsHello(c))
    }

    @Test func theUpdateCarriesBothListsAndTheSizeLimit() {
        var c = StreamConfig()
        c.wantedCollections = ["app.bsky.feed.post"]
        c.wantedDids = ["did:plc:q6gjnaw2blty4crticxkmujt"]
        c.maxMessageSize = 1_000_000
        #expect(text(SubscribeOptions.optionsUpdate(for: c)) == #"{"type":"options_update","payload":{"wantedCollections":["app.bsky.feed.post"],"wantedDids":["did:plc:q6gjnaw2blty4crticxkmujt"],"maxMessageSizeBytes":1000000}}"#)
    }

    @Test func emptyListsAreSentAsEmptyArrays() {
        // An update replaces both lists: an empty one means no filter, as an absent URL key does.
        #expect(text(SubscribeOptions.optionsUpdate(for: StreamConfig())) == #"{"type":"options_update","payload":{"wantedCollections":[],"wantedDids":[],"maxMessageSizeBytes":4194304}}"#)
    }

    @Test func stringsAreEscapedAsJSON() {
        var out: [UInt8] = []
        SubscribeOptions.appendString("a\"b\\c\nd\u{01}é", to: &out)
        #expect(text(out) == #""a\"b\\c\u000ad\u0001é""#)
    }

    @Test func twoThousandDIDsMakeOneMessageInOrder() {
        var c = StreamConfig()
        c.wantedDids = dids(2000)
        let message = text(SubscribeOptions.optionsUpdate(for: c))
        #expect(message.hasPrefix(#"{"type":"options_update","payload":{"wantedCollections":[],"wantedDids":[""#))
        #expect(message.contains(#""\#(c.wantedDids[0])","\#(c.wantedDids[1])","#))
        #expect(message.hasSuffix(#""\#(c.wantedDids[1999])"],"maxMessageSizeBytes":4194304}}"#))
        #expect(message.utf8.count < SubscribeOptions.maxMessageBytes)
    }
}
