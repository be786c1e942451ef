#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Testing
@testable import JetstreamTailCore

/// Jetstream's dictionary from the shared data directory next to the repository (never copied into it).
private let dictionaryPath = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
    .dropLast(4).joined(separator: "/") + "/shared/data/jetstream/zstd_dictionary"

private func realDictionary() throws -> [UInt8] { try FileIO.read(dictionaryPath, limit: 1 << 20) }

/// An environment with only these variables.
private func environment(_ variables: [String: String]) -> ZstdDictionary.Environment {
    { variables[$0] }
}

/// A fake download that answers every request with `status` and `body`, recording the requests.
private final class FakeServer {
    var requests: [HTTPFetch.Request] = []
    var answer: Result<HTTPFetch.Response, HTTPFetchError>
    init(status: Int = 200, body: [UInt8]) {
        answer = .success(HTTPFetch.Response(status: status, body: body, url: ""))
    }
    init(failing error: HTTPFetchError) { answer = .failure(error) }

    func fetch(_ request: HTTPFetch.Request) throws(HTTPFetchError) -> HTTPFetch.Response {
        requests.append(request)
        return try answer.get()
    }
}

private func compressedConfig(dictionary: String? = nil, url: String? = nil) -> StreamConfig {
    var c = StreamConfig()
    c.compress = true
    c.zstdDictionary = dictionary
    c.zstdDictionaryURL = url
    return c
}

private func load(_ config: StreamConfig, cacheHome: String, server: FakeServer) throws(ZstdDictionaryError) -> ZstdDictionary {
    try ZstdDictionary.load(config: config, environment: environment(["XDG_CACHE_HOME": cacheHome]), fetch: server.fetch)
}

private func loadError(_ config: StreamConfig, cacheHome: String, server: FakeServer) -> ZstdDictionaryError? {
    do { _ = try load(config, cacheHome: cacheHome, server: server); return nil } catch { return error }
}

@Suite struct ZstdDictionaryTests {
    @Test func theConstantsDescribeTheSharedCopy() throws {
        let bytes = try realDictionary()
        #expect(bytes.count == ZstdDictionary.expectedSize)
        #expect(SHA256.hexDigest(bytes) == ZstdDictionary.expectedSHA256)
        #expect(ZstdDictionary.mismatch(bytes) == nil)
        #expect(try ZstdDecoder(dictionary: bytes).dictionaryID == ZstdDictionary.expectedID)
        #expect(ZstdDictionary.pinnedURL.contains("/9a30defd224e9058814a7d6ce8d9e4fc48d5493c/"))
        #expect(ZstdDictionary.cacheFileName == "zstd-dictionary-1612007021-b8d77b46933aceec.zdict")
    }

    @Test func theCacheDirectoryFollowsTheXDGRules() {
        let dir = ZstdDictionary.cacheDirectory
        #expect(dir(environment(["XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"])) == "/x/cache/jetstream-tail")
        #expect(dir(environment(["HOME": "/home/u"])) == "/home/u/.cache/jetstream-tail")
        #expect(dir(environment(["XDG_CACHE_HOME": "", "HOME": "/home/u"])) == "/home/u/.cache/jetstream-tail")
        #expect(dir(environment(["XDG_CACHE_HOME": "relative/cache", "HOME": "/home/u"])) == "/home/u/.cache/jetstream-tail")
        #expect(dir(environment(["HOME": "relative"])) == nil)
        #expect(dir(environment([:])) == nil)
    }

    @Test func aGoodCachedCopyIsUsedWithoutDownloading() throws {
        let home = try TemporaryDirectory()
        let dir = home.path + "/jetstream-tail"
        try FileIO.storeAtomically(try realDictionary(), directory: dir, path: dir + "/" + ZstdDictionary.cacheFileName)
        let server = FakeServer(failing: .unreachable(reason: "offline"))
        let dictionary = try load(compressedConfig(), cacheHome: home.path, server: server)
        #expect(dictionary.bytes == (try realDictionary()))
        #expect(dictionary.notices.isEmpty)
        #expect(server.requests.isEmpty)
    }

