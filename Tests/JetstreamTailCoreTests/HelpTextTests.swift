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

    @Test func showsTheActualDefaults() {
        let defaults = StreamConfig()
        let text = Arguments.helpText.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
            .joined(separator: " ")
        #expect(text.contains("(default \(Endpoint.defaultHost))"))
        #expect(text.contains("(default \(OptionValue.formatBytes(Int64(defaults.maxMessageSize))))"))
        #expect(text.contains("included (default \(OptionValue.formatSeconds(defaults.connectTimeout)))"))
        #expect(text.contains("off (default \(OptionValue.formatSeconds(defaults.statsInterval)))"))
        #expect(text.contains("up to \(StreamConfig.maxCollections)"))
    }

    @Test func showsTheThreeExamples() {
        #expect(Arguments.helpText.contains("    jetstream-tail --collection app.bsky.feed.post | jq -r .commit.record.text\n"))
        #expect(Arguments.helpText.contains("    jetstream-tail --did did:plc:z72i7hdynmk6r22z27h6tvur\n"))
        #expect(Arguments.helpText.contains("--cursor $(( ($(date +%s) - 600) * 1000000 )) --limit 1000\n"))
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
