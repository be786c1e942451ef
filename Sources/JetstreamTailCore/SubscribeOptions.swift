/// Where the subscription's filters travel: in the request URL while they are short, otherwise in
/// an `options_update` message sent right after the upgrade.
///
/// Jetstream accepts up to 10,000 `wantedDids` and 100 `wantedCollections`, but the public hosts sit
/// behind proxies that refuse long request lines: a few hundred DIDs in the URL already get HTTP 400
/// (about 200 DIDs, some 9 KB of query, were reported refused). The servers' answer is the
/// subscriber message
///
///     {"type":"options_update","payload":{"wantedCollections":[…],"wantedDids":[…],"maxMessageSizeBytes":N}}
///
/// together with `requireHello=true` in the URL, which makes the server send nothing, not even a
/// replay, until the first valid update arrives; so no unfiltered event slips through in between.
/// The update replaces both lists wholesale, which is why it carries both even when only the DIDs
/// are long.
///
/// The line is drawn at `maxQueryBytes` (4 KiB) of percent-encoded filters: about 90 DIDs. That is
/// half of the common 8 KiB request-line limit of HTTP proxies (nginx's `large_client_header_buffers`
/// default), which leaves room for the path, the cursor, the other parameters and a proxy that
/// rewrites the request, and keeps short filter lists readable in the URL, where every server
/// version honours them.
public enum SubscribeOptions {
    /// The most bytes of `wantedCollections=…&wantedDids=…` (percent-encoded, with separators)
    /// kept in the URL.
    public static let maxQueryBytes = 4096

    /// The largest client message the servers accept ("10,000,000 bytes"); an update longer than
    /// this would be ignored (legacy server) or close the connection (newer server, code 1009).
    public static let maxMessageBytes = 10_000_000

    /// Whether the filters are too long for the URL, so that the request must carry
    /// `requireHello=true` and the connection must send `optionsUpdate(for:)` first. The answer
    /// depends only on the configuration, so it is the same on every reconnect.
    public static func needsHello(_ config: StreamConfig) -> Bool {
        var length = 0
        for collection in config.wantedCollections {
            length += "&wantedCollections=".utf8.count + SubscribeURL.percentEncoded(collection).utf8.count
            if length > maxQueryBytes { return true }
        }
        for did in config.wantedDids {
            length += "&wantedDids=".utf8.count + SubscribeURL.percentEncoded(did).utf8.count
            if length > maxQueryBytes { return true }
        }
        return false
    }

    /// The `options_update` text message carrying the filters: both lists (an empty list means no
    /// filter, as in the URL) and `maxMessageSizeBytes`, which the newer server applies from an update
    /// and the legacy one reads only from the URL, where it stays as well.
    public static func optionsUpdate(for config: StreamConfig) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + config.wantedDids.count * 40 + config.wantedCollections.count * 30)
        out += #"{"type":"options_update","payload":{"wantedCollections":"#.utf8
        appendArray(config.wantedCollections, to: &out)
        out += #","wantedDids":"#.utf8
        appendArray(config.wantedDids, to: &out)
        out += #","maxMessageSizeBytes":"#.utf8
        out += String(config.maxMessageSize).utf8
        out += "}}".utf8
        return out
    }

    private static func appendArray(_ values: [String], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (n, value) in values.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            appendString(value, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// A JSON string (RFC 8259 §7): `"` and `\` escaped, control characters as `\u00XX`, everything
    /// else as its UTF-8 bytes. DIDs and NSIDs are checked to be plain ASCII before they get here;
    /// the escaping keeps the message well-formed whatever a list file held.
    static func appendString(_ value: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for b in value.utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(b)
            case 0..<0x20:
                out += #"\u00"#.utf8
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0x0F)])
            default:
                out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