    @Test func aMissingCacheIsFilledOnceFromThePinnedURL() throws {
        let home = try TemporaryDirectory()
        var config = compressedConfig()
        config.caCertPath = "/etc/ssl/ca.pem"
        config.connectTimeout = 3
        let server = FakeServer(body: try realDictionary())
        let first = try load(config, cacheHome: home.path, server: server)
        let path = home.path + "/jetstream-tail/" + ZstdDictionary.cacheFileName
        #expect(first.bytes == (try realDictionary()))
        #expect(first.notices == ["downloaded the zstd dictionary from \(ZstdDictionary.pinnedURL) into \(path)"])
        #expect(server.requests.map(\.url) == [ZstdDictionary.pinnedURL])
        #expect(server.requests.first?.tls.caCertPath == "/etc/ssl/ca.pem")
        #expect(server.requests.first?.connectTimeout == 3)
        #expect(server.requests.first?.maxBodySize == ZstdDictionary.expectedSize)
        #expect(try FileIO.read(path, limit: 1 << 20) == (try realDictionary()))
        #expect(TemporaryDirectory.names(in: home.path + "/jetstream-tail") == [ZstdDictionary.cacheFileName])

        let second = try load(config, cacheHome: home.path, server: server)
        #expect(second.bytes == first.bytes && second.notices.isEmpty)
        #expect(server.requests.count == 1)
    }

    @Test func theDownloadURLCanBeOverridden() throws {
        let home = try TemporaryDirectory()
        let server = FakeServer(body: try realDictionary())
        _ = try load(compressedConfig(url: "https://mirror.example/dict"), cacheHome: home.path, server: server)
        #expect(server.requests.map(\.url) == ["https://mirror.example/dict"])
    }

    @Test(arguments: ["hash", "size"])
    func aDamagedCachedCopyIsReplaced(_ damage: String) throws {
        let home = try TemporaryDirectory()
        let dir = home.path + "/jetstream-tail"
        let path = dir + "/" + ZstdDictionary.cacheFileName
        var bad = try realDictionary()
        if damage == "hash" { bad[50_000] ^= 1 } else { bad.removeLast() }
        try FileIO.storeAtomically(bad, directory: dir, path: path)
        let server = FakeServer(body: try realDictionary())
        let dictionary = try load(compressedConfig(), cacheHome: home.path, server: server)
        #expect(dictionary.bytes == (try realDictionary()))
        #expect(server.requests.count == 1)
        #expect(dictionary.notices.first?.hasPrefix("the cached zstd dictionary \(path) is damaged (") == true)
        #expect(dictionary.notices.count == 2)
        #expect(try FileIO.read(path, limit: 1 << 20) == (try realDictionary()))
    }

