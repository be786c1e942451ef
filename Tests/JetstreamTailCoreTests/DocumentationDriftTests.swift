#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Testing
@testable import JetstreamTailCore

private let repositoryRoot = TestData.repositoryRoot

private func readFile(_ path: String) -> String? {
    (try? TestData.read(path)).map { String(decoding: $0, as: UTF8.self) }
}

private func manPage() throws -> String {
    try #require(readFile(repositoryRoot + "/man/jetstream-tail.1"), "man/jetstream-tail.1 not found under \(repositoryRoot)")
}

/// The lines of one `.SH` section of the man page.
private func section(_ name: String, of page: String) -> [Substring] {
    let lines = page.split(separator: "\n", omittingEmptySubsequences: false)
    guard let start = lines.firstIndex(of: Substring(".SH \(name)")) else { return [] }
    let rest = lines[(start + 1)...]
    return Array(rest.prefix { !$0.hasPrefix(".SH ") })
}

/// Turns roff into plain text for the few escapes the man page uses.
private func unroff(_ line: Substring) -> String {
    var s = String(line)
    for (escape, plain) in [("\\-", "-"), ("\\fB", ""), ("\\fI", ""), ("\\fR", ""), ("\\(aq", "'"), ("\\%", "")] {
        s = s.replacing(escape, with: plain)
    }
    return s
}

/// `-c, --collection NSID` → ("--collection", "c"). Nil for a line that names no long option.
private func option(in text: String) -> (long: String, short: Character?)? {
    let words = text.split(whereSeparator: { $0 == " " || $0 == "," })
    guard let long = words.first(where: { $0.hasPrefix("--") }) else { return nil }
    let short = words.first(where: { $0.count == 2 && $0.hasPrefix("-") && $0 != "--" }).map { $0.last! }
    return (String(long), short)
}

private func asDictionary(_ options: [(long: String, short: Character?)]) -> [String: String] {
    Dictionary(options.map { ($0.long, $0.short.map(String.init) ?? "") }, uniquingKeysWith: { a, _ in a })
}

/// Names what one listing has that the flag table lacks, and the reverse, for a readable failure.
private func difference(_ listed: [String: String], _ table: [String: String]) -> Comment {
    let extra = listed.filter { table[$0.key] != $0.value }.map { "\($0.key) (-\($0.value))" }.sorted()
    let missing = table.filter { listed[$0.key] != $0.value }.map { "\($0.key) (-\($0.value))" }.sorted()
    return "not in the flag table: \(extra); in the flag table only: \(missing)"
}

@Suite struct DocumentationDriftTests {
    private var table: [String: String] {
        asDictionary(Arguments.flags.map { ($0.long, $0.short) })
    }

    @Test func helpListsExactlyTheFlagTable() throws {
        let text = Arguments.helpText
        let start = try #require(text.firstRange(of: "\nOptions:\n")).upperBound
        let end = try #require(text[start...].firstRange(of: "\n\n")).lowerBound
        // An option starts at column 2 (`-c, --collection`) or 6 (`    --host`); deeper lines
        // continue a description, even when a word there starts with a dash.
        let listed = text[start..<end].split(separator: "\n")
            .filter { $0.hasPrefix("  -") || $0.hasPrefix("      --") }
            .compactMap { option(in: String($0)) }
        let common = asDictionary(Arguments.flags.filter { Arguments.commonFlags.contains($0.long) }.map { ($0.long, $0.short) })
        #expect(asDictionary(listed) == common, difference(asDictionary(listed), common))
        // The other options are named in the paragraph after the list, each once.
        let moreStart = try #require(text.firstRange(of: "\nMore options, described in the man page:\n")).upperBound
        let moreEnd = try #require(text[moreStart...].firstRange(of: "\n\n")).lowerBound
        let named = text[moreStart..<moreEnd].split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        let rest = Arguments.flags.map(\.long).filter { !Arguments.commonFlags.contains($0) }
        #expect(named == rest)
        #expect(Set(listed.map(\.0)).union(named).count == Arguments.flags.count)
    }

    @Test func manPageOptionsListExactlyTheFlagTable() throws {
        let lines = section("OPTIONS", of: try manPage())
        let tags = lines.indices.dropLast().filter { lines[$0] == ".TP" }.map { unroff(lines[$0 + 1]) }
        let listed = tags.compactMap(option(in:))
        #expect(listed.count == tags.count, "every .TP in OPTIONS names a long option")
        #expect(listed.count == Arguments.flags.count)
        #expect(asDictionary(listed) == table, difference(asDictionary(listed), table))
    }

    @Test func manPageOptionsAreInTableOrder() throws {
        let lines = section("OPTIONS", of: try manPage())
        let order = lines.indices.dropLast().filter { lines[$0] == ".TP" }.compactMap { option(in: unroff(lines[$0 + 1]))?.long }
        #expect(order == Arguments.flags.map(\.long))
    }

    @Test func manPageTitleCarriesTheVersion() throws {
        let first = try #require(try manPage().split(separator: "\n").first)
        #expect(first.hasPrefix(".TH JETSTREAM-TAIL 1 "))
        #expect(first.hasSuffix("\"jetstream-tail \(JetstreamTail.version)\" \"User Commands\""))
    }

