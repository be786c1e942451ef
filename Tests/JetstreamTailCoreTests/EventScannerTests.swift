#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import JetstreamTailCore

@Suite struct EventScannerTests {
    // MARK: Helpers

    private func validate(_ bytes: [UInt8]) -> ScannedEvent? {
        bytes.withUnsafeBytes { EventScanner.validate($0) }
    }

    private func validate(_ text: String) -> ScannedEvent? { validate(Array(text.utf8)) }

    /// `EventScanner.scan`: the prefix fast path, falling back to `validate`.
    private func scan(_ bytes: [UInt8]) -> ScannedEvent? {
        bytes.withUnsafeBytes { EventScanner.scan($0) }
    }

    private func scan(_ text: String) -> ScannedEvent? { scan(Array(text.utf8)) }

    /// The fast path alone (nil sends an event to `validate`).
    private func prefix(_ text: String) -> ScannedEvent? {
        Array(text.utf8).withUnsafeBytes { EventScanner.scanPrefix($0) }
    }

    private func string(_ bytes: [UInt8], _ range: Range<Int>?) -> String? {
        range.map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    struct Expected: Sendable, CustomStringConvertible {
        var did: String, timeUS: Int64, cursor: UInt64?, kind: EventKind
        var rev: String?, operation: CommitOperation?, collection: String?, rkey: String?
        var description: String { "\(did) \(timeUS)" }
    }

    /// Checks both ways of reading `line`: the full scan and the tail's own (prefix) scan.
    private func check(_ line: [UInt8], _ e: Expected) throws {
        try check(line, e, try #require(validate(line)))
        try check(line, e, try #require(scan(line)))
        #expect(line.withUnsafeBytes { EventScanner.scanPrefix($0) } != nil, "\(e) should take the fast path")
    }

    private func check(_ line: [UInt8], _ e: Expected, _ event: ScannedEvent) throws {
        #expect(string(line, event.did) == e.did)
        #expect(event.timeUS == e.timeUS)
        #expect(event.cursor == e.cursor)
        #expect(event.kind == e.kind)
        #expect(string(line, event.rev) == e.rev)
        #expect(event.operation == e.operation)
        #expect(string(line, event.collection) == e.collection)
        #expect(string(line, event.rkey) == e.rkey)
    }

    // MARK: Real events

    @Test func extractsFieldsFromEverySampleEvent() throws {
        let lines = try TestData.sharedLines("sample-events.jsonl")
        let expected: [Expected] = [
            Expected(did: "did:plc:mcc5yghbk7tixqryac2yxku7", timeUS: 1_779_719_009_132_431, cursor: nil, kind: .commit,
                     rev: "3mmoojp7vgo2g", operation: .create, collection: "app.bsky.feed.like", rkey: "3mmoojp7etg2g"),
            Expected(did: "did:plc:q235v55g5unth4zjjdpacfdr", timeUS: 1_779_719_009_157_119, cursor: nil, kind: .commit,
                     rev: "3mmoojpaqkn2z", operation: .create, collection: "app.bsky.feed.post", rkey: "3mmoojp4cd223"),
            Expected(did: "did:plc:o6t5vwyr7ae73foww7bgye4r", timeUS: 1_779_719_010_689_411, cursor: nil, kind: .commit,
                     rev: "3mmoojqsbjf2d", operation: .update, collection: "app.bsky.actor.profile", rkey: "self"),
            Expected(did: "did:plc:3xnadku4kemqnycbweqnvgzx", timeUS: 1_779_719_009_153_272, cursor: nil, kind: .commit,
                     rev: "3mmoojpae7c2e", operation: .delete, collection: "org.hypercerts.claim.activity", rkey: "3mmontn3gnc2e"),
            Expected(did: "did:plc:g4ut2w5755qxi3fe7mfs72p4", timeUS: 1_779_719_010_267_528, cursor: nil, kind: .identity),
            Expected(did: "did:plc:g4ut2w5755qxi3fe7mfs72p4", timeUS: 1_779_719_010_272_410, cursor: nil, kind: .account),
        ]
        try #require(lines.count == expected.count)
        for (line, e) in zip(lines, expected) { try check(line, e) }
    }

    @Test func extractsTheCursorOfAV2ServerEvent() throws {
        let lines = try TestData.sharedLines("sample-events-v2-server-subscribe.jsonl")
        try #require(lines.count == 1)
        try check(lines[0], Expected(did: "did:plc:abc", timeUS: 1_781_684_495_799_548, cursor: 469_083, kind: .commit,
                                     rev: "3abc", operation: .delete, collection: "app.bsky.feed.post", rkey: "x"))
    }

    @Test func rejectsEveryTruncationOfTheSamples() throws {
        let lines = try TestData.sharedLines("sample-events.jsonl") + TestData.sharedLines("sample-events-v2-server-subscribe.jsonl")
        for line in lines {
            for cut in 0..<line.count where validate(Array(line[..<cut])) != nil {
                Issue.record("a prefix of \(cut) bytes was accepted")
            }
            #expect(validate(line + Array(" \r\n\t".utf8)) != nil)
        }
    }

    // MARK: Where fields come from

    @Test func ignoresLookalikeFieldsInsideTheRecord() throws {
        let text = #"{"did":"did:plc:real","time_us":1,"kind":"commit","commit":{"rev":"r1","operation":"create","#
            + #""collection":"app.bsky.feed.post","rkey":"k1","record":{"time_us":999,"did":"did:plc:evil","#
            + #""cursor":5,"kind":"account","rev":"evil","rkey":"evil","operation":"delete","#
            + #""commit":{"rev":"evil","collection":"evil"},"nested":[{"time_us":998}]},"cid":"c"}}"#
        let bytes = Array(text.utf8)
        let event = try #require(validate(bytes))
        #expect(event.timeUS == 1)
        #expect(event.cursor == nil)
        #expect(event.kind == .commit)
        #expect(string(bytes, event.did) == "did:plc:real")
        #expect(string(bytes, event.rev) == "r1")
        #expect(string(bytes, event.rkey) == "k1")
        #expect(string(bytes, event.collection) == "app.bsky.feed.post")
        #expect(event.operation == .create)
    }

    @Test func readsCommitFieldsAfterANestedRecordAndInAnyOrder() throws {
        let bytes = Array(#"{"commit":{"record":{"a":{"b":[1]}},"rkey":"k","rev":"r"},"time_us":7,"did":"d"}"#.utf8)
        let event = try #require(validate(bytes))
        #expect(string(bytes, event.rkey) == "k")
        #expect(string(bytes, event.rev) == "r")
        #expect(event.timeUS == 7)
        #expect(string(bytes, event.did) == "d")
    }

    @Test func takesCommitFieldsOnlyFromTheTopLevelCommitObject() throws {
        #expect(validate(#"{"identity":{"commit":{"rev":"x"}},"account":{"rev":"y","did":"z"}}"#) == ScannedEvent())
        #expect(validate(#"{"commit":[{"rev":"x"}]}"#) == ScannedEvent())
        #expect(validate(#"{"commit":"rev"}"#) == ScannedEvent())
        #expect(validate(#"{"rev":"x","rkey":"y","operation":"create"}"#) == ScannedEvent())
    }

    @Test func readsTheTopLevelDidNotTheIdentityDid() throws {
        let bytes = Array(#"{"kind":"identity","identity":{"did":"did:plc:inner","seq":1},"did":"did:plc:outer"}"#.utf8)
        #expect(string(bytes, try #require(validate(bytes)).did) == "did:plc:outer")
    }

    @Test func keepsTheLastWellTypedValueOfARepeatedKey() throws {
        #expect(validate(#"{"time_us":1,"time_us":2}"#)?.timeUS == 2)
        #expect(validate(#"{"time_us":1,"time_us":"2"}"#)?.timeUS == 1)
        #expect(validate(#"{"kind":"commit","kind":null}"#)?.kind == .commit)
    }

    @Test func comparesKeysAndEnumValuesAsRawBytes() throws {
        let bytes = Array(#"{"di\u0064":"x","did":"a\"b","kind":"comm\u0069t","commit":{"operation":"CREATE"}}"#.utf8)
        let event = try #require(validate(bytes))
        #expect(string(bytes, event.did) == #"a\"b"#)
        #expect(event.kind == .other)
        #expect(event.operation == .other)
        #expect(validate(#"{"kind":"labeler"}"#)?.kind == .other)
        #expect(validate(#"{"kind":7}"#)?.kind == nil)
    }

    // MARK: Numbers

    @Test(arguments: [
        ("0", 0), ("-0", 0), ("1779719009132431", 1_779_719_009_132_431),
        ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min), ("-5", -5),
    ] as [(String, Int64)])
    func readsIntegerTimestamps(literal: String, value: Int64) {
        #expect(validate(#"{"time_us":\#(literal)}"#)?.timeUS == value)
    }

    @Test(arguments: ["9223372036854775808", "-9223372036854775809", "99999999999999999999999", "1.0", "1e6", "1E+6", "\"1\"", "null"])
    func leavesOtherTimestampsOut(literal: String) throws {
        let event = try #require(validate(#"{"time_us":\#(literal)}"#))
        #expect(event.timeUS == nil)
    }

    /// The prefix path reads a sixteen-digit `time_us` in one step and any other the long way;
    /// both agree with the full scan, including where the fast path has to give up.
    @Test(arguments: [
        "1779719009132431", "9999999999999999", "1000000000000000", "0779719009132431",  // 16 digits
        "17797190091324310", "177971900913243", "1", "0", "01",                          // others
        "999999999999999999", "9223372036854775807", "9223372036854775808", "1779719009132431.5",
    ])
    func readsTimestampsOfEveryWidthAsTheFullScanDoes(literal: String) {
        let text = #"{"did":"did:plc:a","time_us":\#(literal),"kind":"identity","identity":{}}"#
        #expect(scan(text) == validate(text), "\(literal)")
        if let fast = prefix(text) { #expect(fast == validate(text), "\(literal)") }
    }

    @Test func readsUnsignedCursors() {
        #expect(validate(#"{"cursor":18446744073709551615}"#)?.cursor == .max)
        #expect(validate(#"{"cursor":18446744073709551616}"#)?.cursor == nil)
        #expect(validate(#"{"cursor":-1}"#)?.cursor == nil)
        #expect(validate(#"{"cursor":0}"#)?.cursor == 0)
        #expect(validate(#"{"cursor":2.5}"#)?.cursor == nil)
    }

    // MARK: Grammar

    @Test(arguments: [
        "{}", " \t\r\n{ \t\r\n} \t\r\n", #"{"a":[]}"#, #"{"a":{}}"#, #"{"":""}"#,
        #"{"a":[1,-0,0.5,-1.5e-3,1e5,1E+5,2e-0,0e0,true,false,null,"x",{},[],[[]],{"b":{"c":[{}]}}]}"#,
        #"{"a":"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00\uFFFF\uABcd"}"#,
        "{\"é\":\"日本語 🎉\"}", "{\n  \"a\" : 1 ,\n  \"b\" : [ 1 , 2 ]\n}\n",
        #"{"lone":"\uD800"}"#,
    ])
    func acceptsValidObjects(text: String) {
        #expect(validate(text) != nil)
    }

    @Test(arguments: [
        "", " ", "[]", "[{}]", #""x""#, "1", "null", "true", "{", "}", "{}}", "{} x", "{}{}", "{},",
        #"{"a"}"#, #"{"a":}"#, #"{"a" 1}"#, #"{"a":1,}"#, #"{,"a":1}"#, #"{"a":1 "b":2}"#, #"{"a":1,,"b":2}"#,
        #"{"a":01}"#, #"{"a":-01}"#, #"{"a":00}"#, #"{"a":-}"#, #"{"a":1.}"#, #"{"a":.5}"#, #"{"a":1e}"#,
        #"{"a":1e+}"#, #"{"a":+1}"#, #"{"a":0x1}"#, #"{"a":NaN}"#, #"{"a":Infinity}"#, #"{"a":-Infinity}"#,
        #"{"a":"x}"#, #"{"a":"x"#, #"{"a":"\x"}"#, #"{"a":"\u12G4"}"#, #"{"a":"\u12"}"#, #"{"a":"\u"}"#,
        #"{"a":"\"}"#, #"{"a":"\'"}"#, "{\"a\":\"tab\there\"}", "{\"a\":\"nl\n\"}", "{\"a\":\"nul\0\"}",
        "{\"a\u{1F}\":1}", #"{"a":tru}"#, #"{"a":nul}"#, #"{"a":True}"#, #"{"a":nulll}"#, #"{"a":[1,2}"#,
        #"{"a":{]}"#, #"{"a":[1,]}"#, #"{"a":[,1]}"#, #"{"a":{"b"}}"#, "{'a':1}", "{a:1}", "{\"a\":1}\0",
        "{\"a\":1}\u{A0}", "\u{FEFF}{}", "{\u{0B}}", #"{"a":[}"#, #"{"a":{"b":1]}"#,
    ])
    func rejectsInvalidJSON(text: String) {
        #expect(validate(text) == nil)
    }

    @Test func findsSpecialCharactersAtEveryOffsetOfAWord() {
        // The string loop reads eight bytes at a time; put each special byte at every alignment.
        for before in 0..<20 {
            for after in 0..<12 {
                let pad = { (k: Int) in String(repeating: "é", count: k / 2) + String(repeating: "x", count: k % 2) }
                #expect(validate("{\"a\":\"\(pad(before))\\n\(pad(after))\"}") != nil)
                #expect(validate("{\"a\":\"\(pad(before))\\\"\(pad(after))\",\"b\":1}") != nil)
                #expect(validate("{\"a\":\"\(pad(before))\u{1}\(pad(after))\"}") == nil)
                #expect(validate("{\"a\":\"\(pad(before))\u{1F}\(pad(after))\"}") == nil)
                #expect(validate("{\"a\":\"\(pad(before))\u{7F}\(pad(after))\"}") != nil)
                #expect(validate("{\"a\":\"\(pad(before))") == nil)
                let bytes = Array("{\"did\":\"\(pad(before))\"}".utf8)
                #expect(validate(bytes)?.did == 8..<(bytes.count - 2))
            }
        }
    }

    // MARK: Hostile input

    @Test func acceptsNestingUpToTheLimitAndNoDeeper() {
        let limit = EventScanner.maxDepth
        func nested(_ levels: Int) -> String {
            // The top-level object is one level.
            "{\"a\":" + String(repeating: "[", count: levels - 1) + String(repeating: "]", count: levels - 1) + "}"
        }
        #expect(validate(nested(limit)) != nil)
        #expect(validate(nested(limit + 1)) == nil)
        let objects = String(repeating: "{\"a\":", count: limit) + "1" + String(repeating: "}", count: limit)
        #expect(validate(objects) != nil)
        #expect(validate("{\"a\":" + objects + "}") == nil)
    }

    @Test func survivesHundredThousandOpenBrackets() {
        let many = String(repeating: "[", count: 100_000)
        #expect(validate(many) == nil)
        #expect(validate("{\"a\":" + many) == nil)
        #expect(validate("{\"a\":" + many + String(repeating: "]", count: 100_000) + "}") == nil)
        #expect(validate(String(repeating: "{\"a\":", count: 100_000)) == nil)
    }

    /// Megabytes of input of each shape: a quadratic scanner would not finish within the limit.
    @Test(.timeLimit(.minutes(1))) func scansLargeInputsInLinearTime() throws {
        let members = "{" + (0..<30_000).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}"
        #expect(validate(members) != nil)

        let longString = "{\"a\":\"" + String(repeating: "abcdefg\\n", count: 60_000) + "\"}"
        #expect(validate(longString) != nil)

        let deep = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        let manyDeep = "{\"a\":[" + Array(repeating: deep, count: 500).joined(separator: ",") + "]}"
        #expect(validate(manyDeep) != nil)

        let sample = try TestData.sharedLines("sample-events.jsonl")[2]
        let bigRecord = Array(#"{"did":"x","commit":{"record":{"items":["#.utf8)
            + Array(repeating: sample + [UInt8(ascii: ",")], count: 500).joined() + Array("1]},\"rkey\":\"k\"}}".utf8)
        let event = try #require(validate(bigRecord))
        #expect(string(bigRecord, event.rkey) == "k")
    }

    // MARK: The tail's scan: the prefix, then the full scan

    static let like = #"{"did":"did:plc:a","time_us":1779719009132431,"kind":"commit","commit":{"rev":"3r","operation":"create","collection":"app.bsky.feed.like","rkey":"3k","record":{"$type":"app.bsky.feed.like"},"cid":"bafy"}}"#

    @Test func readsTheServersLayoutFromItsPrefix() throws {
        let event = try #require(prefix(Self.like))
        #expect(event == validate(Self.like))
        let v2 = #"{"did":"did:plc:a","time_us":1779719009132431,"cursor":42,"kind":"identity","identity":{"did":"did:plc:a"}}"#
        #expect(try #require(prefix(v2)).cursor == 42)
        #expect(prefix(v2) == validate(v2))
        let delete = #"{"did":"did:plc:a","time_us":7,"kind":"commit","commit":{"rev":"3r","operation":"delete","collection":"c","rkey":"k"}}"#
        #expect(try #require(prefix(delete)).operation == .delete)
        #expect(prefix(delete) == validate(delete))
        for (operation, expected) in [("update", CommitOperation.update), ("undo", .other), ("", .other)] {
            let text = #"{"did":"did:plc:a","time_us":7,"kind":"commit","commit":{"rev":"3r","operation":""#
                + operation + #"","collection":"c","rkey":"k","record":{}}}"#
            #expect(try #require(prefix(text)).operation == expected)
            #expect(prefix(text) == validate(text))
        }
        let other = #"{"did":"did:plc:a","time_us":7,"kind":"sync","sync":{}}"#
        #expect(try #require(prefix(other)).kind == .other)
    }

    /// Any other shape leaves the prefix path, and the full scan reads the same fields from it.
    @Test(arguments: [
        #"{ "did":"did:plc:a","time_us":1,"kind":"identity","identity":{}}"#,              // whitespace
        #"{"did": "did:plc:a","time_us":1,"kind":"identity","identity":{}}"#,
        #"{"time_us":1,"did":"did:plc:a","kind":"identity","identity":{}}"#,              // another order
        #"{"did":"did:plc:a","kind":"identity","time_us":1,"identity":{}}"#,
        #"{"did":"did:plc:\u0061","time_us":1,"kind":"identity","identity":{}}"#,          // an escape
        #"{"did":"did:plc:a","time_us":1,"kind":"ident\u0069ty","identity":{}}"#,
        #"{"did":"did:plc:a","time_us":01,"kind":"identity","identity":{}}"#,             // not plain integers
        #"{"did":"did:plc:a","time_us":-1,"kind":"identity","identity":{}}"#,
        #"{"did":"did:plc:a","time_us":1.5,"kind":"identity","identity":{}}"#,
        #"{"did":"did:plc:a","time_us":1e6,"kind":"identity","identity":{}}"#,
        #"{"did":"did:plc:a","time_us":1234567890123456789,"kind":"identity","identity":{}}"#,
        #"{"did":"did:plc:a","time_us":1,"cursor":1.0,"kind":"identity","identity":{}}"#,
        #"{"did":"did:plc:a","time_us":1,"kind":"commit","commit":{"operation":"create","rev":"r","collection":"c","rkey":"k"}}"#,
        #"{"did":"did:plc:a","time_us":1,"kind":"commit","commit":{"rev":"r","operation":"create","collection":"c"}}"#,
        #"{"did":"did:plc:a","time_us":1,"kind":"commit"}"#,                                // no commit object
        #"{"did":"did:plc:a","time_us":1}"#,                                                // no kind
        #"{"did":"did:plc:a","time_us":1,"kind":"identity","identity":{}} "#,             // space after the end
    ])
    func readsOtherShapesWithTheFullScan(_ text: String) throws {
        #expect(prefix(text) == nil)
        #expect(scan(text) == validate(text))
    }

    @Test func readsADidOfEveryLengthAroundTheLikelyOne() throws {
        // The prefix tries 32 bytes first (a did:plc:); a shorter string can put its own closing
        // quote, or one of the keys after it, at that offset, and an escape can sit anywhere.
        for length in 0...40 {
            let plain = "{\"did\":\"" + String(repeating: "a", count: length) + "\",\"time_us\":1,\"kind\":\"identity\",\"identity\":{}}"
            #expect(try #require(prefix(plain)).did == 8..<(8 + length), "length \(length)")
            #expect(scan(plain) == validate(plain))
            for special in ["\\\"", "\\\\", "\\n"] where length >= 1 {
                for offset in 0..<length {
                    var did = String(repeating: "a", count: length)
                    did.replaceSubrange(did.index(did.startIndex, offsetBy: offset)..<did.index(did.startIndex, offsetBy: offset + 1), with: special)
                    let text = "{\"did\":\"" + did + "\",\"time_us\":1,\"kind\":\"identity\",\"identity\":{}}"
                    #expect(prefix(text) == nil, "\(special) at \(offset) of \(length)")
                    #expect(scan(text) == validate(text))
                }
            }
        }
    }

    @Test func agreesWithTheFullScanOnEveryTruncationOfTheSamples() throws {
        let lines = try TestData.sharedLines("sample-events.jsonl") + TestData.sharedLines("sample-events-v2-server-subscribe.jsonl")
        for line in lines {
            for cut in 0..<line.count {
                let piece = Array(line[..<cut])
                guard let fast = piece.withUnsafeBytes({ EventScanner.scanPrefix($0) }) else { continue }
                // A cut that happens to end in `}` after a complete prefix: the fast path does not
                // look further, so it reads what a whole event would give.
                #expect(piece.last == UInt8(ascii: "}"))
                #expect(fast == scan(line))
            }
        }
    }

    /// The price of reading only the prefix: what follows it is the server's to get right.
    @Test func trustsTheServerForWhatFollowsThePrefix() {
        let broken = #"{"did":"did:plc:a","time_us":1,"kind":"commit","commit":{"rev":"r","operation":"create","collection":"c","rkey":"k","record":{]}}"#
        #expect(validate(broken) == nil)
        #expect(scan(broken) != nil)
        #expect(scan(#"{"did":"did:plc:a","time_us":1,"kind":"identity","identity":{"#) == nil)  // the last byte is checked
    }

    @Test func sendsLineBreaksThroughTheFullScanAndFlagsThem() throws {
        let pretty = "{\n  \"did\": \"did:plc:a\",\n  \"time_us\": 5,\n  \"kind\": \"identity\",\n  \"identity\": {}\n}"
        let event = try #require(scan(pretty))
        #expect(event.hasLineBreaks)
        #expect(event.timeUS == 5 && event.kind == .identity)
        // Compact events have none; a raw line break inside a string is not JSON at all.
        #expect(try #require(scan(Self.like)).hasLineBreaks == false)
        #expect(scan("{\"did\":\"a\nb\",\"time_us\":1,\"kind\":\"identity\",\"identity\":{}}") == nil)
    }

    /// Without commit fields the fast path reads the same event up to `"commit":{"rev":"` and no
    /// further: every other field as before, the commit's four nil, and non-commits unchanged.
    @Test func withoutCommitFieldsReadsEverythingElseTheSame() throws {
        let lines = try TestData.sharedLines("sample-events.jsonl") + TestData.sharedLines("sample-events-v2-server-subscribe.jsonl")
        var commits = 0
        for line in lines {
            let full = try #require(scan(line))
            let lean = try #require(line.withUnsafeBytes { EventScanner.scan($0, commitFields: false) })
            var expected = full
            if full.kind == .commit {
                commits += 1
                expected.rev = nil
                expected.operation = nil
                expected.collection = nil
                expected.rkey = nil
            }
            #expect(lean == expected)
        }
        #expect(commits >= 3)
        // An event the fast path does not take is read in full either way.
        let pretty = "{\n\"did\":\"did:plc:a\",\"time_us\":1,\"kind\":\"commit\",\"commit\":{\"rev\":\"r\",\"operation\":\"create\",\"collection\":\"c\",\"rkey\":\"k\"}}"
        let lean = try #require(Array(pretty.utf8).withUnsafeBytes { EventScanner.scan($0, commitFields: false) })
        #expect(lean.operation == .create)
        // And what is not a JSON object stays refused.
        #expect(Array("{\"did\":\"did:plc:a\",\"time_us\":1,\"kind\":\"commit\",\"commit\":{\"rev\":\"".utf8).withUnsafeBytes { EventScanner.scan($0, commitFields: false) } == nil)
    }
}
