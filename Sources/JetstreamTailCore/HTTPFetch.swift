import CLibs
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One HTTP GET through libcurl's easy interface: the zstd dictionary download, and any small
/// document the tool needs before it connects (such as a JSON answer from an XRPC endpoint).
///
/// Certificates and host names are verified unless the caller asks otherwise, with the same
/// `--cacert` and `--insecure` options as the stream. Only `http` and `https` are spoken, and a
/// redirect may not leave `https` for `http`. The body is kept in memory up to a limit checked
/// while it arrives, so a server that sends more cannot make the process grow.
public enum HTTPFetch {
    /// What to fetch and how patiently.
    public struct Request: Sendable {
        /// An `http://` or `https://` URL.
        public var url: String
        /// The `Accept` header, if any.
        public var accept: String?
        public var tls: CurlTransport.Options
        /// Seconds allowed for name resolution, TCP and TLS.
        public var connectTimeout: Double
        /// Seconds allowed for the whole transfer, redirects included.
        public var totalTimeout: Double
        /// The largest body accepted, in bytes.
        public var maxBodySize: Int
        /// How many redirects are followed.
        public var maxRedirects: Int

        public init(url: String, accept: String? = nil, tls: CurlTransport.Options = .init(),
                    connectTimeout: Double = 10, totalTimeout: Double = 60, maxBodySize: Int, maxRedirects: Int = 5) {
            self.url = url
            self.accept = accept
            self.tls = tls
            self.connectTimeout = connectTimeout
            self.totalTimeout = totalTimeout
            self.maxBodySize = maxBodySize
            self.maxRedirects = maxRedirects
        }
    }

