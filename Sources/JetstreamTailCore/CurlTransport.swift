import CLibs
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `wss://` through libcurl in CONNECT_ONLY mode: `curl_easy_perform` does TCP and TLS (with
/// certificate and host verification, ALPN offering only `http/1.1`), then the WebSocket bytes go
/// through `curl_easy_send` and `curl_easy_recv`. This is the only file that touches `CURL *`.
///
/// The rule that matters: TLS can hold decrypted bytes that `poll(2)` cannot see, so `receive`
/// always asks `curl_easy_recv` first and waits on the socket only after it answered `CURLE_AGAIN`.
public final class CurlTransport: Transport {
    private let api: UnsafePointer<jt_curl>
    private var handle: UnsafeMutableRawPointer?
    private var socket: Int32 = -1
    /// An error met after some bytes were received: thrown by the next `receive`.
    private var receiveError: TransportError?
    /// libcurl writes its detailed error text here (`CURLOPT_ERRORBUFFER`); it must outlive the handle.
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// TLS options for a connection.
    public struct Options: Sendable {
        public var caCertPath: String?
        public var insecure: Bool
        public init(caCertPath: String? = nil, insecure: Bool = false) {
            self.caCertPath = caCertPath
            self.insecure = insecure
        }
    }

    /// Loads libcurl and calls `curl_global_init` once (`CurlLibrary`); nil on success. Before
    /// libcurl 7.84 the global init is not thread-safe and must run before any other thread
    /// exists, so the program calls this at start-up when it will connect over `wss://`, the one
    /// use of libcurl after the writer thread starts; HTTPS fetches happen before that and load
    /// it themselves. A `ws://` run never loads libcurl.
    @discardableResult
    public static func globalInit() -> CurlLoadError? {
        CurlLibrary.load()
    }

    /// Connects and completes the TLS handshake with `host`:`port` before `deadline`.
    public init(host: String, port: Int, options: Options, deadline: Deadline) throws(TransportError) {
        do { api = try CurlLibrary.functions() } catch {
            throw .tls(reason: error.description, verification: false)
        }
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        guard let h = api.pointee.easy_init() else {
            errorBuffer.deallocate()
            throw .tls(reason: "libcurl could not create a handle", verification: false)
        }
        handle = h
        let authority = host.contains(":") ? "[\(host)]" : host
        let remainingMs = max(1, Int(deadline.pollTimeout))
        do {
            try set(h, CURLOPT_ERRORBUFFER, pointer: errorBuffer)
            try set(h, CURLOPT_URL, "https://\(authority):\(port)/")
            try set(h, CURLOPT_CONNECT_ONLY, 1)
            try set(h, CURLOPT_NOSIGNAL, 1)
            try set(h, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
            try set(h, CURLOPT_CONNECTTIMEOUT_MS, remainingMs)
            try set(h, CURLOPT_TIMEOUT_MS, remainingMs)
            try set(h, CURLOPT_TCP_NODELAY, 1)
            // OpenSSL read-ahead (see jt_tune_openssl); other TLS backends refuse the option.
            _ = jt_curl_setopt_tune_openssl(api, h)
            if let ca = options.caCertPath { try set(h, CURLOPT_CAINFO, ca) }
            if options.insecure {
                try set(h, CURLOPT_SSL_VERIFYPEER, 0)
                try set(h, CURLOPT_SSL_VERIFYHOST, 0)
            }
        } catch {
            close()
            throw error
        }
        let rc = api.pointee.easy_perform(h)
        guard rc == CURLE_OK else {
            let failure = classify(rc, host: host, port: port)
            close()
            throw failure
        }
        var s: curl_socket_t = -1
        guard jt_curl_getinfo_socket(api, h, &s) == CURLE_OK, s >= 0 else {
            close()
            throw .tls(reason: "libcurl gave no socket for the connection", verification: false)
        }
        socket = s
    }

    deinit {
        close()
        errorBuffer.deallocate()
    }

    public func send(_ bytes: UnsafeRawBufferPointer, deadline: Deadline) throws(TransportError) {
        guard let h = handle else { throw .io(call: "curl_easy_send", reason: "connection closed") }
        var offset = 0
        while offset < bytes.count {
            var sent = 0
            let rc = api.pointee.easy_send(h, bytes.baseAddress! + offset, bytes.count - offset, &sent)
            if rc == CURLE_OK { offset += sent; continue }
            if rc == CURLE_AGAIN {
                if try !SocketPoll.wait(fd: socket, events: Int16(POLLOUT), deadline: deadline) { throw .sendTimeout }
                continue
            }
            throw .io(call: "curl_easy_send", reason: message(rc))
        }
    }

    public func receive(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) throws(TransportError) -> Int? {
        guard let h = handle else { throw .io(call: "curl_easy_recv", reason: "connection closed") }
        if let error = receiveError { throw error }
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        // Each curl_easy_recv returns at most one TLS record (16 KiB), so keep receiving while
        // records are there: one call fills the buffer, as one read(2) does on a plain socket.
        var total = 0
        while true {
            var got = 0
            let rc = api.pointee.easy_recv(h, base + total, buffer.count - total, &got)
            if rc == CURLE_OK {
                // 0 is the end of the stream; after some bytes, the next call reports it.
                if got == 0 { return total }
                total += got
                if total == buffer.count { return total }
                continue
            }
            if rc == CURLE_AGAIN {
                if total > 0 { return total }
                if try !SocketPoll.wait(fd: socket, events: Int16(POLLIN), deadline: deadline) { return nil }
                continue
            }
            // What arrived before an error is handed over first, and the error on the next call.
            let error = TransportError.io(call: "curl_easy_recv", reason: message(rc))
            if total > 0 {
                receiveError = error
                return total
            }
            throw error
        }
    }

    public func close() {
        if let h = handle {
            api.pointee.easy_cleanup(h)
            handle = nil
            socket = -1
        }
    }

    // MARK: - Errors

    private func message(_ rc: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        errorBuffer[0] = 0
        return detail.isEmpty ? api.pointee.message(rc) : detail
    }

    /// Maps a failed `curl_easy_perform` onto the transport's error cases.
    private func classify(_ rc: CURLcode, host: String, port: Int) -> TransportError {
        let text = message(rc)
        switch rc {
        case CURLE_COULDNT_RESOLVE_HOST:
            return .resolve(host: host, reason: text)
        case CURLE_COULDNT_CONNECT:
            return .connect(host: host, port: port, reason: text)
        case CURLE_OPERATION_TIMEDOUT:
            return .connectTimeout(host: host, port: port)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS:
            return .tls(reason: text, verification: true)
        default:
            return .tls(reason: text, verification: false)
        }
    }

    // MARK: - Options (the typed shims in CLibs/shim.h stand in for variadic curl_easy_setopt)

    private func set(_ h: UnsafeMutableRawPointer, _ option: CURLoption, _ value: Int) throws(TransportError) {
        let rc = jt_curl_setopt_long(api, h, option, value)
        if rc != CURLE_OK { throw .tls(reason: "curl_easy_setopt(\(option.rawValue)): \(api.pointee.message(rc))", verification: false) }
    }

    private func set(_ h: UnsafeMutableRawPointer, _ option: CURLoption, _ value: String) throws(TransportError) {
        let rc = jt_curl_setopt_str(api, h, option, value)
        if rc != CURLE_OK { throw .tls(reason: "curl_easy_setopt(\(option.rawValue)): \(api.pointee.message(rc))", verification: false) }
    }

    private func set(_ h: UnsafeMutableRawPointer, _ option: CURLoption, pointer: UnsafeMutableRawPointer) throws(TransportError) {
        let rc = jt_curl_setopt_ptr(api, h, option, pointer)
        if rc != CURLE_OK { throw .tls(reason: "curl_easy_setopt(\(option.rawValue)): \(api.pointee.message(rc))", verification: false) }
    }
}

@available(*, unavailable)
extension CurlTransport: Sendable {}