    @Test func aDownloadThatFailsTheCheckIsNeitherUsedNorCached() throws {
        let home = try TemporaryDirectory()
        var wrong = try realDictionary()
        wrong[100] ^= 0xFF
        let url = ZstdDictionary.pinnedURL
        let e = loadError(compressedConfig(), cacheHome: home.path, server: FakeServer(body: wrong))
        #expect(e == .notJetstreams(url: url, reason: "SHA-256 \(SHA256.hexDigest(wrong)) instead of \(ZstdDictionary.expectedSHA256)"))
        #expect(loadError(compressedConfig(), cacheHome: home.path, server: FakeServer(body: Array(wrong.dropLast())))
            == .notJetstreams(url: url, reason: "112639 bytes instead of 112640"))
        #expect(loadError(compressedConfig(), cacheHome: home.path, server: FakeServer(failing: .tooLarge(limit: 112_640)))
            == .notJetstreams(url: url, reason: "larger than 112640 bytes"))
        #expect(TemporaryDirectory.names(in: home.path).isEmpty)
    }

    @Test func anHTTPErrorIsADownloadFailure() throws {
        let home = try TemporaryDirectory()
        let e = loadError(compressedConfig(), cacheHome: home.path, server: FakeServer(status: 404, body: Array("Not Found".utf8)))
        #expect(e == .download(url: ZstdDictionary.pinnedURL, reason: "the server answered HTTP 404"))
    }

    /// The real downloader against a loopback port where nothing listens.
    @Test func offlineWithoutACacheSaysHowToPassTheFile() throws {
        let home = try TemporaryDirectory()
        let url = "http://127.0.0.1:1/legacy_subscribe.zdict"
        var failure: ZstdDictionaryError? = nil
        do {
            _ = try ZstdDictionary.load(config: compressedConfig(url: url), environment: environment(["XDG_CACHE_HOME": home.path]))
        } catch {
            failure = error
        }
        let e = try #require(failure)
        guard case .download(url, _) = e else { Issue.record("got \(e)"); return }
        #expect(e.description.hasPrefix("cannot download the zstd dictionary from \(url): "))
        #expect(e.description.hasSuffix("; pass --zstd-dict FILE (the file is internal/subscribe/dictionaries/legacy_subscribe.zdict in bluesky-social/jetstream)"))
        #expect(!e.description.contains("\n"))
    }

    @Test func aCacheThatCannotBeWrittenStillGivesTheDictionary() throws {
        let home = try TemporaryDirectory()
        try FileIO.storeAtomically([0], directory: home.path, path: home.path + "/file")
        let server = FakeServer(body: try realDictionary())
        let dictionary = try load(compressedConfig(), cacheHome: home.path + "/file", server: server)
        #expect(dictionary.bytes == (try realDictionary()))
        #expect(dictionary.notices.count == 1)
        #expect(dictionary.notices.first?.contains("but could not cache it in \(home.path)/file/jetstream-tail: mkdir ") == true)
    }

    @Test func withoutAnyCacheDirectoryTheDownloadIsUsedUncached() throws {
        let server = FakeServer(body: try realDictionary())
        let dictionary = try ZstdDictionary.load(config: compressedConfig(), environment: environment([:]), fetch: server.fetch)
        #expect(dictionary.bytes == (try realDictionary()))
        #expect(dictionary.notices.first?.hasSuffix("it is not cached because neither XDG_CACHE_HOME nor HOME is set") == true)
    }

    // MARK: --zstd-dict

    @Test func aGivenFileIsCheckedForTheMagicNumberOnly() throws {
        let home = try TemporaryDirectory()
        let server = FakeServer(failing: .unreachable(reason: "offline"))
        #expect(try load(compressedConfig(dictionary: dictionaryPath), cacheHome: home.path, server: server).bytes == (try realDictionary()))

        // Another server's dictionary: a different ID, accepted as given.
        var other = try realDictionary()
        other[4] ^= 0xFF
        try FileIO.storeAtomically(other, directory: home.path, path: home.path + "/other.zdict")
        let loaded = try load(compressedConfig(dictionary: home.path + "/other.zdict"), cacheHome: home.path, server: server)
        #expect(loaded.bytes == other && loaded.notices.isEmpty)

        try FileIO.storeAtomically(Array("{\"kind\":\"commit\"}".utf8), directory: home.path, path: home.path + "/events.json")
        #expect(loadError(compressedConfig(dictionary: home.path + "/events.json"), cacheHome: home.path, server: server)
            == .notADictionary(source: home.path + "/events.json"))
        #expect(loadError(compressedConfig(dictionary: home.path + "/missing"), cacheHome: home.path, server: server)
            == .unreadable(path: home.path + "/missing", reason: "No such file or directory"))
        #expect(server.requests.isEmpty)
        #expect(TemporaryDirectory.names(in: home.path) == ["events.json", "other.zdict"])
    }

    @Test func aGivenURLIsDownloadedAndCheckedForTheMagicNumber() throws {
        let home = try TemporaryDirectory()
        var other = try realDictionary()
        other[4] ^= 0xFF
        let server = FakeServer(body: other)
        let loaded = try load(compressedConfig(dictionary: "https://example.com/d.zdict"), cacheHome: home.path, server: server)
        #expect(loaded.bytes == other)
        #expect(server.requests.map(\.url) == ["https://example.com/d.zdict"])
        #expect(server.requests.first?.maxBodySize == ZstdDictionary.maxSize)
        #expect(TemporaryDirectory.names(in: home.path).isEmpty, "a given dictionary is not cached")

        let html = FakeServer(body: Array("<html>".utf8))
        #expect(loadError(compressedConfig(dictionary: "https://example.com/d.zdict"), cacheHome: home.path, server: html)
            == .notADictionary(source: "https://example.com/d.zdict"))
    }

    @Test func everyErrorHasAOneLineDescription() {
        let all: [ZstdDictionaryError] = [
            .unreadable(path: "p", reason: "r"), .tooLarge(source: "s", limit: 1), .notADictionary(source: "s"),
            .download(url: "u", reason: "r"), .notJetstreams(url: "u", reason: "r"),
        ]
        for e in all {
            #expect(!e.description.isEmpty && !e.description.contains("\n"))
        }
    }
}
