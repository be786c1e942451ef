import Testing
@testable import JetstreamTailCore

private func items(_ text: String) -> [String] { ListFile.items(Array(text.utf8)).map { "\($0.line):\($0.value)" } }

@Suite struct ListFileTests {
    @Test func oneValuePerLineWithLineNumbers() {
        #expect(items("a\nb\nc") == ["1:a", "2:b", "3:c"])
    }

    @Test func commentsBlanksAndLineEndingsAreDropped() {
        #expect(items("# header\n\n  a  \r\nb # note\n\t#indented comment\n c\t\n\n") == ["3:a", "4:b", "6:c"])
    }

    @Test func anEmptyListHasNoValues() {
        #expect(items("").isEmpty)
        #expect(items("\n\n# nothing\n").isEmpty)
    }

    @Test func innerSpacesStaySoTheValueIsRefusedLater() {
        #expect(items("did:plc:a did:plc:b\n") == ["1:did:plc:a did:plc:b"])
    }
}
