import Testing
@testable import JetstreamTailCore

@Suite struct CompletionsTests {
    @Test(arguments: Shell.allCases)
    func everyScriptOffersEveryLongOption(_ shell: Shell) {
        let script = Completions.script(for: shell)
        for flag in Arguments.flags {
            switch shell {
            case .bash, .zsh: #expect(script.contains(flag.long), "\(flag.long)")
            case .fish: #expect(script.contains("-l \(flag.long.dropFirst(2))"), "\(flag.long)")
            }
        }
    }

    @Test func bashCompletesWordsFilesAndLists() {
        let script = Completions.script(for: .bash)
        #expect(script.contains("--kind) COMPREPLY=($(compgen -W 'commit identity account' -- \"$cur\")); return ;;"))
        #expect(script.contains("--on-full) COMPREPLY=($(compgen -W 'block drop' -- \"$cur\")); return ;;"))
        #expect(script.contains("--cacert) COMPREPLY=($(compgen -f -- \"$cur\"))"))
        #expect(script.contains("--did|-d) [[ $cur == @* ]] && COMPREPLY=($(compgen -f -P @ -- \"${cur#@}\"))"))
        #expect(script.contains("--host) COMPREPLY=($(compgen -W 'us-east us-west"))
        #expect(script.hasSuffix("complete -F _jetstream_tail jetstream-tail\n"))
    }

    @Test func zshSpecsRepeatExcludeAndQuote() {
        let script = Completions.script(for: .zsh)
        #expect(script.hasPrefix("#compdef jetstream-tail\n"))
        #expect(script.contains("  '*'{-c+,--collection=}'[Only commits in this collection"))
        #expect(script.contains("  '(-n --limit)'{-n+,--limit=}'[Stop after writing N events]:N: '"))
        #expect(script.contains("  '(- *)'{-h,--help}'[Show this help and exit]'"))
        #expect(script.contains("'[Skip checking the server'\\''s certificate and name]'"))
        #expect(script.contains("\\[v6\\]:port"))
        #expect(script.contains(":FILE:_files'"))
        #expect(script.contains(":KIND:(commit identity account)'"))
    }

    @Test func fishLinesNameShortAndLongForms() {
        let script = Completions.script(for: .fish)
        #expect(script.contains("complete -c jetstream-tail -l collection -s c -x -d 'Only commits in this collection"))
        #expect(script.contains("complete -c jetstream-tail -l cacert -r -F -d"))
        #expect(script.contains("complete -c jetstream-tail -l operation -x -a 'create update delete' -d"))
        #expect(script.contains("-d 'Skip checking the server\\'s certificate and name'"))
    }

    @Test func summariesStopBeforeDetailsAndDefaults() throws {
        let did = try #require(Arguments.flags.first { $0.long == "--did" })
        #expect(Completions.summary(did) == "Only events from this account")
        let timeout = try #require(Arguments.flags.first { $0.long == "--connect-timeout" })
        #expect(Completions.summary(timeout) == "Time allowed to connect, TLS and upgrade included")
    }
}
