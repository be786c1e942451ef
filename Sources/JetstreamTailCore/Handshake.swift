/// The WebSocket opening handshake, client side (RFC 6455 §4.1): one HTTP/1.1 `GET` with an
/// `Upgrade`, and the checks on the server's `101 Switching Protocols` answer.
///
/// It runs over any `Transport`, after TCP and TLS are up and before the first frame. Bytes the
/// server sent after the response head are already WebSocket frames (a server may write its first
/// event in the same packet as the 101), so `perform` hands them back instead of dropping them.
/// When the server refuses, the status line and the start of its plain-text body become the error,
/// because that is where Jetstream says what was wrong (`invalid cursor: abc`).
public enum Handshake {
    /// Appended to the key before hashing (RFC 6455 §1.3).
    static let magicGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    /// The response head must fit in this many bytes; a server that sends more is not one we want.
    public static let maxResponseHeadBytes = 16 * 1024
    /// How much of a refusal's body is kept for the error message.
    public static let maxBodyPreviewBytes = 512
    /// How long to wait for a refusal's body after its head, at most (and never past the deadline).
    public static let bodyGraceSeconds = 2.0

    /// Header names `request` writes itself; extra headers may not repeat them.
    static let reservedHeaders: Set<String> = [
        "host", "upgrade", "connection", "sec-websocket-key", "sec-websocket-version",
        "sec-websocket-extensions", "user-agent",
    ]

