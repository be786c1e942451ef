#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Testing
@testable import JetstreamTailCore

@Suite struct DiagnosticsTests {
    /// What `Diagnostics` writes to `fd` while `body` runs, read back from a pipe.
    private func written(_ body: (Diagnostics) -> Void, quiet: Bool = false) throws -> String {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        body(Diagnostics(quiet: quiet, fd: fds[1]))
        close(fds[1])
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &chunk, chunk.count)
            if n <= 0 { break }
            bytes += chunk[..<n]
        }
        close(fds[0])
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func eachMessageIsOnePrefixedLine() throws {
        let text = try written { d in
            d.error("cannot connect")
            d.warning("retention")
            d.note("connected")
        }
        #expect(text == "jetstream-tail: error: cannot connect\njetstream-tail: warning: retention\njetstream-tail: connected\n")
    }

    @Test func quietDropsNotesButNotErrors() throws {
        let text = try written({ d in
            d.note("connected")
            d.error("failed")
        }, quiet: true)
        #expect(text == "jetstream-tail: error: failed\n")
    }

    @Test func usageErrorsEndWithTheHint() throws {
        let text = try written { $0.usage("unknown option '--x'") }
        #expect(text == "jetstream-tail: unknown option '--x'\nTry 'jetstream-tail --help' for more information.\n")
    }

    /// A server's close reason or a library's message may hold line breaks and terminal controls:
    /// line breaks (LF or CRLF) become spaces, every other control (a tab too) an escape, text stays.
    @Test(arguments: [
        ("server closed the connection (code 1008: too\nslow)", "server closed the connection (code 1008: too slow)"),
        ("a\r\nb", "a b"),
        ("progress\rover", #"progress\rover"#),
        ("\u{1B}]0;title\u{07}red", #"\u{1b}]0;title\u{7}red"#),
        ("8-bit CSI \u{9B}2J", #"8-bit CSI \u{9b}2J"#),
        ("nul \u{0} del \u{7F}", #"nul \u{0} del \u{7f}"#),
        ("tab\tcafé ✓ 日本", #"tab\tcafé ✓ 日本"#),
    ])
    func controlCharactersNeverReachTheTerminal(_ message: String, _ expected: String) throws {
        #expect(Diagnostics.oneLine(message) == expected)
        #expect(try written { $0.error(message) } == "jetstream-tail: error: \(expected)\n")
    }
}
