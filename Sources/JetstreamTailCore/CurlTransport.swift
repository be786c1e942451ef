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
    private var handle: UnsafeMutableRawPointer?
    private var socket: Int32 = -1
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

    /// Calls `curl_global_init` once. Before libcurl 7.84 it is not thread-safe and must run
    /// before any other thread exists, so the program calls this at start-up when it will connect
    /// over `wss://`, the one use of libcurl after the writer thread starts; HTTPS fetches happen
    /// before that. A `ws://` run never initialises libcurl: `curl_global_init` sets up OpenSSL,
    /// about 2 MB resident that such a run has no use for.
    public static func globalInit() {
        _ = curlGlobal
    }

    private static let curlGlobal: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    /// Connects and completes the TLS handshake with `host`:`port` before `deadline`.
    public init(host: String, port: Int, options: Options, deadline: Deadline) throws(TransportError) {
        Self.globalInit()
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        guard let h = curl_easy_init() else {
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
            if let ca = options.caCertPath { try set(h, CURLOPT_CAINFO, ca) }
            if options.insecure {
                try set(h, CURLOPT_SSL_VERIFYPEER, 0)
                try set(h, CURLOPT_SSL_VERIFYHOST, 0)
            }
        } catch {
            close()
            throw error
        }
        let rc = curl_easy_perform(h)
        guard rc == CURLE_OK else {
            let failure = classify(rc, host: host, port: port)
            close()
            throw failure
        }
        var s: curl_socket_t = -1
        guard jt_curl_getinfo_socket(h, &s) == CURLE_OK, s >= 0 else {
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
            let rc = curl_easy_send(h, bytes.baseAddress! + offset, bytes.count - offset, &sent)
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
        while true {
            var got = 0
            let rc = curl_easy_recv(h, buffer.baseAddress, buffer.count, &got)
            if rc == CURLE_OK { return got }
            if rc == CURLE_AGAIN {
                if try !SocketPoll.wait(fd: socket, events: Int16(POLLIN), deadline: deadline) { return nil }
                continue
            }
            throw .io(call: "curl_easy_recv", reason: message(rc))
        }
    }

    public func close() {
        if let h = handle {
            curl_easy_cleanup(h)
            handle = nil
            socket = -1
        }
    }

    // MARK: - Errors

    private func message(_ rc: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        errorBuffer[0] = 0
        return detail.isEmpty ? String(cString: curl_easy_strerror(rc)) : detail
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
        let rc = jt_curl_setopt_long(h, option, value)
        if rc != CURLE_OK { throw .tls(reason: "curl_easy_setopt(\(option.rawValue)): \(String(cString: curl_easy_strerror(rc)))", verification: false) }
    }

    private func set(_ h: UnsafeMutableRawPointer, _ option: CURLoption, _ value: String) throws(TransportError) {
        let rc = jt_curl_setopt_str(h, option, value)
        if rc != CURLE_OK { throw .tls(reason: "curl_easy_setopt(\(option.rawValue)): \(String(cString: curl_easy_strerror(rc)))", verification: false) }
    }

    private func set(_ h: UnsafeMutableRawPointer, _ option: CURLoption, pointer: UnsafeMutableRawPointer) throws(TransportError) {
        let rc = jt_curl_setopt_ptr(h, option, pointer)
        if rc != CURLE_OK { throw .tls(reason: "curl_easy_setopt(\(option.rawValue)): \(String(cString: curl_easy_strerror(rc)))", verification: false) }
    }
}

@available(*, unavailable)
extension CurlTransport: Sendable {}