    /// A fresh `Sec-WebSocket-Key`: RFC 6455 §4.1 "The value of this header field MUST be a nonce
    /// consisting of a randomly selected 16-byte value that has been base64-encoded".
    public static func generateKey() -> String {
        var rng = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for _ in 0..<2 {
            let word = rng.next() as UInt64
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return Base64.encode(bytes)
    }

    /// The `Sec-WebSocket-Accept` a server must answer `key` with: base64(SHA-1(key + GUID))
    /// (RFC 6455 §4.2.2 step 5.4).
    public static func acceptValue(forKey key: String) -> String {
        Base64.encode(SHA1.hash(Array((key + magicGUID).utf8)))
    }

    /// The bytes of the upgrade request for `target` (origin-form: path and query, already
    /// percent-encoded). `Host` is the endpoint's authority: the port only when not the scheme's
    /// default, IPv6 literals in brackets. No `Sec-WebSocket-Extensions` is sent, so the server
    /// cannot switch on permessage-deflate. `extraHeaders` (for example `Socket-Encoding: zstd`)
    /// come last and may not repeat a header written here; target, names and values must not
    /// contain line breaks (the caller builds them, so that is a programming error).
    public static func request(
        endpoint: Endpoint, target: String, key: String, extraHeaders: [(String, String)] = []
    ) -> [UInt8] {
        precondition(target.hasPrefix("/") && target.utf8.allSatisfy { $0 > 0x20 && $0 != 0x7F },
                     "request target must be origin-form without spaces or controls")
        var text = "GET \(target) HTTP/1.1\r\n"
        text += "Host: \(endpoint.authority)\r\n"
        text += "Upgrade: websocket\r\n"
        text += "Connection: Upgrade\r\n"
        text += "Sec-WebSocket-Key: \(key)\r\n"
        text += "Sec-WebSocket-Version: 13\r\n"
        text += "User-Agent: \(JetstreamTail.userAgent)\r\n"
        for (name, value) in extraHeaders {
            precondition(!name.isEmpty && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") },
                         "bad header name \(name)")
            precondition(!value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 }, "line break in header \(name)")
            precondition(!reservedHeaders.contains(HTTPResponseHead.lowercased(name)), "header \(name) is written by the handshake")
            text += "\(name): \(value)\r\n"
        }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// Sends the upgrade request over `transport`, reads and checks the answer, and returns the
    /// bytes that followed the response head: the start of the WebSocket stream.
    ///
    /// A refusal (any final status but 101) throws `.rejected` with the start of the body, read
    /// for at most `bodyGraceSeconds` more. Interim 1xx responses are skipped (RFC 9110 §15.2: "A
    /// client MUST be able to parse one or more 1xx responses received prior to a final
    /// response"). Transport failures propagate as `TransportError`; the deadline passing, while
    /// sending or receiving, is `HandshakeError.timeout`.
    public static func perform(
        over transport: Transport, endpoint: Endpoint, target: String, deadline: Deadline,
        extraHeaders: [(String, String)] = []
    ) throws -> [UInt8] {
        try perform(over: transport, endpoint: endpoint, target: target, deadline: deadline,
                    extraHeaders: extraHeaders, key: generateKey())
    }

    /// `perform` with a chosen key, so tests can script the server's answer.
    static func perform(
        over transport: Transport, endpoint: Endpoint, target: String, deadline: Deadline,
        extraHeaders: [(String, String)], key: String
    ) throws -> [UInt8] {
        let requestBytes = request(endpoint: endpoint, target: target, key: key, extraHeaders: extraHeaders)
        do throws(TransportError) {
            try transport.send(requestBytes, deadline: deadline)
        } catch {
            if error == .sendTimeout { throw HandshakeError.timeout }
            throw error
        }

        var received: [UInt8] = []
        var headBytesSeen = 0  // including skipped interim responses
        var searchFrom = 0
        while true {
            if let end = HTTPResponseHead.endOfHead(in: received, from: searchFrom) {
                headBytesSeen += end
                guard headBytesSeen <= maxResponseHeadBytes else { throw HandshakeError.responseTooLarge }
                let head = try HTTPResponseHead(parsing: received[..<end])
                let rest = received[end...]
                if head.status == 101 {
                    try verifyUpgrade(head, key: key, extraHeaders: extraHeaders)
                    return Array(rest)
                }
                if (100..<200).contains(head.status) {
                    received = Array(rest)
                    searchFrom = 0
                    continue
                }
                throw readRejection(head, bodyStart: rest, transport: transport, deadline: deadline)
            }
            searchFrom = received.count
            guard headBytesSeen + received.count < maxResponseHeadBytes else { throw HandshakeError.responseTooLarge }
            // Fail fast on a peer that is not speaking HTTP (a TLS port reached over plain TCP, say).
            let prefix = Array("HTTP/".utf8)
            if !received.starts(with: prefix.prefix(received.count)) {
                throw HandshakeError.malformedResponse(
                    "not an HTTP response: \(HandshakeError.visible(received.prefix(40)))")
            }
            if deadline.hasPassed { throw HandshakeError.timeout }
            switch try receiveMore(into: &received, from: transport, deadline: deadline) {
            case nil: throw HandshakeError.timeout
            case 0?: throw HandshakeError.closedBeforeResponse
            default: break
            }
        }
    }

    /// The checks of RFC 6455 §4.1 on a 101 answer, in the RFC's order.
    static func verifyUpgrade(_ head: HTTPResponseHead, key: String, extraHeaders: [(String, String)]) throws(HandshakeError) {
        // "If the status code received from the server is not 101, the client handles the response
        // per HTTP procedures." A 101 is only defined for HTTP/1.1.
        guard head.minorVersion == 1 else { throw .malformedResponse("101 answer is not HTTP/1.1: \(head.statusLine)") }
        // "If the response lacks an |Upgrade| header field or the |Upgrade| header field contains a
        // value that is not an ASCII case-insensitive match for the value "websocket", the client
        // MUST _Fail the WebSocket Connection_."
        let upgrade = head.values("Upgrade")
        guard upgrade.count == 1, HTTPResponseHead.lowercased(upgrade[0]) == "websocket" else { throw .missingUpgrade }
        // "If the response lacks a |Connection| header field or the |Connection| header field doesn't
        // contain a token that is an ASCII case-insensitive match for the value "Upgrade", the client
        // MUST _Fail the WebSocket Connection_."
        guard head.tokens("Connection").contains("upgrade") else { throw .missingConnectionUpgrade }
        // "If the response lacks a |Sec-WebSocket-Accept| header field or the |Sec-WebSocket-Accept|
        // contains a value other than the base64-encoded SHA-1 of the concatenation of the
        // |Sec-WebSocket-Key| (as a string, not base64-decoded) with the string
        // "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" ... the client MUST _Fail the WebSocket Connection_."
        let expected = acceptValue(forKey: key)
        let accept = head.values("Sec-WebSocket-Accept")
        guard accept == [expected] else {
            throw .badAccept(expected: expected,
                             got: accept.isEmpty ? nil : HandshakeError.visible(Array(accept.joined(separator: ", ").utf8)))
        }
        // "If the response includes a |Sec-WebSocket-Extensions| header field and this header field
        // indicates the use of an extension that was not present in the client's handshake ..., the
        // client MUST _Fail the WebSocket Connection_." We offer none.
        let extensions = head.values("Sec-WebSocket-Extensions").filter { !$0.isEmpty }
        if !extensions.isEmpty {
            throw .unexpectedExtension(HandshakeError.visible(Array(extensions.joined(separator: ", ").utf8)))
        }
        // "If the response includes a |Sec-WebSocket-Protocol| header field and this header field
        // indicates the use of a subprotocol that was not present in the client's handshake ..., the
        // client MUST _Fail the WebSocket Connection_."
        let chosen = head.tokens("Sec-WebSocket-Protocol")
        if !chosen.isEmpty {
            let offered = extraHeaders.filter { HTTPResponseHead.lowercased($0.0) == "sec-websocket-protocol" }
                .flatMap { $0.1.split(separator: ",") }
                .map { HTTPResponseHead.lowercased(String($0).filter { $0 != " " && $0 != "\t" }) }
            guard chosen.count == 1, offered.contains(chosen[0]) else {
                throw .unexpectedSubprotocol(HandshakeError.visible(Array(chosen.joined(separator: ", ").utf8)))
            }
        }
    }

    /// Reads what is needed of a refusal's body and builds the error. Failures while reading the
    /// body (the server resetting the connection right after a 400, or the grace period ending)
    /// only shorten the preview: the status is the news.
    static func readRejection(
        _ head: HTTPResponseHead, bodyStart: ArraySlice<UInt8>, transport: Transport, deadline: Deadline
    ) -> HandshakeError {
        let framing = head.bodyFraming
        let limit = maxBodyPreviewBytes
        var raw = Array(bodyStart)
        let bodyDeadline = deadline.earlier(.after(seconds: bodyGraceSeconds))

        // The preview so far and whether waiting longer could add to it.
        func preview() -> (bytes: ArraySlice<UInt8>, complete: Bool) {
            switch framing {
            case .none:
                return ([], true)
            case .length(let n):
                let want = min(n, limit)
                return (raw.prefix(want), raw.count >= want)
            case .untilClose:
                return (raw.prefix(limit), raw.count >= limit)
            case .chunked:
                // Chunked bodies are decoded when they parse; otherwise the raw bytes are shown.
                if let (body, finished) = HTTPResponseHead.dechunk(raw[...], limit: limit) {
                    return (body[...], finished)
                }
                return (raw.prefix(limit), raw.count >= limit)
            }
        }

        // Chunk framing can outweigh its data, so allow a few times the preview in raw bytes.
        while !preview().complete, raw.count < 8 * limit {
            guard let n = try? receiveMore(into: &raw, from: transport, deadline: bodyDeadline), n > 0 else { break }
        }
        return .rejected(status: head.status, statusLine: head.statusLine,
                         body: HandshakeError.visible(preview().bytes),
                         retryAfter: head.values("retry-after").first.flatMap(HandshakeError.retryAfterSeconds))
    }

    /// Appends up to 4 KiB from `transport` to `bytes`; returns what `receive` returned.
    private static func receiveMore(
        into bytes: inout [UInt8], from transport: Transport, deadline: Deadline
    ) throws(TransportError) -> Int? {
        var result: Result<Int?, TransportError> = .success(nil)
        withUnsafeTemporaryAllocation(byteCount: 4096, alignment: 1) { scratch in
            do throws(TransportError) {
                let n = try transport.receive(into: scratch, deadline: deadline)
                if let n, n > 0 { bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[..<min(n, scratch.count)])) }
                result = .success(n)
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }
}

/// Why the upgrade to WebSocket did not happen. `isRetryable` sorts them: a server that is busy or
/// a connection that broke is worth another try after backoff; a server that refuses our request
/// or does not speak WebSocket properly will refuse again.
public enum HandshakeError: Error, Equatable, CustomStringConvertible {
    /// Any final status but 101. `body` is the start of the body (at most 512 bytes), decoded as
    /// UTF-8 with replacement, trimmed, and with control characters escaped.
    /// `retryAfter`: the delay a 429 or 503 asked for in `Retry-After` (delta-seconds form only).
    case rejected(status: Int, statusLine: String, body: String, retryAfter: Double? = nil)
    /// RFC 6455 §4.1: `Sec-WebSocket-Accept` missing (`got` nil) or not the hash of our key.
    case badAccept(expected: String, got: String?)
    /// RFC 6455 §4.1: a 101 without `Upgrade: websocket`.
    case missingUpgrade
    /// RFC 6455 §4.1: a 101 whose `Connection` lacks the `upgrade` token.
    case missingConnectionUpgrade
    /// RFC 6455 §4.1: the server turned on an extension we did not offer (we offer none).
    case unexpectedExtension(String)
    /// RFC 6455 §4.1: the server chose a subprotocol we did not offer.
    case unexpectedSubprotocol(String)
    /// The answer is not HTTP/1.x: bad status line, bad header line, bare CR, NUL.
    case malformedResponse(String)
    /// The response head is larger than `Handshake.maxResponseHeadBytes`.
    case responseTooLarge
    /// The connection ended before a complete response head.
    case closedBeforeResponse
    /// The deadline passed before the request was sent and answered.
    case timeout

