/// Short names for the Jetstream instances Bluesky runs, accepted by `--host`.
///
/// Two generations serve the same `/subscribe` wire. The second-generation servers, launched in
/// August 2026, answer at `jetstream.us-east.bsky.network` and `jetstream.us-west.bsky.network`:
/// `us-east` and `us-west` name them. The four first-generation instances, listed in the original
/// Jetstream README since October 2024, keep their numbers: `us-east-1` is
/// `jetstream1.us-east.bsky.network`, and so on. Every name means `wss://HOST/subscribe` on port 443.
///
/// A name is only recognised as the whole value, so `us-east:443` or `wss://us-east` still reach a
/// machine actually called `us-east`.
public enum PublicHosts {
    /// Each short name and the host it stands for, in the order `--help` and completions show them.
    public static let all: [(name: String, host: String)] = [
        ("us-east", "jetstream.us-east.bsky.network"),
        ("us-west", "jetstream.us-west.bsky.network"),
        ("us-east-1", "jetstream1.us-east.bsky.network"),
        ("us-east-2", "jetstream2.us-east.bsky.network"),
        ("us-west-1", "jetstream1.us-west.bsky.network"),
        ("us-west-2", "jetstream2.us-west.bsky.network"),
    ]

    /// The short names alone.
    public static var names: [String] { all.map(\.name) }

    /// The endpoint a short name stands for, or nil if `name` is not one (compared case-insensitively,
    /// as host names are).
    public static func endpoint(named name: String) -> Endpoint? {
        let lower = name.lowercased()
        return all.first { $0.name == lower }.map { Endpoint(scheme: .wss, host: $0.host) }
    }
}
