/// Close status codes this client sends or names (RFC 6455 §7.4.1 and the IANA registry of §11.7).
public enum CloseCode {
    /// 1000: the purpose of the connection has been fulfilled.
    public static let normalClosure: UInt16 = 1000
    /// 1001: the endpoint is going away (our shutdown on SIGINT/SIGTERM).
    public static let goingAway: UInt16 = 1001
    /// 1002: the peer broke the protocol.
    public static let protocolError: UInt16 = 1002
    /// 1003: a data type the endpoint cannot accept.
    public static let unsupportedData: UInt16 = 1003
    /// 1007: data inconsistent with the message type, such as non-UTF-8 text.
    public static let invalidPayload: UInt16 = 1007
    /// 1008: a message violates the endpoint's policy.
    public static let policyViolation: UInt16 = 1008
    /// 1009: a message too big to process.
    public static let messageTooBig: UInt16 = 1009
    /// 1011: an unexpected condition on the endpoint.
    public static let internalError: UInt16 = 1011
}

/// The body of a Close frame: an optional 2-byte status code, then an optional UTF-8 reason.
///
/// RFC 6455 §5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned
/// integer (in network byte order) representing a status code with value /code/ defined in
/// Section 7.4. Following the 2-byte integer, the body MAY contain UTF-8-encoded data with value
/// /reason/". A control frame carries at most 125 bytes, which leaves 123 for the reason.
public enum CloseFrame {
    /// The longest reason that fits in a Close frame next to its status code.
    public static let maxReasonBytes = 123

    /// Whether a status code may appear in a Close frame on the wire, received or sent.
    ///
    /// Accepted: 1000–1003 and 1007–1011 (RFC 6455 §7.4.1), 1012–1014 (added to the IANA registry
    /// after the RFC: service restart, try again later, bad gateway), and 3000–4999 (§7.4.2: for
    /// libraries, frameworks and applications). Everything else is refused:
    /// - 0–999: §7.4.2 "Status codes in the range 0-999 are not used."
    /// - 1004: reserved, "The specific meaning might be defined in the future."
    /// - 1005, 1006, 1015: each "is a reserved value and MUST NOT be set as a status code in a Close
    ///   control frame by an endpoint."
    /// - 1016–2999: held for future revisions and extensions of the protocol; none is assigned, and
    ///   we negotiate no extension.
    /// - 5000 and up: §7.4.2 defines no range beyond 4999.
    /// Autobahn|Testsuite agrees: its case 7.7.x codes are all accepted, its 7.9.x codes all refused
    /// (its current list no longer counts 1012–1014 as invalid).
    public static func isValidCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }

    /// Reads a received Close frame body. Returns the status code (nil when the body is empty) and the
    /// reason, which points into `body`.
    public static func parse(_ body: UnsafeRawBufferPointer) throws(ProtocolError)
        -> (code: UInt16?, reason: UnsafeRawBufferPointer)
    {
        if body.isEmpty { return (nil, body) }
        // §5.5.1: a body, if present, starts with a 2-byte status code, so a 1-byte body is malformed.
        guard body.count >= 2 else { throw .invalidClosePayload }
        let code = UInt16(body[0]) << 8 | UInt16(body[1])
        // §7.4 limits the codes an endpoint may send; anything else is a protocol error (see isValidCode).
        guard isValidCode(code) else { throw .invalidCloseCode(code) }
        let reason = UnsafeRawBufferPointer(rebasing: body[2...])
        // §5.5.1: "the body MAY contain UTF-8-encoded data with value /reason/"; §8.1 obliges us to
        // fail the connection when data we must read as UTF-8 is not.
        guard UTF8Validator.isValid(reason) else { throw .invalidCloseReason }
        return (code, reason)
    }

    /// Builds a Close frame body: `code` in network byte order, then as much of `reason` as fits in
    /// 123 bytes, cut before a character that would not fit whole.
    public static func payload(code: UInt16, reason: String = "") -> [UInt8] {
        precondition(isValidCode(code), "status code \(code) may not be sent in a Close frame")
        let utf8 = Array(reason.utf8)
        let keep = truncatedCount(utf8, limit: maxReasonBytes)
        var body: [UInt8] = []
        body.reserveCapacity(2 + keep)
        body.append(UInt8(code >> 8))
        body.append(UInt8(code & 0xFF))
        body.append(contentsOf: utf8[..<keep])
        return body
    }

    /// A complete masked Close frame carrying `code` and `reason`, ready to send.
    public static func frame(code: UInt16, reason: String = "") -> [UInt8] {
        FrameEncoder.encode(opcode: .close, payload: payload(code: code, reason: reason))
    }

    /// The longest prefix of the valid UTF-8 `utf8` that is at most `limit` bytes and ends between
    /// characters: if the first byte left out is a continuation byte, back up to its lead byte.
    static func truncatedCount(_ utf8: [UInt8], limit: Int) -> Int {
        guard utf8.count > limit else { return utf8.count }
        var cut = limit
        while cut > 0, utf8[cut] & 0xC0 == 0x80 { cut -= 1 }
        return cut
    }
}
