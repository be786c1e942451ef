import Testing
@testable import JetstreamTailCore

private let longSegment = String(repeating: "o", count: 63)
private let tooLongSegment = String(repeating: "o", count: 64)
/// 253 characters, the most a handle may have.
private let longest = "shoooort" + String(repeating: ".loooooooooooooooooooooooooong", count: 8) + ".test"
private let tooLong = "shoooort" + String(repeating: ".loooooooooooooooooooooooooong", count: 9) + ".test"

private func failure(_ value: String) -> HandleSyntaxError? {
    do { _ = try HandleSyntax.normalized(value); return nil } catch { return error }
}

@Suite struct HandleSyntaxTests {
    @Test(arguments: [
        "alice.bsky.social", "jo.hn", "a.co", "j0.h0", "john-john.test", "4chan.org", "xn--bcher-kva.tld",
        "laptop.local", "john.t", "short.\(longSegment).test", longest,
    ])
    func acceptsValidHandles(_ handle: String) throws {
        #expect(try HandleSyntax.normalized(handle) == handle)
    }

    @Test func lowercasesBecauseHandlesAreCaseInsensitive() throws {
        #expect(try HandleSyntax.normalized("A.ISI.EDU") == "a.isi.edu")
        #expect(try HandleSyntax.normalized("Alice.Bsky.Social") == "alice.bsky.social")
    }

    @Test(arguments: [
        ("", HandleSyntaxError.empty),
        ("did:plc:z72i7hdynmk6r22z27h6tvur", .isADID),
        ("jo_hn.test", .invalidCharacter("_")),
        ("john .test", .invalidCharacter(" ")),
        ("bücher.test", .invalidCharacter("ü")),
        ("@alice.bsky.social", .invalidCharacter("@")),
        ("john", .tooFewSegments),
        ("john..test", .emptySegment),
        (".john.test", .emptySegment),
        ("john.test.", .emptySegment),
        ("-john.test", .hyphenAtSegmentEdge("-john")),
        ("john.tes-", .hyphenAtSegmentEdge("tes-")),
        ("john.0", .topLevelStartsWithDigit("0")),
        ("127.0.0.1", .topLevelStartsWithDigit("1")),
        ("short.\(tooLongSegment).test", .segmentTooLong(tooLongSegment)),
        (tooLong, .tooLong(283)),
    ] as [(String, HandleSyntaxError)])
    func refusesInvalidHandlesForTheRightReason(_ value: String, _ expected: HandleSyntaxError) {
        #expect(failure(value) == expected)
    }

    @Test func everyErrorHasAOneLineDescription() {
        let all: [HandleSyntaxError] = [.empty, .isADID, .invalidCharacter("_"), .tooLong(300), .emptySegment,
                                        .tooFewSegments, .segmentTooLong("x"), .hyphenAtSegmentEdge("-x"), .topLevelStartsWithDigit("1")]
        for e in all { #expect(!e.description.isEmpty && !e.description.contains("\n")) }
    }
}
