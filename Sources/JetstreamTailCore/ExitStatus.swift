/// The process exit statuses, documented in `--help`, the man page's EXIT STATUS and the README.
public enum ExitStatus: Int32, Sendable {
    /// A normal stop: `--limit` reached, end of stream, SIGINT/SIGTERM, or stdout closed by its reader.
    case success = 0
    /// A runtime failure: the server refused the subscription, TLS would not verify, and similar.
    case failure = 1
    /// A usage error: an unknown flag, a missing or malformed value.
    case usage = 2
}
