import CLibs

/// libcurl, loaded with `dlopen` the first time it is needed and initialised (`curl_global_init`)
/// right after.
///
/// Linking libcurl would map its whole dependency tree into every run: OpenSSL, GnuTLS, Kerberos,
/// LDAP, libssh2, nghttp2 and some 35 more libraries, about 6 MB resident before a byte is read.
/// Only `wss://` connections and HTTPS requests (the dictionary download, handle resolution) use
/// it, so a `ws://` run now never loads it. The functions are called through `jt_curl`, a table
/// whose field types come from curl.h's own prototypes (CLibs/shim.h).
enum CurlLibrary {
    /// libcurl's functions, loading and initialising it on the first call.
    static func functions() throws(CurlLoadError) -> UnsafePointer<jt_curl> {
        switch loaded {
        case .success(let api): return api
        case .failure(let error): throw error
        }
    }

    /// Loads and initialises libcurl now, if it is not already; nil on success.
    static func load() -> CurlLoadError? {
        if case .failure(let error) = loaded { return error }
        return nil
    }

    /// Set once, by Swift's one-time static initialisation (which is thread-safe), and only read
    /// afterwards; the table it points to is never freed or written again.
    nonisolated(unsafe) private static let loaded: Result<UnsafePointer<jt_curl>, CurlLoadError> = {
        let api = UnsafeMutablePointer<jt_curl>.allocate(capacity: 1)
        api.initialize(to: jt_curl())
        if let failure = jt_curl_load(api) {
            api.deallocate()
            return .failure(CurlLoadError(reason: String(cString: failure)))
        }
        let rc = api.pointee.global_init(Int(CURL_GLOBAL_DEFAULT))
        if rc != CURLE_OK {
            return .failure(CurlLoadError(reason: "curl_global_init: \(api.pointee.message(rc))"))
        }
        return .success(UnsafePointer(api))
    }()
}

/// libcurl could not be loaded (it is not installed, or too old) or initialised.
public struct CurlLoadError: Error, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { "wss:// and https:// need libcurl (libcurl.so.4), which could not be loaded: \(reason)" }
}

extension jt_curl {
    /// `curl_easy_strerror`'s words for `rc`.
    func message(_ rc: CURLcode) -> String {
        easy_strerror(rc).map { String(cString: $0) } ?? "libcurl error \(rc.rawValue)"
    }
}
