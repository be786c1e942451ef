/// The process exit statuses, documented in `--help`, the man page's EXIT STATUS and the README.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// A normal stop: `--limit` reached, SIGINT/SIGTERM, or stdout closed by its reader.
    case success = 0
    /// A runtime failure: the server refused the subscription, TLS would not verify, and similar.
    case failure = 1
    /// A usage error: an unknown flag, a missing or malformed value.
    case usage = 2
    /// A second SIGINT arrived while the first was being handled: exit at once (128 + SIGINT).
    case interrupted = 130
}
