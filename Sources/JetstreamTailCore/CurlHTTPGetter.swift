import CLibs
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A small HTTP GET through libcurl's easy interface, enough for handle resolution: TLS verified
/// (with `--cacert` and `--insecure` honoured), HTTP and HTTPS only, no redirects, a bounded body and
/// a bounded time. One easy handle is kept for all requests, so resolving a list of handles reuses
/// one connection.
///
/// Only this file and CurlTransport.swift touch `CURL *` for plain HTTP; a shared HTTP fetcher, once
/// there is one, can take its place behind `HTTPGetter`.
public final class CurlHTTPGetter: HTTPGetter {
    /// Settings for every request.
    public struct Options: Sendable {
        public var caCertPath: String?
        public var insecure: Bool
        /// Seconds allowed for name resolution, TCP and TLS.
        public var connectTimeout: Double
        /// Seconds allowed for a whole request.
        public var timeout: Double
        /// Largest body accepted; a longer one fails the request.
        public var maxBodyBytes: Int

        public init(caCertPath: String? = nil, insecure: Bool = false, connectTimeout: Double = 10,
                    timeout: Double = 30, maxBodyBytes: Int = 1 << 20) {
            self.caCertPath = caCertPath
            self.insecure = insecure
            self.connectTimeout = connectTimeout
            self.timeout = timeout
            self.maxBodyBytes = maxBodyBytes
        }

        /// The TLS and timeout settings a run's configuration gives.
        public init(_ config: StreamConfig) {
            self.init(caCertPath: config.caCertPath, insecure: config.insecure, connectTimeout: config.connectTimeout,
                      timeout: max(30, config.connectTimeout * 2))
        }
    }

    private let options: Options
    private var handle: UnsafeMutableRawPointer?
    /// libcurl's detailed error text (`CURLOPT_ERRORBUFFER`); it must outlive the handle.
    private let errorBuffer: UnsafeMutablePointer<CChar>

    public init(options: Options) {
        CurlTransport.globalInit()
        self.options = options
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        if let h = handle { curl_easy_cleanup(h) }
        errorBuffer.deallocate()
    }

    /// The body collected by the write callback; `limit` makes it stop the transfer.
    private final class Sink {
        var bytes: [UInt8] = []
        let limit: Int
        var overflowed = false
        init(limit: Int) { self.limit = limit }
    }

    /// libcurl's `CURLOPT_WRITEFUNCTION`: appends, or returns 0 (which aborts the transfer) past the limit.
    private static let write: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
        data, size, count, context in
        guard let context else { return 0 }
        let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
        let n = size * count
        if sink.bytes.count + n > sink.limit {
            sink.overflowed = true
            return 0
        }
        if let data, n > 0 {
            data.withMemoryRebound(to: UInt8.self, capacity: n) { sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
        }
        return n
    }

    public func get(url: String, accept: String) throws -> (status: Int, body: [UInt8]) {
        if handle == nil { handle = curl_easy_init() }
        guard let h = handle else { throw HTTPGetError.curl(call: "curl_easy_init", reason: "libcurl could not create a handle") }
        curl_easy_reset(h)
        errorBuffer[0] = 0
        let sink = Sink(limit: options.maxBodyBytes)
        let context = Unmanaged.passRetained(sink)
        defer { context.release() }
        guard let headers = curl_slist_append(nil, "Accept: \(accept)") else {
            throw HTTPGetError.curl(call: "curl_slist_append", reason: "out of memory")
        }
        defer { curl_slist_free_all(headers) }

        try set(h, CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
        try set(h, CURLOPT_URL, url)
        try set(h, CURLOPT_PROTOCOLS_STR, "http,https")
        try set(h, CURLOPT_NOSIGNAL, 1)
        try set(h, CURLOPT_FOLLOWLOCATION, 0)
        try set(h, CURLOPT_CONNECTTIMEOUT_MS, max(1, Int(options.connectTimeout * 1000)))
        try set(h, CURLOPT_TIMEOUT_MS, max(1, Int(options.timeout * 1000)))
        try set(h, CURLOPT_USERAGENT, "jetstream-tail/\(JetstreamTail.version)")
        try set(h, CURLOPT_HTTPHEADER, pointer: UnsafeMutableRawPointer(headers))
        try set(h, CURLOPT_WRITEFUNCTION, pointer: unsafeBitCast(Self.write, to: UnsafeMutableRawPointer.self))
        try set(h, CURLOPT_WRITEDATA, pointer: context.toOpaque())
        if let ca = options.caCertPath { try set(h, CURLOPT_CAINFO, ca) }
        if options.insecure {
            try set(h, CURLOPT_SSL_VERIFYPEER, 0)
            try set(h, CURLOPT_SSL_VERIFYHOST, 0)
        }

        let rc = curl_easy_perform(h)
        if sink.overflowed { throw HTTPGetError.bodyTooLarge(limit: options.maxBodyBytes) }
        guard rc == CURLE_OK else { throw HTTPGetError.curl(call: "curl_easy_perform", reason: message(rc)) }
        var status = 0
        guard jt_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK else {
            throw HTTPGetError.curl(call: "curl_easy_getinfo", reason: "no HTTP status")
        }
        return (status, sink.bytes)
    }

    private func message(_ rc: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        return detail.isEmpty ? String(cString: curl_easy_strerror(rc)) : detail
    }

    private func set(_ h: UnsafeMutableRawPointer, _ option: CURLoption, _ value: Int) throws {
        let rc = jt_curl_setopt_long(h, option, value)
        if rc != CURLE_OK { throw HTTPGetError.curl(call: "curl_easy_setopt", reason: String(cString: curl_easy_strerror(rc))) }
    }

    private func set(_ h: UnsafeMutableRawPointer, _ option: CURLoption, _ value: String) throws {
        let rc = jt_curl_setopt_str(h, option, value)
        if rc != CURLE_OK { throw HTTPGetError.curl(call: "curl_easy_setopt", reason: String(cString: curl_easy_strerror(rc))) }
    }

    private func set(_ h: UnsafeMutableRawPointer, _ option: CURLoption, pointer: UnsafeMutableRawPointer) throws {
        let rc = jt_curl_setopt_ptr(h, option, pointer)
        if rc != CURLE_OK { throw HTTPGetError.curl(call: "curl_easy_setopt", reason: String(cString: curl_easy_strerror(rc))) }
    }
}

@available(*, unavailable)
extension CurlHTTPGetter: Sendable {}

/// Why an HTTP GET produced no answer.
public enum HTTPGetError: Error, Equatable, CustomStringConvertible {
    /// libcurl failed: name resolution, connection, TLS, timeout; `reason` is its own message.
    case curl(call: String, reason: String)
    /// The body is longer than the caller accepts.
    case bodyTooLarge(limit: Int)

    public var description: String {
        switch self {
        case let .curl(_, reason): return reason
        case let .bodyTooLarge(limit): return "the answer is longer than \(OptionValue.formatBytes(Int64(limit)))"
        }
    }
}
