/// A connected byte stream: plain TCP (`SocketTransport`) or TLS through libcurl (`CurlTransport`).
///
/// Everything above this protocol (handshake, framing, the tail loop) sees only bytes, deadlines
/// and `TransportError`, so tests can substitute a scripted fake.
public protocol Transport: AnyObject {
    /// Writes every byte, waiting for the socket as needed, or throws once `deadline` passes.
    func send(_ bytes: UnsafeRawBufferPointer, deadline: Deadline) throws(TransportError)

    /// Reads what is available, at most `buffer.count` bytes, waiting until `deadline` for at least one.
    /// Returns the count read; 0 means the peer closed the stream (EOF); `nil` means the deadline
    /// passed with nothing to read.
    func receive(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) throws(TransportError) -> Int?

    /// Releases the connection. Safe to call more than once.
    func close()

    /// How large a read buffer suits this transport: the connection's buffer starts at this size.
    var readBufferSize: Int { get }
}

extension Transport {
    /// 256 KiB unless a transport says otherwise: about 500 events a read.
    public var readBufferSize: Int { 256 * 1024 }

    /// Sends a byte array whole.
    public func send(_ bytes: [UInt8], deadline: Deadline) throws(TransportError) {
        let failure: TransportError? = bytes.withUnsafeBytes { raw -> TransportError? in
            do throws(TransportError) { try send(raw, deadline: deadline); return nil } catch { return error }
        }
        if let failure { throw failure }
    }
}

/// Why a transport failed. Every case is a reason to reconnect, never to exit, except where the
/// tail loop decides otherwise (for example, a certificate that will not verify).
public enum TransportError: Error, Equatable, CustomStringConvertible {
    /// The host name did not resolve. The corresponding C call is `getaddrinfo`.
    case resolve(host: String, reason: String)
    /// No address accepted the connection.
    case connect(host: String, port: Int, reason: String)
    /// The connection was not established before the connect timeout.
    case connectTimeout(host: String, port: Int)
    /// TLS failed: handshake, certificate verification or a broken record. `verification` is true
    /// when the peer's certificate or name did not verify, which retrying will not fix.
    case tls(reason: String, verification: Bool)
    /// A read or write on an established connection failed.
    case io(call: String, reason: String)
    /// A send did not complete before its deadline.
    case sendTimeout

    public var description: String {
        switch self {
        case let .resolve(host, reason): return "cannot resolve \(host): \(reason)"
        case let .connect(host, port, reason): return "cannot connect to \(host) port \(port): \(reason)"
        case let .connectTimeout(host, port): return "connection to \(host) port \(port) timed out"
        case let .tls(reason, _): return "TLS: \(reason)"
        case let .io(call, reason): return "\(call): \(reason)"
        case .sendTimeout: return "send timed out"
        }
    }
}