    /// Whether reconnecting later may succeed: server errors (5xx), 408 Request Timeout, 429 Too
    /// Many Requests, a timeout or an early close. Other refusals and protocol violations will
    /// repeat, so they end the run.
    /// Reads `Retry-After` as delta-seconds (RFC 9110 §10.2.3); the HTTP-date form is ignored.
    static func retryAfterSeconds(_ value: String) -> Double? {
        let trimmed = value.trimmingWhitespace()
        guard !trimmed.isEmpty, trimmed.utf8.count <= 9, trimmed.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Double(trimmed)
    }

    public var isRetryable: Bool {
        switch self {
        case .rejected(let status, _, _, _): return (500..<600).contains(status) || status == 408 || status == 429
        case .timeout, .closedBeforeResponse: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case let .rejected(_, statusLine, body, _):
            return "server refused the upgrade: \(statusLine)" + (body.isEmpty ? "" : ": \(body)")
        case let .badAccept(expected, got?):
            return "wrong Sec-WebSocket-Accept in the 101 response: got \(got), expected \(expected)"
        case .badAccept(_, nil):
            return "no Sec-WebSocket-Accept in the 101 response"
        case .missingUpgrade:
            return "101 response without 'Upgrade: websocket'"
        case .missingConnectionUpgrade:
            return "101 response without 'Connection: Upgrade'"
        case .unexpectedExtension(let value):
            return "server enabled an extension that was not offered: \(value)"
        case .unexpectedSubprotocol(let value):
            return "server chose a subprotocol that was not offered: \(value)"
        case .malformedResponse(let why):
            return "malformed HTTP response: \(why)"
        case .responseTooLarge:
            return "HTTP response head larger than \(Handshake.maxResponseHeadBytes) bytes"
        case .closedBeforeResponse:
            return "connection closed before the HTTP response was complete"
        case .timeout:
            return "no answer to the WebSocket upgrade before the deadline"
        }
    }

    /// Server-supplied bytes made safe for a one-line message on a terminal: decoded as UTF-8
    /// with replacement, surrounding whitespace trimmed, and every control character (C0, DEL,
    /// C1, which includes the 8-bit CSI terminals act on) written as an escape.
    static func visible(_ bytes: some Collection<UInt8>) -> String {
        let isSpace = { (c: UInt8) in c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
        let all = Array(bytes)
        guard let first = all.firstIndex(where: { !isSpace($0) }),
              let last = all.lastIndex(where: { !isSpace($0) }) else { return "" }
        return Diagnostics.escapingControls(String(decoding: all[first...last], as: UTF8.self))
    }
}
