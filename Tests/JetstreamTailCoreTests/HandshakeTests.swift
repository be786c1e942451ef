import Testing
@testable import JetstreamTailCore

/// A transport that replays a script of server behaviour and records what the client sent.
private final class ScriptedTransport: Transport {
    enum Step {
        case bytes([UInt8])
        case timeout
        case failure(TransportError)
    }

    var steps: [Step]
    /// The most one `receive` hands out, to split the response at every possible place.
    let maxPerReceive: Int
    var sent: [UInt8] = []
    var sendFailure: TransportError?

    init(_ steps: [Step], maxPerReceive: Int = .max) {
        self.steps = steps
        self.maxPerReceive = maxPerReceive
    }

    convenience init(_ text: String, then frames: [UInt8] = [], maxPerReceive: Int = .max) {
        self.init([.bytes(Array(text.utf8) + frames)], maxPerReceive: maxPerReceive)
    }

    func send(_ bytes: UnsafeRawBufferPointer, deadline: Deadline) throws(TransportError) {
        if let sendFailure { throw sendFailure }
        sent.append(contentsOf: bytes)
    }

    /// After the script runs out the peer has closed: EOF.
    func receive(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) throws(TransportError) -> Int? {
        guard let step = steps.first else { return 0 }
        switch step {
        case .bytes(let b):
            let n = min(b.count, buffer.count, maxPerReceive)
            buffer.copyBytes(from: b.prefix(n))
            if n == b.count { steps.removeFirst() } else { steps[0] = .bytes(Array(b.dropFirst(n))) }
            return n
        case .timeout:
            steps.removeFirst()
            return nil
        case .failure(let error):
            steps.removeFirst()
            throw error
        }
    }

    func close() {}
}

@Suite struct HandshakeTests {
    static let key = "dGhlIHNhbXBsZSBub25jZQ=="
    static let accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    static let endpoint = Endpoint(scheme: .ws, host: "localhost", port: 6008)
    static let ok = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(accept)\r\n\r\n"
    /// A text frame carrying `{}` followed by the start of another frame.
    static let frames: [UInt8] = [0x81, 0x02, 0x7B, 0x7D, 0x81]

    private func perform(_ transport: ScriptedTransport, extraHeaders: [(String, String)] = [],
                         deadline: Deadline = .after(seconds: 30)) throws -> [UInt8] {
        try Handshake.perform(over: transport, endpoint: Self.endpoint, target: "/subscribe", deadline: deadline,
                              extraHeaders: extraHeaders, key: Self.key)
    }

