/// One WebSocket client connection: transport, opening handshake, frame reading and the control-frame
/// duties of RFC 6455 (pong for every ping, the close handshake, failing the connection with the
/// right close code on a protocol violation).
///
/// Both `jetstream-tail` and the `autobahn-testee` conformance tool run on this type, so what
/// Autobahn|Testsuite checks is exactly what the tailer does. Not thread-safe.
public final class WebSocketConnection {
    public let endpoint: Endpoint
    private let transport: Transport
    private let buffer: ReadBuffer
    private let reader: MessageReader
    private var closeSent = false
    /// When bytes last arrived (monotonic nanoseconds): the idle timeout counts from here.
    public private(set) var lastReceiveAt: UInt64 = MonotonicClock.now()
    /// Read size asked of the transport each time: large reads mean few system calls.
    private static let readChunk = 64 * 1024

    /// How long a close handshake may take before the socket is simply dropped.
    public static let closeTimeout: Double = 2

    /// Settings that shape one connection.
    public struct Options: Sendable {
        public var maxMessageSize: Int
        public var connectTimeout: Double
        public var tls: CurlTransport.Options
        public var extraHeaders: [(String, String)]

        public init(maxMessageSize: Int, connectTimeout: Double, tls: CurlTransport.Options = .init(), extraHeaders: [(String, String)] = []) {
            self.maxMessageSize = maxMessageSize
            self.connectTimeout = connectTimeout
            self.tls = tls
            self.extraHeaders = extraHeaders
        }
    }

    /// Connects (TCP, TLS for `wss`) and upgrades `target` (path and query) to a WebSocket, all within
    /// `options.connectTimeout`. Throws `TransportError` or `HandshakeError`.
    public init(endpoint: Endpoint, target: String, options: Options) throws {
        let deadline = Deadline.after(seconds: options.connectTimeout)
        let transport: Transport
        switch endpoint.scheme {
        case .ws: transport = try SocketTransport(host: endpoint.host, port: endpoint.port, deadline: deadline)
        case .wss: transport = try CurlTransport(host: endpoint.host, port: endpoint.port, options: options.tls, deadline: deadline)
        }
        let leftover: [UInt8]
        do {
            leftover = try Handshake.perform(over: transport, endpoint: endpoint, target: target, deadline: deadline, extraHeaders: options.extraHeaders)
        } catch {
            transport.close()
            throw error
        }
        self.endpoint = endpoint
        self.transport = transport
        self.buffer = ReadBuffer(capacity: transport.readBufferSize)
        self.reader = MessageReader(maxMessageSize: options.maxMessageSize)
        leftover.withUnsafeBytes { buffer.append($0) }
    }

    deinit { transport.close() }

    /// What the connection produced.
    public enum Incoming {
        /// A complete text message; the bytes stay valid until the next call to `next`.
        case text(UnsafeRawBufferPointer)
        /// A complete binary message; the bytes stay valid until the next call to `next`.
        case binary(UnsafeRawBufferPointer)
        /// The server closed the connection with a close frame (answered already; socket released).
        case closed(code: UInt16?, reason: String)
    }

    /// Returns the next message, answering pings and the close handshake on the way. Bytes already
    /// buffered are parsed first; then it reads the transport, waiting until `deadline` (a passed
    /// deadline still tries one non-blocking read). Returns nil when nothing complete arrived in time.
    ///
    /// Throws `ProtocolError` (after sending the matching close frame), `TransportError`, or
    /// `ConnectionError.closedWithoutCloseFrame` when the stream ends abruptly (close code 1006).
    public func next(deadline: Deadline) throws -> Incoming? {
        var readOnce = false
        while true {
            if let event = try failingOnViolation({ () throws(ProtocolError) in try reader.next(from: buffer) }) {
                switch event {
                case .text(let payload): return .text(payload)
                case .binary(let payload): return .binary(payload)
                case .ping(let payload):
                    // RFC 6455 §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in
                    // response ... The Pong frame sent in response to a Ping frame must have identical
                    // Application data".
                    if !closeSent { try send(FrameEncoder.encode(opcode: .pong, payload: payload)) }
                    continue
                case .pong:
                    continue
                case let .close(code, reason):
                    let text = String(decoding: reason, as: UTF8.self)
                    finishClose(echoing: code)
                    return .closed(code: code, reason: text)
                }
            }
            if readOnce && deadline.hasPassed { return nil }
            buffer.prepareForRead(contiguous: reader.contiguousBytesWanted, minimumFree: Self.readChunk)
            guard let n = try transport.receive(into: buffer.writable, deadline: deadline) else { return nil }
            if n == 0 { throw ConnectionError.closedWithoutCloseFrame }
            buffer.commit(n)
            lastReceiveAt = MonotonicClock.now()
            readOnce = true
        }
    }

