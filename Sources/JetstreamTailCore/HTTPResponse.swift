/// The head of an HTTP/1.x response (RFC 9112 §4 status line, §5 header fields), parsed from the
/// bytes the server sent in answer to the WebSocket upgrade request.
///
/// This is the only HTTP the tool speaks, so it reads just enough of it: the status, the header
/// fields (names case-insensitive, obsolete line folding joined with a space), and how long the body
/// of a refusal is, so its first bytes can be shown to the user. Bare-LF line ends are accepted as
/// RFC 9112 §2.2 allows; anything else unusual is `HandshakeError.malformedResponse`.
struct HTTPResponseHead {
    /// The minor version of `HTTP/1.x`.
    var minorVersion: Int
    var status: Int
    /// The status line as received, without its line end, in the visible form used in messages.
    var statusLine: String
    /// Header fields in arrival order; names as sent, values without surrounding whitespace.
    var fields: [(name: String, value: String)]

    /// The index just past the empty line that ends the head (`\r\n\r\n` or a bare-LF variant), or
    /// nil when it has not arrived yet. `from` lets a caller resume a search after more bytes came
    /// in; it is moved back by two so that a terminator split across reads is still found.
    static func endOfHead(in bytes: [UInt8], from: Int = 0) -> Int? {
        var i = max(0, from - 2)
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\n") {
                if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\n") { return i + 2 }
                if i + 2 < bytes.count, bytes[i + 1] == UInt8(ascii: "\r"), bytes[i + 2] == UInt8(ascii: "\n") {
                    return i + 3
                }
            }
            i += 1
        }
        return nil
    }

    /// Parses a complete head (everything up to and including the empty line).
    init(parsing head: ArraySlice<UInt8>) throws(HandshakeError) {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = head.startIndex
        for i in head.indices where head[i] == UInt8(ascii: "\n") {
            var line = head[lineStart..<i]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            lines.append(line)
            lineStart = i + 1
        }
        // The terminating empty line.
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard let first = lines.first else { throw .malformedResponse("empty response head") }

        (minorVersion, status) = try Self.parseStatusLine(first)
        statusLine = HandshakeError.visible(first)
        fields = []
        for line in lines.dropFirst() {
            // RFC 9112 §5.2: "A user agent that receives an obs-fold in a response message ... MUST
            // replace each received obs-fold with one or more SP octets prior to interpreting the
            // field value."
            if let c = line.first, c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") {
                guard !fields.isEmpty else {
                    throw .malformedResponse("whitespace before the first header field")
                }
                let more = Self.text(Self.trimmed(line))
                if !more.isEmpty {
                    let previous = fields[fields.count - 1].value
                    fields[fields.count - 1].value = previous.isEmpty ? more : previous + " " + more
                }
                continue
            }
            fields.append(try Self.parseField(line))
        }
    }

    /// All values of the fields called `name`, compared ASCII case-insensitively.
    func values(_ name: String) -> [String] {
        let wanted = Self.lowercased(name)
        return fields.filter { Self.lowercased($0.name) == wanted }.map(\.value)
    }

    /// The comma-separated list elements of every field called `name`, lowercased, empties dropped
    /// (RFC 9110 §5.3: repeated fields combine into one list).
    func tokens(_ name: String) -> [String] {
        values(name).flatMap { $0.split(separator: ",") }
            .map { Self.lowercased(String($0).trimmingWhitespace()) }
            .filter { !$0.isEmpty }
    }

    // MARK: Body framing

    /// How a refusal's body ends (RFC 9112 §6.3), so we know when to stop waiting for it.
    enum BodyFraming: Equatable {
        case none
        case length(Int)
        case chunked
        case untilClose
    }

    var bodyFraming: BodyFraming {
        if (100..<200).contains(status) || status == 204 || status == 304 { return .none }
        let codings = tokens("Transfer-Encoding")
        if !codings.isEmpty { return codings.last == "chunked" ? .chunked : .untilClose }
        let lengths = values("Content-Length")
        if let first = lengths.first, lengths.allSatisfy({ $0 == first }),
           !first.isEmpty, first.utf8.count <= 18, first.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
           let n = Int(first) {
            return .length(n)
        }
        return .untilClose
    }

    /// Decodes the start of a chunked body (RFC 9112 §7.1) from `raw`, up to `limit` bytes.
    /// Returns the data so far and whether it is finished (the last chunk arrived or `limit` was
    /// reached), or nil when `raw` is not chunked framing at all. Chunk extensions and trailers
    /// are ignored.
    static func dechunk(_ raw: ArraySlice<UInt8>, limit: Int) -> (body: [UInt8], finished: Bool)? {
        var body: [UInt8] = []
        var i = raw.startIndex
        while true {
            guard let lf = raw[i...].firstIndex(of: UInt8(ascii: "\n")) else { return (body, false) }
            var sizeField = raw[i..<lf]
            if sizeField.last == UInt8(ascii: "\r") { sizeField = sizeField.dropLast() }
            if let semicolon = sizeField.firstIndex(of: UInt8(ascii: ";")) { sizeField = sizeField[..<semicolon] }
            let sizeText = text(trimmed(sizeField))
            // chunk-size is 1*HEXDIG: no sign, which `Int(_:radix:)` would take ("-5" is not a size).
            guard !sizeText.isEmpty, sizeText.utf8.count <= 15, sizeText.utf8.allSatisfy(\.isASCIIHexDigit),
                  let size = Int(sizeText, radix: 16) else { return nil }
            i = lf + 1
            if size == 0 { return (body, true) }
            let available = min(size, raw.endIndex - i)
            body.append(contentsOf: raw[i..<(i + min(available, limit - body.count))])
            if body.count >= limit { return (body, true) }
            if available < size { return (body, false) }
            i += size
            // The CRLF after the chunk data.
            if i < raw.endIndex, raw[i] == UInt8(ascii: "\r") { i += 1 }
            guard i < raw.endIndex else { return (body, false) }
            guard raw[i] == UInt8(ascii: "\n") else { return nil }
            i += 1
        }
    }

    // MARK: Pieces

    /// `HTTP/1.x SP 3DIGIT [SP reason-phrase]` (RFC 9112 §4). The reason phrase may be empty, and
    /// some servers omit the space before an empty one, so that is accepted too.
    private static func parseStatusLine(_ line: ArraySlice<UInt8>) throws(HandshakeError) -> (Int, Int) {
        let b = Array(line)
        func digit(_ i: Int) -> Int? {
            i < b.count && b[i] >= 0x30 && b[i] <= 0x39 ? Int(b[i] - 0x30) : nil
        }
        guard b.count >= 12, b.starts(with: "HTTP/1.".utf8), let minor = digit(7), b[8] == UInt8(ascii: " "),
              let s0 = digit(9), let s1 = digit(10), let s2 = digit(11),
              b.count == 12 || b[12] == UInt8(ascii: " ")
        else {
            throw .malformedResponse("not an HTTP/1.x status line: \(HandshakeError.visible(b.prefix(80)))")
        }
        try checkCharacters(line)
        return (minor, s0 * 100 + s1 * 10 + s2)
    }

    /// `field-name ":" OWS field-value OWS` (RFC 9112 §5.1). "No whitespace is allowed between the
    /// field name and colon", so a name with spaces is rejected rather than guessed at.
    private static func parseField(_ line: ArraySlice<UInt8>) throws(HandshakeError) -> (name: String, value: String) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw .malformedResponse("header line without a colon: \(HandshakeError.visible(line.prefix(80)))")
        }
        let name = line[..<colon]
        guard !name.isEmpty, name.allSatisfy(isTokenCharacter) else {
            throw .malformedResponse("bad header name: \(HandshakeError.visible(name.prefix(80)))")
        }
        let value = line[(colon + 1)...]
        try checkCharacters(value)
        return (text(name), text(trimmed(value)))
    }

    /// RFC 9110 §5.5: "a recipient of CR, LF, or NUL within a field value MUST either reject the
    /// message or replace each of those characters with SP". We reject.
    private static func checkCharacters(_ bytes: ArraySlice<UInt8>) throws(HandshakeError) {
        if bytes.contains(0) { throw .malformedResponse("NUL byte in the response head") }
        if bytes.contains(UInt8(ascii: "\r")) { throw .malformedResponse("bare CR in the response head") }
    }

    /// `tchar` from RFC 9110 §5.6.2.
    private static func isTokenCharacter(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(c)
        }
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let isSpace = { (c: UInt8) in c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }),
              let last = bytes.lastIndex(where: { !isSpace($0) }) else { return bytes[bytes.endIndex...] }
        return bytes[first...last]
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    static func lowercased(_ s: String) -> String {
        String(decoding: s.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (HTTP's OWS).
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
              let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        return String(scalars[first...last])
    }
}

extension UInt8 {
    /// `HEXDIG` from RFC 5234, either case: what a chunk size or a JSON `\u` escape is made of.
    var isASCIIHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self | 0x20)
    }
}
