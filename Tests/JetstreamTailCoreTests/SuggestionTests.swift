import Testing
@testable import JetstreamTailCore

private func d(_ a: String, _ b: String) -> Int {
    Suggestion.distance(Array(a.unicodeScalars), Array(b.unicodeScalars))
}

@Suite struct SuggestionTests {
    @Test func distanceCountsEditsAndSwaps() {
        #expect(d("", "") == 0)
        #expect(d("abc", "") == 3)
        #expect(d("", "abc") == 3)
        #expect(d("kitten", "sitting") == 3)
        #expect(d("colection", "collection") == 1)
        #expect(d("hsot", "host") == 1)
        #expect(d("quite", "quiet") == 1)
    }

    @Test func closestPrefersTheSmallestDistanceThenTableOrder() {
        let names = ["host", "collection", "did", "cursor", "limit", "quiet"]
        #expect(Suggestion.closest(to: "colection", among: names) == "collection")
        #expect(Suggestion.closest(to: "HOST", among: names) == "host")
        #expect(Suggestion.closest(to: "dir", among: names) == "did")
        #expect(Suggestion.closest(to: "cursr", among: names) == "cursor")
        #expect(Suggestion.closest(to: "xyz", among: names) == nil)
        #expect(Suggestion.closest(to: "", among: names) == nil)
    }

    @Test func aUniquePrefixIsSuggested() {
        let names = ["collection", "connect-timeout", "cursor"]
        #expect(Suggestion.closest(to: "coll", among: names) == "collection")
        #expect(Suggestion.closest(to: "conn", among: names) == "connect-timeout")
        #expect(Suggestion.closest(to: "co", among: names) == nil)
    }
}