    private func refusal(_ transport: ScriptedTransport) -> HandshakeError? {
        do {
            _ = try perform(transport)
            return nil
        } catch let error as HandshakeError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    // MARK: Key and request

    @Test func computesTheRFC6455ExampleAccept() {
        #expect(Handshake.acceptValue(forKey: Self.key) == Self.accept)
    }

    @Test func generatesSixteenRandomBytesAsKey() throws {
        let a = Handshake.generateKey()
        let b = Handshake.generateKey()
        #expect(try #require(Base64.decode(a)).count == 16)
        #expect(a.utf8.count == 24)
        #expect(a != b)
    }

    @Test func writesTheUpgradeRequest() {
        let request = Handshake.request(endpoint: Self.endpoint, target: "/subscribe?wantedCollections=app.bsky.feed.post",
                                        key: Self.key, extraHeaders: [("Socket-Encoding", "zstd")])
        #expect(String(decoding: request, as: UTF8.self) == """
            GET /subscribe?wantedCollections=app.bsky.feed.post HTTP/1.1\r
            Host: localhost:6008\r
            Upgrade: websocket\r
            Connection: Upgrade\r
            Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
            Sec-WebSocket-Version: 13\r
            User-Agent: \(JetstreamTail.userAgent)\r
            Socket-Encoding: zstd\r
            \r

            """)
    }

    @Test func writesHostWithoutDefaultPortAndWithIPv6Brackets() {
        func host(_ e: Endpoint) -> Bool {
            String(decoding: Handshake.request(endpoint: e, target: "/", key: Self.key), as: UTF8.self)
                .contains("\r\nHost: \(e.authority)\r\n")
        }
        #expect(Endpoint(scheme: .wss, host: "jetstream2.us-east.bsky.network").authority == "jetstream2.us-east.bsky.network")
        #expect(host(Endpoint(scheme: .wss, host: "jetstream2.us-east.bsky.network")))
        #expect(host(Endpoint(scheme: .ws, host: "::1", port: 6008)))
        #expect(Endpoint(scheme: .ws, host: "::1", port: 6008).authority == "[::1]:6008")
    }

    @Test func neverOffersAnExtension() {
        let text = String(decoding: Handshake.request(endpoint: Self.endpoint, target: "/subscribe", key: Self.key), as: UTF8.self)
        #expect(!text.lowercased().contains("sec-websocket-extensions"))
        #expect(!text.contains("deflate"))
    }

    // MARK: Success

    @Test func sendsTheRequestAndReturnsTheBytesAfterTheHead() throws {
        let transport = ScriptedTransport(Self.ok, then: Self.frames)
        #expect(try perform(transport) == Self.frames)
        #expect(transport.sent == Handshake.request(endpoint: Self.endpoint, target: "/subscribe", key: Self.key))
    }

    @Test(arguments: [1, 2, 3, 5, 7, 64, 4096])
    func readsAResponseSplitIntoPiecesOf(size: Int) throws {
        let transport = ScriptedTransport(Self.ok, then: Self.frames, maxPerReceive: size)
        let rest = try perform(transport)
        // What came with the head is returned; anything later stays in the transport.
        var all = rest
        if case .bytes(let more)? = transport.steps.first { all += more }
        #expect(all == Self.frames)
        #expect(Self.frames.starts(with: rest))
    }

    @Test func returnsNothingExtraWhenOnlyTheHeadArrived() throws {
        #expect(try perform(ScriptedTransport(Self.ok)) == [])
    }

    @Test func acceptsCaseInsensitiveNamesFoldingAndBareLineFeeds() throws {
        let response = "HTTP/1.1 101 Switching Protocols\nupgrade: WebSocket\nCONNECTION: keep-alive,\n\t  UPGRADE\n"
            + "sec-websocket-accept: \t\(Self.accept)  \nServer: test\nSec-WebSocket-Extensions:\n\n"
        #expect(try perform(ScriptedTransport(response, then: Self.frames)) == Self.frames)
    }

    @Test func skipsInterimResponses() throws {
        let transport = ScriptedTransport("HTTP/1.1 100 Continue\r\n\r\n" + Self.ok, then: Self.frames, maxPerReceive: 3)
        let rest = try perform(transport)
        #expect(Self.frames.starts(with: rest))
    }

    @Test func acceptsAnOfferedSubprotocol() throws {
        let response = Self.ok.replacingFirst("\r\n\r\n", with: "\r\nSec-WebSocket-Protocol: xrpc.v1.json\r\n\r\n")
        let rest = try perform(ScriptedTransport(response), extraHeaders: [("Sec-WebSocket-Protocol", "xrpc.v1.json")])
        #expect(rest == [])
    }

    // MARK: Bad 101 answers

    @Test func rejectsA101WithoutAccept() {
        let response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
        let error = refusal(ScriptedTransport(response))
        #expect(error == .badAccept(expected: Self.accept, got: nil))
        #expect(error?.isRetryable == false)
    }

    @Test func rejectsAWrongAccept() {
        let response = Self.ok.replacingFirst(Self.accept, with: "S3PPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(refusal(ScriptedTransport(response)) == .badAccept(expected: Self.accept, got: "S3PPLMBiTxaQ9kYGzzhZRbK+xOo="))
    }

    @Test func rejectsTwoAccepts() {
        let response = Self.ok.replacingFirst("\r\n\r\n", with: "\r\nSec-WebSocket-Accept: \(Self.accept)\r\n\r\n")
        #expect(refusal(ScriptedTransport(response)) == .badAccept(expected: Self.accept, got: "\(Self.accept), \(Self.accept)"))
    }

    @Test func rejectsAMissingOrWrongUpgrade() {
        #expect(refusal(ScriptedTransport(Self.ok.replacingFirst("Upgrade: websocket\r\n", with: ""))) == .missingUpgrade)
        #expect(refusal(ScriptedTransport(Self.ok.replacingFirst("Upgrade: websocket", with: "Upgrade: h2c"))) == .missingUpgrade)
    }

    @Test func rejectsAConnectionWithoutUpgrade() {
        let response = Self.ok.replacingFirst("Connection: Upgrade", with: "Connection: keep-alive, upgrade-ish")
        #expect(refusal(ScriptedTransport(response)) == .missingConnectionUpgrade)
    }

    @Test func rejectsAnExtensionWeDidNotOffer() {
        let response = Self.ok.replacingFirst("\r\n\r\n", with: "\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n")
        #expect(refusal(ScriptedTransport(response)) == .unexpectedExtension("permessage-deflate; server_no_context_takeover"))
    }

    @Test func rejectsASubprotocolWeDidNotOffer() {
        let response = Self.ok.replacingFirst("\r\n\r\n", with: "\r\nSec-WebSocket-Protocol: chat\r\n\r\n")
        #expect(refusal(ScriptedTransport(response)) == .unexpectedSubprotocol("chat"))
    }

    @Test func rejectsA101OverHTTP10() {
        let response = Self.ok.replacingFirst("HTTP/1.1", with: "HTTP/1.0")
        guard case .malformedResponse? = refusal(ScriptedTransport(response)) else {
            Issue.record("expected malformedResponse")
            return
        }
    }

    // MARK: Refusals

    @Test func reportsA400WithItsPlainTextBody() throws {
        let response = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "X-Content-Type-Options: nosniff\r\nContent-Length: 20\r\n\r\ninvalid cursor: abc\n"
        for size in [1, 7, 4096] {
            let error = try #require(refusal(ScriptedTransport(response, maxPerReceive: size)))
            #expect(error == .rejected(status: 400, statusLine: "HTTP/1.1 400 Bad Request", body: "invalid cursor: abc"))
            #expect(error.description == "server refused the upgrade: HTTP/1.1 400 Bad Request: invalid cursor: abc")
            #expect(!error.isRetryable)
        }
    }

    @Test func readsOnlyContentLengthBytesOfTheBody() throws {
        // The server keeps the connection open after the body: no need to wait for EOF.
        let transport = ScriptedTransport([.bytes(Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nabc".utf8)),
                                           .failure(.io(call: "recv", reason: "should not be read"))])
        #expect(refusal(transport) == .rejected(status: 400, statusLine: "HTTP/1.1 400 Bad Request", body: "abc"))
    }

    @Test func reportsA503BodyReadUntilClose() throws {
        let transport = ScriptedTransport([.bytes(Array("HTTP/1.1 503 Service Unavailable\r\n\r\nservice not ".utf8)),
                                           .bytes(Array("ready: bootstrapping\r\n".utf8))])
        let error = try #require(refusal(transport))
        #expect(error == .rejected(status: 503, statusLine: "HTTP/1.1 503 Service Unavailable",
                                   body: "service not ready: bootstrapping"))
        #expect(error.isRetryable)
    }

    @Test func decodesAChunkedBody() {
        let response = "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "15\r\nsubscribe: invalid op\r\n9\r\ntions: x\n\r\n0\r\n\r\n"
        #expect(refusal(ScriptedTransport(response, maxPerReceive: 5))
                == .rejected(status: 400, statusLine: "HTTP/1.1 400 Bad Request", body: "subscribe: invalid options: x"))
    }

    @Test func showsRawBytesWhenChunkingIsBroken() {
        let response = "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\nnot chunked\r\n"
        #expect(refusal(ScriptedTransport(response))
                == .rejected(status: 400, statusLine: "HTTP/1.1 400 Bad Request", body: "not chunked"))
    }

    @Test func keepsAtMost512BytesOfTheBody() throws {
        let body = String(repeating: "x", count: 2000)
        let error = refusal(ScriptedTransport("HTTP/1.1 404 Not Found\r\n\r\n" + body, maxPerReceive: 100))
        guard case .rejected(404, _, let kept, _)? = error else {
            Issue.record("expected a 404 refusal, got \(String(describing: error))")
            return
        }
        #expect(kept.utf8.count == 512)
    }

    @Test func makesControlCharactersVisible() {
        let response = "HTTP/1.1 400 Bad\u{1B}[2J Request\r\n\r\nline one\r\nline\ttwo \u{1B}[31mred\u{7F}\u{9B}\n"
        #expect(refusal(ScriptedTransport(response)) == .rejected(
            status: 400, statusLine: "HTTP/1.1 400 Bad\\u{1b}[2J Request",
            body: "line one\\r\\nline\\ttwo \\u{1b}[31mred\\u{7f}\\u{9b}"))
    }

    @Test func keepsThePartialBodyWhenTheConnectionFails() {
        let transport = ScriptedTransport([.bytes(Array("HTTP/1.1 429 Too Many Requests\r\n\r\nslow".utf8)),
                                           .failure(.io(call: "recv", reason: "Connection reset by peer"))])
        let error = refusal(transport)
        #expect(error == .rejected(status: 429, statusLine: "HTTP/1.1 429 Too Many Requests", body: "slow"))
        #expect(error?.isRetryable == true)
    }

    @Test func readsRetryAfterSeconds() {
        let transport = ScriptedTransport([.bytes(Array("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 4\r\n\r\nslow".utf8))])
        #expect(refusal(transport) == .rejected(status: 429, statusLine: "HTTP/1.1 429 Too Many Requests", body: "slow", retryAfter: 7))
        #expect(HandshakeError.retryAfterSeconds("Wed, 21 Oct 2015 07:28:00 GMT") == nil)
        #expect(HandshakeError.retryAfterSeconds(" 120 ") == 120)
    }

    @Test func keepsThePartialBodyWhenTheGracePeriodEnds() {
        let transport = ScriptedTransport([.bytes(Array("HTTP/1.1 500 Internal Server Error\r\n\r\noops".utf8)), .timeout])
        #expect(refusal(transport) == .rejected(status: 500, statusLine: "HTTP/1.1 500 Internal Server Error", body: "oops"))
    }

    @Test func reportsAnEmptyBodyWithoutTrailingColon() {
        let error = refusal(ScriptedTransport("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"))
        #expect(error?.description == "server refused the upgrade: HTTP/1.1 403 Forbidden")
    }

    // MARK: Broken connections

    @Test func reportsEOFBeforeAnyResponse() {
        #expect(refusal(ScriptedTransport([])) == .closedBeforeResponse)
    }

    @Test func reportsEOFInTheMiddleOfTheHead() {
        let error = refusal(ScriptedTransport("HTTP/1.1 101 Switching Protocols\r\nUpgrade: webs", maxPerReceive: 1))
        #expect(error == .closedBeforeResponse)
        #expect(error?.isRetryable == true)
    }

    @Test func rejectsAHeadLargerThanTheLimit() {
        let huge = "HTTP/1.1 101 Switching Protocols\r\n" + String(repeating: "X-Filler: aaaaaaaaaaaaaaaaaaaa\r\n", count: 1000)
        #expect(refusal(ScriptedTransport(huge)) == .responseTooLarge)
        #expect(refusal(ScriptedTransport(huge + "\r\n")) == .responseTooLarge)
    }

    @Test func rejectsAPeerThatIsNotSpeakingHTTP() {
        // A TLS alert, as a TLS-only port answers plain text.
        let transport = ScriptedTransport([.bytes([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46])])
        guard case .malformedResponse(let why)? = refusal(transport) else {
            Issue.record("expected malformedResponse")
            return
        }
        #expect(why.hasPrefix("not an HTTP response: \\u{15}\\u{3}"))
    }

    @Test func reportsTimeoutWhenNothingArrives() {
        let error = refusal(ScriptedTransport([.bytes(Array("HTTP/1.1 101".utf8)), .timeout]))
        #expect(error == .timeout)
        #expect(error?.isRetryable == true)
    }

    @Test func reportsTimeoutOnceTheDeadlineHasPassed() throws {
        do {
            _ = try perform(ScriptedTransport(Self.ok, maxPerReceive: 1), deadline: Deadline(nanoseconds: 0))
            Issue.record("expected a timeout")
        } catch let error as HandshakeError {
            #expect(error == .timeout)
        }
    }

    @Test func reportsASendTimeoutAsTimeout() throws {
        let transport = ScriptedTransport(Self.ok)
        transport.sendFailure = .sendTimeout
        #expect(refusal(transport) == .timeout)
    }

    @Test func passesTransportErrorsThrough() throws {
        let transport = ScriptedTransport([.failure(.io(call: "recv", reason: "Connection reset by peer"))])
        #expect(throws: TransportError.io(call: "recv", reason: "Connection reset by peer")) { try perform(transport) }
        let sending = ScriptedTransport(Self.ok)
        sending.sendFailure = .tls(reason: "bad record mac", verification: false)
        #expect(throws: TransportError.tls(reason: "bad record mac", verification: false)) { try perform(sending) }
    }

    // MARK: Classification

    @Test(arguments: [(500, true), (502, true), (503, true), (408, true), (429, true),
                      (400, false), (401, false), (404, false), (301, false), (200, false)])
    func classifiesRefusalsForRetry(status: Int, retryable: Bool) {
        #expect(HandshakeError.rejected(status: status, statusLine: "", body: "").isRetryable == retryable)
    }

    @Test func classifiesProtocolViolationsAsFinal() {
        let final: [HandshakeError] = [.badAccept(expected: "a", got: "b"), .missingUpgrade, .missingConnectionUpgrade,
                                       .unexpectedExtension("x"), .unexpectedSubprotocol("y"), .malformedResponse("z"),
                                       .responseTooLarge]
        for error in final {
            #expect(!error.isRetryable)
            #expect(!error.description.isEmpty && !error.description.contains("\n"))
        }
    }
}

private extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        var copy = self
        if let range = copy.firstRange(of: target) { copy.replaceSubrange(range, with: replacement) }
        return copy
    }
}