    /// Hands `body` each text or binary message that is already buffered whole, in order, and
    /// stops at the first thing that is not one (a control frame, a fragment, a frame still
    /// arriving, nothing) without reading the socket: that is left for `next`. A caller that has
    /// just taken a message from `next` takes the rest of the read this way, one call instead of
    /// a round through `next` per message. The payloads stay valid until the buffer is next read
    /// into, as `next`'s do. A protocol error fails the connection as in `next`.
    @inline(__always)
    public func takeBuffered(_ body: (Incoming) throws -> Void) throws {
        while true {
            switch try failingOnViolation({ () throws(ProtocolError) in try reader.nextWhole(from: buffer) }) {
            case .text(let payload)?: try body(.text(payload))
            case .binary(let payload)?: try body(.binary(payload))
            default: return
            }
        }
    }

    /// What `read` returns; a protocol error it throws first fails the connection (the matching
    /// close frame is sent), then goes on to the caller.
    @inline(__always)
    private func failingOnViolation(_ read: () throws(ProtocolError) -> WebSocketEvent?) throws -> WebSocketEvent? {
        do {
            return try read()
        } catch {
            fail(error)
            throw error
        }
    }

    /// Sends one complete message (text or binary), masked as a client must.
    public func send(opcode: Opcode, payload: UnsafeRawBufferPointer, deadline: Deadline = .after(seconds: 10)) throws {
        try transport.send(FrameEncoder.encode(opcode: opcode, payload: payload), deadline: deadline)
    }

    /// Sends a ping with `payload` (at most 125 bytes).
    public func ping(_ payload: [UInt8] = []) throws {
        try payload.withUnsafeBytes { try send(FrameEncoder.encode(opcode: .ping, payload: $0)) }
    }

    /// Starts the close handshake with `code`, waits briefly for the server's close frame and its
    /// end of the TCP connection, then releases the socket. Errors are ignored: we are leaving.
    public func close(code: UInt16 = 1000, reason: String = "") {
        defer { transport.close() }
        guard !closeSent else { return }
        closeSent = true
        let payload = CloseFrame.payload(code: code, reason: reason)
        let frame = payload.withUnsafeBytes { FrameEncoder.encode(opcode: .close, payload: $0) }
        let deadline = Deadline.after(seconds: Self.closeTimeout)
        do {
            try transport.send(frame, deadline: deadline)
            while true {
                guard let incoming = try next(deadline: deadline) else { break }
                if case .closed = incoming { break }
            }
        } catch {}
    }

    /// Drops the connection at once, without the close handshake (stdout is gone; nobody is waiting).
    public func abort() {
        closeSent = true
        transport.close()
    }

    // MARK: - Private

    private func send(_ frame: [UInt8]) throws {
        try transport.send(frame, deadline: .after(seconds: 10))
    }

    /// The server closed: echo its code (RFC 6455 §5.5.1: "the endpoint MUST send a Close frame in
    /// response ... typically echoing the status code it received"), then wait for the server to end
    /// the TCP connection, as §7.1.1 asks of clients, before releasing it.
    private func finishClose(echoing code: UInt16?) {
        if !closeSent {
            closeSent = true
            let payload = code.map { CloseFrame.payload(code: $0, reason: "") } ?? []
            let frame = payload.withUnsafeBytes { FrameEncoder.encode(opcode: .close, payload: $0) }
            try? transport.send(frame, deadline: .after(seconds: Self.closeTimeout))
        }
        drainUntilEOF()
        transport.close()
    }

    /// A protocol violation: §7.1.7 "the endpoint MUST _Fail the WebSocket Connection_" — send a close
    /// frame with the code the violation calls for and drop the connection.
    private func fail(_ error: ProtocolError) {
        if !closeSent {
            closeSent = true
            let payload = CloseFrame.payload(code: error.closeCode, reason: "")
            let frame = payload.withUnsafeBytes { FrameEncoder.encode(opcode: .close, payload: $0) }
            try? transport.send(frame, deadline: .after(seconds: Self.closeTimeout))
        }
        transport.close()
    }

    private func drainUntilEOF() {
        let deadline = Deadline.after(seconds: Self.closeTimeout)
        var scratch = [UInt8](repeating: 0, count: 4096)
        while !deadline.hasPassed {
            let result: Int?? = try? scratch.withUnsafeMutableBytes { try transport.receive(into: $0, deadline: deadline) }
            guard let outcome = result, let count = outcome, count > 0 else { return }
        }
    }
}

@available(*, unavailable)
extension WebSocketConnection: Sendable {}

/// The connection ended without the close handshake.
public enum ConnectionError: Error, Equatable, CustomStringConvertible {
    /// EOF with no close frame: what RFC 6455 reports as code 1006, and Jetstream's usual signature of
    /// a server restart or a slow-consumer drop.
    case closedWithoutCloseFrame

    public var description: String {
        switch self {
        case .closedWithoutCloseFrame: return "connection closed by the server without a close frame (1006)"
        }
    }
}