    @Test func manPageExitStatusListsEveryCode() throws {
        let lines = section("EXIT STATUS", of: try manPage())
        let codes = lines.indices.dropLast().filter { lines[$0] == ".TP" }.map { String(lines[$0 + 1]) }
        #expect(codes == ExitStatus.allCases.map { ".B \($0.rawValue)" })
    }

    @Test func manPageExamplesIncludeTheHelpExamples() throws {
        let examples = section("EXAMPLES", of: try manPage()).map(unroff)
        let fromHelp = Arguments.helpText.split(separator: "\n")
            .filter { $0.hasPrefix("    jetstream-tail ") }
            .map { String($0.dropFirst(4)) }
        #expect(fromHelp.count == 4)
        for example in fromHelp {
            #expect(examples.contains(example), "\(example)")
        }
    }

    @Test func manPageHasTheExpectedSections() throws {
        let headings = try manPage().split(separator: "\n").filter { $0.hasPrefix(".SH ") }.map { String($0.dropFirst(4)) }
        #expect(headings == ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "OUTPUT", "RECONNECTS", "BACKFILLS FROM CRON", "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES", "CAVEATS", "SEE ALSO"])
    }

    @Test func manPageNamesTheDictionaryCacheAsTheCodeDoes() throws {
        let files = section("FILES", of: try manPage()).map(unroff).joined(separator: " ")
        #expect(files.contains("$XDG_CACHE_HOME/jetstream-tail/ "))
        #expect(files.contains(" \(ZstdDictionary.cacheFileName) "))
        #expect(files.contains("size, \(ZstdDictionary.expectedSize) bytes,"))
        #expect(files.contains(ZstdDictionary.expectedSHA256))
    }

    @Test func manPageStatesTheActualDefaults() throws {
        let text = section("OPTIONS", of: try manPage()).map(unroff).joined(separator: " ")
        let defaults = StreamConfig()
        #expect(text.contains("Default: \(Endpoint.defaultHost)."))
        #expect(text.contains("Default: \(OptionValue.formatBytes(Int64(defaults.maxMessageSize)))."))
        #expect(text.contains("Default: \(OptionValue.formatSeconds(defaults.connectTimeout))."))
        #expect(text.contains("Default: \(OptionValue.formatSeconds(defaults.statsInterval))."))
        #expect(text.contains("up to \(StreamConfig.maxCollections) distinct values"))
        #expect(text.contains("Default: \(defaults.saveEvery)."))
        #expect(text.contains("Default: \(OptionValue.formatSeconds(defaults.saveInterval))."))
    }

    // MARK: The environment table

    /// Every `JETSTREAM_TAIL_…` entry of ENVIRONMENT names the option on the next line; together they
    /// are exactly the options that read the environment, in table order.
    @Test func manPageEnvironmentListsExactlyTheVariablesTheParserReads() throws {
        let lines = section("ENVIRONMENT", of: try manPage())
        var listed: [String] = []
        for i in lines.indices.dropLast(2) where lines[i].hasPrefix(".TP") && lines[i + 1].hasPrefix(".B JETSTREAM_TAIL_") {
            let variable = lines[i + 1].dropFirst(3)
            let option = try #require(option(in: unroff(lines[i + 2]))?.long, "\(variable) names no option")
            listed.append("\(variable) \(option)")
        }
        let table = Arguments.flags.compactMap { flag in flag.environmentVariable.map { "\($0) \(flag.long)" } }
        #expect(listed == table)
    }

    @Test func manPageEnvironmentMarksTheRepeatableOptions() throws {
        let lines = section("ENVIRONMENT", of: try manPage())
        for flag in Arguments.flags where flag.readsEnvironment {
            let at = try #require(lines.firstIndex(of: Substring(".B \(flag.environmentVariable!)")))
            #expect((lines[at + 2] == "(repeatable)") == flag.repeatable, "\(flag.long)")
        }
    }

    // MARK: The README

    /// Every option the README names in backquotes (`--flag` or `--flag VALUE`) exists.
    @Test func readmeNamesOnlyRealOptions() throws {
        guard let readme = readFile(repositoryRoot + "/README.md") else { return }
        let table = Set(Arguments.flags.map(\.long))
        for line in readme.split(separator: "\n") {
            for piece in line.split(separator: "`").dropFirst() where piece.hasPrefix("--") {
                let name = String(piece.prefix { $0 != " " && $0 != "=" })
                #expect(table.contains(name), "README.md mentions \(name): \(line)")
            }
        }
    }

    /// The README's option table (rows that begin with a backquoted option) lists exactly the flag table.
    @Test func readmeOptionTableListsExactlyTheFlagTable() throws {
        guard let readme = readFile(repositoryRoot + "/README.md") else { return }
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| `-") }
        let listed = rows.compactMap { row in
            option(in: String(row.split(separator: "|").first ?? "").replacing("`", with: ""))
        }
        #expect(listed.count == rows.count, "every option row names a long option")
        #expect(asDictionary(listed) == table, difference(asDictionary(listed), table))
    }
}