    /// The final answer, after redirects. Any status is returned; the caller decides what it accepts.
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var body: [UInt8]
        /// The URL that gave this answer, which differs from the request's after a redirect.
        public var url: String
    }

    /// Performs the request. Returns when the whole body has arrived; throws on any failure to get
    /// an answer, but not for an HTTP error status.
    public static func get(_ request: Request) throws(HTTPFetchError) -> Response {
        let lower = request.url.lowercased()
        let secure = lower.hasPrefix("https://")
        guard secure || lower.hasPrefix("http://") else { throw .unsupportedURL(request.url) }
        let api: UnsafePointer<jt_curl>
        do { api = try CurlLibrary.functions() } catch { throw .setup(reason: error.description) }
        guard let handle = api.pointee.easy_init() else { throw .setup(reason: "libcurl could not create a handle") }
        let errorText = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorText.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var headers: UnsafeMutablePointer<curl_slist>? = nil
        let sink = BodySink(limit: request.maxBodySize)
        defer {
            api.pointee.easy_cleanup(handle)
            api.pointee.slist_free_all(headers)
            errorText.deallocate()
        }

        try set(api, handle, CURLOPT_ERRORBUFFER, pointer: errorText)
        try set(api, handle, CURLOPT_URL, request.url)
        try set(api, handle, CURLOPT_PROTOCOLS_STR, "http,https")
        try set(api, handle, CURLOPT_REDIR_PROTOCOLS_STR, secure ? "https" : "http,https")
        try set(api, handle, CURLOPT_FOLLOWLOCATION, 1)
        try set(api, handle, CURLOPT_MAXREDIRS, request.maxRedirects)
        try set(api, handle, CURLOPT_NOSIGNAL, 1)
        try set(api, handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(request.connectTimeout))
        try set(api, handle, CURLOPT_TIMEOUT_MS, milliseconds(request.totalTimeout))
        try set(api, handle, CURLOPT_USERAGENT, JetstreamTail.userAgent)
        // Refuses early when the server declares a larger body; the write callback catches the rest.
        try set(api, handle, CURLOPT_MAXFILESIZE, request.maxBodySize)
        if let ca = request.tls.caCertPath { try set(api, handle, CURLOPT_CAINFO, ca) }
        if request.tls.insecure {
            try set(api, handle, CURLOPT_SSL_VERIFYPEER, 0)
            try set(api, handle, CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let accept = request.accept {
            guard let list = api.pointee.slist_append(nil, "Accept: \(accept)") else { throw .setup(reason: "out of memory") }
            headers = list
            try set(api, handle, CURLOPT_HTTPHEADER, pointer: UnsafeMutableRawPointer(list))
        }
        // The callback cannot capture: the sink travels as the context pointer, alive for the call.
        let rc = jt_curl_setopt_write(api, handle, { data, size, count, context in
            let sink = Unmanaged<BodySink>.fromOpaque(context!).takeUnretainedValue()
            return sink.append(UnsafeRawBufferPointer(start: data, count: size * count)) ? size * count : 0
        }, Unmanaged.passUnretained(sink).toOpaque())
        guard rc == CURLE_OK else { throw .setup(reason: api.pointee.message(rc)) }

        let result = withExtendedLifetime(sink) { api.pointee.easy_perform(handle) }
        guard result == CURLE_OK else {
            let detail = String(cString: errorText)
            throw classify(result, detail: detail.isEmpty ? api.pointee.message(result) : detail,
                           request: request, bodyTooLarge: sink.exceeded)
        }
        var status = 0
        _ = jt_curl_getinfo_long(api, handle, CURLINFO_RESPONSE_CODE, &status)
        var effective: UnsafePointer<CChar>? = nil
        _ = jt_curl_getinfo_str(api, handle, CURLINFO_EFFECTIVE_URL, &effective)
        return Response(status: status, body: sink.body, url: effective.map { String(cString: $0) } ?? request.url)
    }

    /// Collects the body and refuses it once it passes the limit.
    private final class BodySink {
        var body: [UInt8] = []
        let limit: Int
        var exceeded = false
        init(limit: Int) { self.limit = limit }

        func append(_ bytes: UnsafeRawBufferPointer) -> Bool {
            if bytes.count > limit - body.count {
                exceeded = true
                return false
            }
            body.append(contentsOf: bytes)
            return true
        }
    }

    private static func milliseconds(_ seconds: Double) -> Int {
        Int(min(max(seconds, 0.001), 86_400) * 1000)
    }

    /// Maps a failed `curl_easy_perform` onto the error cases.
    private static func classify(_ rc: CURLcode, detail: String, request: Request, bodyTooLarge: Bool) -> HTTPFetchError {
        switch rc {
        case CURLE_FILESIZE_EXCEEDED:
            return .tooLarge(limit: request.maxBodySize)
        case CURLE_WRITE_ERROR where bodyTooLarge:
            return .tooLarge(limit: request.maxBodySize)
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .invalidURL(reason: detail)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            return .unreachable(reason: detail)
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut(reason: detail)
        case CURLE_TOO_MANY_REDIRECTS:
            return .tooManyRedirects(limit: request.maxRedirects)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS:
            return .certificate(reason: detail)
        case CURLE_SSL_CONNECT_ERROR:
            return .tls(reason: detail)
        default:
            return .failed(reason: detail)
        }
    }

    // MARK: - Options (the typed shims in CLibs/shim.h stand in for variadic curl_easy_setopt)

    private static func set(_ api: UnsafePointer<jt_curl>, _ h: UnsafeMutableRawPointer, _ option: CURLoption, _ value: Int) throws(HTTPFetchError) {
        try check(api, jt_curl_setopt_long(api, h, option, value), option)
    }

    private static func set(_ api: UnsafePointer<jt_curl>, _ h: UnsafeMutableRawPointer, _ option: CURLoption, _ value: String) throws(HTTPFetchError) {
        try check(api, jt_curl_setopt_str(api, h, option, value), option)
    }

    private static func set(_ api: UnsafePointer<jt_curl>, _ h: UnsafeMutableRawPointer, _ option: CURLoption, pointer: UnsafeMutableRawPointer) throws(HTTPFetchError) {
        try check(api, jt_curl_setopt_ptr(api, h, option, pointer), option)
    }

    private static func check(_ api: UnsafePointer<jt_curl>, _ rc: CURLcode, _ option: CURLoption) throws(HTTPFetchError) {
        if rc != CURLE_OK { throw .setup(reason: "curl_easy_setopt(\(option.rawValue)): \(api.pointee.message(rc))") }
    }
}

/// Why a fetch got no answer. Each description is one line, the "why" after a message naming the URL.
public enum HTTPFetchError: Error, Equatable, CustomStringConvertible {
    /// Only `http://` and `https://` URLs are fetched.
    case unsupportedURL(String)
    /// libcurl refused the URL.
    case invalidURL(reason: String)
    /// The name did not resolve or nothing accepted the connection.
    case unreachable(reason: String)
    /// The connect or transfer time limit passed.
    case timedOut(reason: String)
    /// The server's certificate or name did not verify.
    case certificate(reason: String)
    /// The TLS handshake failed for another reason.
    case tls(reason: String)
    /// More redirects than allowed.
    case tooManyRedirects(limit: Int)
    /// The body is larger than the request allows.
    case tooLarge(limit: Int)
    /// libcurl could not be set up for the request.
    case setup(reason: String)
    /// Any other transfer failure, in libcurl's words.
    case failed(reason: String)

    public var description: String {
        switch self {
        case let .unsupportedURL(url): return "'\(url)' is not an http:// or https:// URL"
        case let .invalidURL(reason): return "invalid URL: \(reason)"
        case let .unreachable(reason): return reason
        case let .timedOut(reason): return "timed out: \(reason)"
        case let .certificate(reason): return "certificate verification failed: \(reason)"
        case let .tls(reason): return "TLS failed: \(reason)"
        case let .tooManyRedirects(limit): return "more than \(limit) redirects"
        case let .tooLarge(limit): return "the answer is larger than \(limit) bytes"
        case let .setup(reason): return "libcurl setup failed: \(reason)"
        case let .failed(reason): return reason
        }
    }
}
