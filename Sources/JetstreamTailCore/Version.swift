/// The tool's version, shown by `--version` and sent in the `User-Agent` header.
public enum JetstreamTail {
    public static let version = "0.1.0"
    public static let userAgent = "jetstream-tail/\(version)"
}
