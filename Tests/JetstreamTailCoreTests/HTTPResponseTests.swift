import Testing
@testable import JetstreamTailCore

@Suite struct HTTPResponseTests {
    private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    private func parse(_ s: String) throws(HandshakeError) -> HTTPResponseHead {
        try HTTPResponseHead(parsing: bytes(s)[...])
    }

    @Test func findsTheEndOfTheHeadWithCRLFOrBareLF() {
        #expect(HTTPResponseHead.endOfHead(in: bytes("HTTP/1.1 101 X\r\nA: b\r\n\r\nrest")) == 24)
        #expect(HTTPResponseHead.endOfHead(in: bytes("HTTP/1.1 101 X\nA: b\n\nrest")) == 21)
        #expect(HTTPResponseHead.endOfHead(in: bytes("HTTP/1.1 101 X\r\nA: b\r\n\r")) == nil)
        #expect(HTTPResponseHead.endOfHead(in: bytes("HTTP/1.1 101 X\r\nA: b\r\n")) == nil)
    }

    @Test func resumesTheSearchAcrossASplitTerminator() {
        let whole = bytes("HTTP/1.1 101 X\r\nA: b\r\n\r\n")
        // The previous search saw everything up to the first CR of the terminator.
        #expect(HTTPResponseHead.endOfHead(in: whole, from: whole.count - 3) == whole.count)
        #expect(HTTPResponseHead.endOfHead(in: whole, from: whole.count - 1) == whole.count)
    }

    @Test func parsesStatusAndFields() throws {
        let head = try parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nX-Empty:\r\n\r\n")
        #expect(head.status == 101)
        #expect(head.minorVersion == 1)
        #expect(head.statusLine == "HTTP/1.1 101 Switching Protocols")
        #expect(head.values("upgrade") == ["websocket"])
        #expect(head.values("x-empty") == [""])
        #expect(head.values("missing") == [])
    }

    @Test func acceptsAStatusLineWithoutReason() throws {
        #expect(try parse("HTTP/1.1 101\r\n\r\n").status == 101)
        #expect(try parse("HTTP/1.1 503 \r\n\r\n").status == 503)
        #expect(try parse("HTTP/1.0 403 Forbidden\r\n\r\n").minorVersion == 0)
    }

    @Test(arguments: [
        "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "http/1.1 101 x\r\n\r\n",
        "HTTP/1.1  101 x\r\n\r\n", "SSH-2.0-OpenSSH_9.6\r\n\r\n", "\r\n",
    ])
    func rejectsBadStatusLines(text: String) {
        #expect(throws: HandshakeError.self) { try parse(text) }
    }

    @Test(arguments: [
        "HTTP/1.1 101 x\r\nUpgrade : websocket\r\n\r\n",       // whitespace before the colon
        "HTTP/1.1 101 x\r\nno colon here\r\n\r\n",
        "HTTP/1.1 101 x\r\n folded-first: line\r\n\r\n",       // whitespace before the first field
        "HTTP/1.1 101 x\r\nA: b\0c\r\n\r\n",
        "HTTP/1.1 101 x\r\nA: b\rc\r\n\r\n",
        "HTTP/1.1 101 x\r\n: empty name\r\n\r\n",
    ])
    func rejectsBadHeaderLines(text: String) {
        #expect(throws: HandshakeError.self) { try parse(text) }
    }

    @Test func joinsFoldedLinesAndTrimsWhitespace() throws {
        let head = try parse("HTTP/1.1 101 x\r\nConnection:  keep-alive,\r\n \t Upgrade \r\nA:\t x \r\n\r\n")
        #expect(head.values("connection") == ["keep-alive, Upgrade"])
        #expect(head.tokens("CONNECTION") == ["keep-alive", "upgrade"])
        #expect(head.values("a") == ["x"])
    }

    @Test func combinesRepeatedFieldsIntoOneList() throws {
        let head = try parse("HTTP/1.1 101 x\r\nConnection: keep-alive\r\nconnection: , Upgrade,\r\n\r\n")
        #expect(head.tokens("Connection") == ["keep-alive", "upgrade"])
    }

    @Test func choosesBodyFramingLikeRFC9112() throws {
        #expect(try parse("HTTP/1.1 400 x\r\nContent-Length: 19\r\n\r\n").bodyFraming == .length(19))
        #expect(try parse("HTTP/1.1 400 x\r\nContent-Length: 19\r\nTransfer-Encoding: chunked\r\n\r\n").bodyFraming == .chunked)
        #expect(try parse("HTTP/1.1 400 x\r\nTransfer-Encoding: gzip\r\n\r\n").bodyFraming == .untilClose)
        #expect(try parse("HTTP/1.1 400 x\r\nContent-Length: -1\r\n\r\n").bodyFraming == .untilClose)
        #expect(try parse("HTTP/1.1 400 x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").bodyFraming == .untilClose)
        #expect(try parse("HTTP/1.1 400 x\r\n\r\n").bodyFraming == .untilClose)
        #expect(try parse("HTTP/1.1 304 x\r\nContent-Length: 5\r\n\r\n").bodyFraming == .none)
    }

    @Test func decodesChunkedBodies() {
        let raw = bytes("7;ext=1\r\ninvalid\r\nC\r\n cursor: abc\r\n0\r\n\r\n")
        let done = HTTPResponseHead.dechunk(raw[...], limit: 512)
        #expect(done?.body == bytes("invalid cursor: abc"))
        #expect(done?.finished == true)

        let partial = HTTPResponseHead.dechunk(raw.prefix(12)[...], limit: 512)
        #expect(partial?.body == bytes("inv"))
        #expect(partial?.finished == false)

        let capped = HTTPResponseHead.dechunk(raw[...], limit: 5)
        #expect(capped?.body == bytes("inval"))
        #expect(capped?.finished == true)

        #expect(HTTPResponseHead.dechunk(bytes("<html>\r\n")[...], limit: 512) == nil)
        #expect(HTTPResponseHead.dechunk(bytes("3\r\nabcX\r\n")[...], limit: 512) == nil)
    }

    /// A chunk size is hex digits alone. `Int(_:radix:)` also takes a sign, and a size of -5 from a
    /// hostile server once made a range that ended before it began (found by `Scripts/fuzz`).
    @Test(arguments: ["-5", "+5", "-0", " -1", "0x5", "5 5", "g"])
    func refusesChunkSizesThatAreNotHexDigits(_ size: String) {
        #expect(HTTPResponseHead.dechunk(bytes("\(size)\r\nslow down\r\n0\r\n\r\n")[...], limit: 512) == nil)
    }
}
