import Testing
@testable import JetstreamTailCore

@Suite struct HelpTextTests {
    @Test func everyLineFitsEightyColumns() {
        for line in Arguments.helpText.split(separator: "\n", omittingEmptySubsequences: false) {
            #expect(line.count <= 80, "\(line)")
        }
    }

    @Test func startsWithUsageAndEndsWithTheManPagePointer() {
        #expect(Arguments.helpText.hasPrefix("Usage: jetstream-tail [OPTIONS]\n"))
        #expect(Arguments.helpText.hasSuffix("Full documentation: man jetstream-tail\n"))
    }

    /// The defaults of the options `--help` describes; the others are checked in the man page.
    @Test func showsTheActualDefaults() {
        let text = Arguments.helpText.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
            .joined(separator: " ")
        #expect(text.contains("(default \(Endpoint.defaultHost))"))
        #expect(text.contains("up to \(StreamConfig.maxCollections)"))
        #expect(text.contains("More options, described in the man page:"))
    }

    @Test func showsTheFourExamples() {
        #expect(Arguments.helpText.contains("    jetstream-tail --collection app.bsky.feed.post | jq -r .commit.record.text\n"))
        #expect(Arguments.helpText.contains("    jetstream-tail --did did:plc:z72i7hdynmk6r22z27h6tvur\n"))
        #expect(Arguments.helpText.contains("    jetstream-tail --cursor -10m --limit 1000\n"))
        #expect(Arguments.helpText.contains("    jetstream-tail --cursor-file cursor --cursor -5m --until now -q >> out.jsonl\n"))
    }

    @Test func saysWhichWinsOfCursorAndCursorFile() {
        let text = Arguments.helpText.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
            .joined(separator: " ")
        #expect(text.contains("A saved point wins over --cursor, which only applies while PATH is missing or empty"))
    }

    @Test func listsEveryExitStatus() {
        for status in [ExitStatus.success, .failure, .usage] {
            #expect(Arguments.helpText.contains("\n  \(status.rawValue)  "))
        }
    }

    @Test func versionTextNamesTheToolAndVersion() {
        #expect(Arguments.versionText == "jetstream-tail \(JetstreamTail.version)\n")
    }

    @Test func wrapBreaksBetweenWords() {
        #expect(Arguments.wrap("aa bb cc", width: 5) == ["aa bb", "cc"])
        #expect(Arguments.wrap("toolongword x", width: 4) == ["toolongword", "x"])
        #expect(Arguments.wrap("", width: 4) == [])
    }
}
