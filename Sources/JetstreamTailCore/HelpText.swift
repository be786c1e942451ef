extension Arguments {
    /// The options `--help` describes; the others it only names, for the man page to describe.
    static let commonFlags: Set<String> = [
        "--host", "--collection", "--did", "--handle", "--cursor", "--until", "--cursor-file", "--limit",
        "--compress", "--kind", "--operation", "--quiet", "--help", "--version",
    ]

    /// The `--help` screen, printed to stdout: short, with the common options described and the
    /// rest named. Both lists come from `flags`, so they can never disagree with the parser; the man
    /// page is checked against the same table by a test.
    public static let helpText: String = {
        var text = """
        Usage: jetstream-tail [OPTIONS]

        Tail Bluesky's Jetstream: write each event to stdout as one JSON line, exactly
        as the server sent it. Stats and errors go to stderr.

        Options:

        """
        let common = flags.filter { commonFlags.contains($0.long) }
        let column = 2 + (common.map(\.synopsis.count).max() ?? 0) + 2
        for flag in common {
            let lead = "  " + flag.synopsis
            let lines = wrap(flag.help, width: lineWidth - column)
            for (n, line) in lines.enumerated() {
                let left = n == 0 ? lead : ""
                text += left + String(repeating: " ", count: column - left.count) + line + "\n"
            }
        }
        let others = flags.filter { !commonFlags.contains($0.long) }.map(\.long).joined(separator: " ")
        text += "\nMore options, described in the man page:\n"
        for line in wrap(others, width: lineWidth - 2) { text += "  " + line + "\n" }
        text += """

        Examples:
          Print the text of every new post:
            jetstream-tail --collection app.bsky.feed.post | jq -r .commit.record.text
          Follow one account (here @bsky.app), including its handle and status changes:
            jetstream-tail --did did:plc:z72i7hdynmk6r22z27h6tvur
          Replay from ten minutes ago and stop after 1000 events:
            jetstream-tail --cursor -10m --limit 1000
          Append what happened since the last run, as from cron (see the man page):
            jetstream-tail --cursor-file cursor --cursor -5m --until now -q >> out.jsonl

        Exit status:
          0  stopped normally: --limit reached, interrupted, or stdout closed (| head)
          1  runtime failure, such as the server refusing the subscription
          2  usage error
          130  a second interrupt (Ctrl-C) while stopping

        Environment:
          Most options also read JETSTREAM_TAIL_<OPTION>, such as JETSTREAM_TAIL_HOST
          or JETSTREAM_TAIL_CONNECT_TIMEOUT; an option given on the command line wins.

        Full documentation: man jetstream-tail

        """
        return text
    }()

    /// What `--version` prints.
    public static let versionText = "jetstream-tail \(JetstreamTail.version)\n"

    /// `--help` fits a classic 80-column terminal.
    static let lineWidth = 80

    /// Greedy word wrap; a word longer than `width` gets a line of its own.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
