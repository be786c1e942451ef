#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The zstd dictionary for a compressed run, and where it came from.
///
/// Jetstream compresses every event with one custom dictionary that clients must already have.
/// With `--zstd-dict` the user names a file or URL; it is only checked for the zstd dictionary
/// magic number, since another server may use another dictionary (a mismatch shows up plainly at
/// the first frame). Without it, the tool uses Jetstream's own dictionary: from the cache if the
/// copy there has the published size and SHA-256, else downloaded once from a URL pinned to a
/// commit, checked the same way, and stored in the cache atomically. A dictionary that fails the
/// check is never used and never cached.
public struct ZstdDictionary: Sendable, Equatable {
    /// The dictionary, starting with its magic number.
    public let bytes: [UInt8]
    /// What happened worth telling the user (a download, a replaced cache file, a cache that could
    /// not be written), one line each; empty when the cached copy was simply used.
    public let notices: [String]

    /// Size of Jetstream's dictionary (the legacy `pkg/models/zstd_dictionary`, unchanged since
    /// September 2024, kept at `internal/subscribe/dictionaries/legacy_subscribe.zdict` since 2026).
    public static let expectedSize = 112_640
    /// Its SHA-256, as published with the file.
    public static let expectedSHA256 = "b8d77b46933aceecbdd5275a01241efc985c970c78162b8150cf67a26522f70c"
    /// The `Dictionary_ID` in its header, which the server's frames carry.
    public static let expectedID: UInt32 = 1_612_007_021
    /// Where to download it: a commit, not a branch, so that the bytes cannot change under the hash.
    public static let pinnedURL = "https://raw.githubusercontent.com/bluesky-social/jetstream/9a30defd224e9058814a7d6ce8d9e4fc48d5493c/internal/subscribe/dictionaries/legacy_subscribe.zdict"
    /// The cache file's name, which carries the dictionary ID and the start of the hash so that a
    /// different dictionary can never be mistaken for this one.
    public static let cacheFileName = "zstd-dictionary-\(expectedID)-\(expectedSHA256.prefix(16)).zdict"
    /// The largest user-given dictionary read; zstd dictionaries are usually around 100 KiB.
    public static let maxSize = 16 << 20

    /// Reads environment variables; `getenv` unless a test says otherwise.
    public typealias Environment = (String) -> String?
    /// Performs a download; `HTTPFetch.get` unless a test says otherwise.
    public typealias Fetcher = (HTTPFetch.Request) throws(HTTPFetchError) -> HTTPFetch.Response

    /// The process environment.
    public static func processEnvironment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    init(bytes: [UInt8], notices: [String] = []) {
        self.bytes = bytes
        self.notices = notices
    }

    /// Finds the dictionary `config` asks for: `--zstd-dict` if given, else the checked cache or
    /// download of Jetstream's dictionary (from `--zstd-dict-url` if given).
    public static func load(
        config: StreamConfig,
        environment: Environment = processEnvironment,
        fetch: Fetcher = HTTPFetch.get
    ) throws(ZstdDictionaryError) -> ZstdDictionary {
        let tls = CurlTransport.Options(caCertPath: config.caCertPath, insecure: config.insecure)
        if let given = config.zstdDictionary {
            return try loadGiven(given, tls: tls, connectTimeout: config.connectTimeout, fetch: fetch)
        }
        return try loadJetstreams(
            url: config.zstdDictionaryURL ?? pinnedURL, cacheDirectory: cacheDirectory(environment),
            tls: tls, connectTimeout: config.connectTimeout, fetch: fetch)
    }

    /// `$XDG_CACHE_HOME/jetstream-tail`, or `$HOME/.cache/jetstream-tail` when it is unset, empty
    /// or relative ("All paths set in these environment variables must be absolute. If an
    /// implementation encounters a relative path in any of these variables it should consider the
    /// path invalid and ignore it", XDG Base Directory Specification). Nil without either.
    public static func cacheDirectory(_ environment: Environment) -> String? {
        if let xdg = environment("XDG_CACHE_HOME"), xdg.hasPrefix("/") { return xdg + "/jetstream-tail" }
        if let home = environment("HOME"), home.hasPrefix("/") { return home + "/.cache/jetstream-tail" }
        return nil
    }

    // MARK: - A dictionary the user names

    /// An `http://` or `https://` URL is downloaded; anything else is a path.
    static func isURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("http://") || lower.hasPrefix("https://")
    }

    private static func loadGiven(_ given: String, tls: CurlTransport.Options, connectTimeout: Double,
                                  fetch: Fetcher) throws(ZstdDictionaryError) -> ZstdDictionary {
        let bytes: [UInt8]
        if isURL(given) {
            bytes = try download(given, limit: maxSize, tls: tls, connectTimeout: connectTimeout, fetch: fetch)
        } else {
            do throws(FileError) {
                bytes = try FileIO.read(given, limit: maxSize)
            } catch {
                if case .tooLarge = error { throw .tooLarge(source: given, limit: maxSize) }
                throw .unreadable(path: given, reason: error.reason)
            }
        }
        guard hasMagic(bytes) else { throw .notADictionary(source: given) }
        return ZstdDictionary(bytes: bytes)
    }

    /// RFC 8878 §5: a dictionary starts with 0xEC30A437, little-endian.
    static func hasMagic(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 8 && bytes[0] == 0x37 && bytes[1] == 0xA4 && bytes[2] == 0x30 && bytes[3] == 0xEC
    }

    // MARK: - Jetstream's dictionary, cached

    private static func loadJetstreams(url: String, cacheDirectory: String?, tls: CurlTransport.Options,
                                       connectTimeout: Double, fetch: Fetcher) throws(ZstdDictionaryError) -> ZstdDictionary {
        var notices: [String] = []
        let cachePath = cacheDirectory.map { $0 + "/" + cacheFileName }
        if let cachePath {
            switch cachedCopy(at: cachePath) {
            case let .good(bytes): return ZstdDictionary(bytes: bytes)
            case .absent: break
            case let .bad(reason): notices.append("the cached zstd dictionary \(cachePath) \(reason); downloading it again")
            }
        }
        let bytes = try download(url, limit: expectedSize, tls: tls, connectTimeout: connectTimeout, fetch: fetch)
        if let problem = mismatch(bytes) { throw .notJetstreams(url: url, reason: problem) }
        if let cacheDirectory, let cachePath {
            do throws(FileError) {
                try FileIO.storeAtomically(bytes, directory: cacheDirectory, path: cachePath)
                notices.append("downloaded the zstd dictionary from \(url) into \(cachePath)")
            } catch {
                notices.append("downloaded the zstd dictionary from \(url), but could not cache it in \(cacheDirectory): \(error)")
            }
        } else {
            notices.append("downloaded the zstd dictionary from \(url); it is not cached because neither XDG_CACHE_HOME nor HOME is set")
        }
        return ZstdDictionary(bytes: bytes, notices: notices)
    }

    private enum Cached {
        case good([UInt8])
        case absent
        case bad(String)
    }

    /// Reads and checks the cached copy; every check runs at every start, so a damaged or
    /// replaced file is caught.
    private static func cachedCopy(at path: String) -> Cached {
        do throws(FileError) {
            let bytes = try FileIO.read(path, limit: expectedSize)
            if let problem = mismatch(bytes) { return .bad("is damaged (\(problem))") }
            return .good(bytes)
        } catch {
            switch error {
            case .tooLarge: return .bad("is damaged (larger than \(expectedSize) bytes)")
            case .system(_, _, ENOENT), .system(_, _, ENOTDIR): return .absent
            case .system: return .bad("cannot be read (\(error.reason))")
            }
        }
    }

    /// Why `bytes` are not Jetstream's dictionary, or nil when size and SHA-256 match.
    static func mismatch(_ bytes: [UInt8]) -> String? {
        if bytes.count != expectedSize { return "\(bytes.count) bytes instead of \(expectedSize)" }
        let digest = SHA256.hexDigest(bytes)
        if digest != expectedSHA256 { return "SHA-256 \(digest) instead of \(expectedSHA256)" }
        return nil
    }

    // MARK: - Downloads

    private static func download(_ url: String, limit: Int, tls: CurlTransport.Options, connectTimeout: Double,
                                 fetch: Fetcher) throws(ZstdDictionaryError) -> [UInt8] {
        let request = HTTPFetch.Request(url: url, tls: tls, connectTimeout: connectTimeout, totalTimeout: 60, maxBodySize: limit)
        let response: HTTPFetch.Response
        do throws(HTTPFetchError) {
            response = try fetch(request)
        } catch {
            if case .tooLarge = error, limit == expectedSize {
                throw .notJetstreams(url: url, reason: "larger than \(expectedSize) bytes")
            }
            throw .download(url: url, reason: error.description)
        }
        guard response.status == 200 else { throw .download(url: url, reason: "the server answered HTTP \(response.status)") }
        return response.body
    }
}

/// Why no usable dictionary was found. Each description is one line that reads after
/// "jetstream-tail: " and says what to do.
public enum ZstdDictionaryError: Error, Equatable, CustomStringConvertible {
    /// The `--zstd-dict` file cannot be read.
    case unreadable(path: String, reason: String)
    /// The file or download is larger than any zstd dictionary this tool accepts.
    case tooLarge(source: String, limit: Int)
    /// The file or download does not start with the zstd dictionary magic number.
    case notADictionary(source: String)
    /// Nothing usable came back from the URL.
    case download(url: String, reason: String)
    /// The download is not Jetstream's dictionary: wrong size or SHA-256.
    case notJetstreams(url: String, reason: String)

    /// Where a user can get the file by other means.
    static let advice = "pass --zstd-dict FILE (the file is internal/subscribe/dictionaries/legacy_subscribe.zdict in bluesky-social/jetstream)"

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read the zstd dictionary '\(path)': \(reason)"
        case let .tooLarge(source, limit):
            return "'\(source)' is larger than \(limit) bytes, too large for a zstd dictionary"
        case let .notADictionary(source):
            return "'\(source)' is not a zstd dictionary (it does not start with the magic number 0xEC30A437)"
        case let .download(url, reason):
            return "cannot download the zstd dictionary from \(url): \(reason); \(Self.advice)"
        case let .notJetstreams(url, reason):
            return "the file at \(url) is not Jetstream's zstd dictionary (\(reason)); it was not used; \(Self.advice)"
        }
    }
}
