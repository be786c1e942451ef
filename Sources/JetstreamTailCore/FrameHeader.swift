/// The fixed part of every WebSocket frame, as laid out by RFC 6455 §5.2:
///
///      0                   1                   2                   3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-------+-+-------------+-------------------------------+
///     |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
///     |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
///     |N|V|V|V|       |S|             |   (if payload len==126/127)   |
///     | |1|2|3|       |K|             |                               |
///     +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
///     |     Extended payload length continued, if payload len == 127  |
///     + - - - - - - - - - - - - - - - +-------------------------------+
///     |                               |Masking-key, if MASK set to 1  |
///     +-------------------------------+-------------------------------+
///     | Masking-key (continued)       |          Payload Data         |
///     +-------------------------------- - - - - - - - - - - - - - - - +
///     :                     Payload Data continued ...                :
///     + - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - +
///     |                     Payload Data continued ...                |
///     +---------------------------------------------------------------+
///
/// So a header is 2 bytes, plus 2 or 8 bytes when the 7-bit length is 126 or 127, plus 4 bytes of
/// masking key when MASK is set: between 2 and 14 bytes. Multi-byte lengths are big-endian.
///
/// The struct records what the bytes say, including values that break the rules, so that parsing
/// stays a pure reading of the wire and `checkServerFrameRules` can name the rule that was broken.
/// Lengths are accepted in any of the three forms even when a shorter one would do: RFC 6455 asks the
/// sender for the minimal form but gives the receiver no duty to check it, and browsers do not.
public struct FrameHeader: Equatable, Sendable {
    /// FIN: this frame is the last (or only) fragment of its message.
    public var fin: Bool
    /// RSV1, RSV2 and RSV3 as the low three bits (RSV1 = 0b100).
    public var reservedBits: UInt8
    /// The opcode exactly as sent, which may be one RFC 6455 does not define.
    public var opcodeValue: UInt8
    /// The four masking-key bytes in wire order, or nil when MASK is clear.
    public var maskingKey: (UInt8, UInt8, UInt8, UInt8)?
    /// The declared payload length, as sent (its top bit may be set; see `lengthHighBitSet`).
    public var payloadLength: UInt64
    /// How many bytes the header occupies on the wire (2...14).
    public var headerLength: Int

    public init(fin: Bool, reservedBits: UInt8 = 0, opcodeValue: UInt8, maskingKey: (UInt8, UInt8, UInt8, UInt8)? = nil,
                payloadLength: UInt64, headerLength: Int) {
        self.fin = fin
        self.reservedBits = reservedBits
        self.opcodeValue = opcodeValue
        self.maskingKey = maskingKey
        self.payloadLength = payloadLength
        self.headerLength = headerLength
    }

    /// The opcode, or nil for a value RFC 6455 reserves.
    public var opcode: Opcode? { Opcode(rawValue: opcodeValue) }

    public var isMasked: Bool { maskingKey != nil }

    public static func == (a: FrameHeader, b: FrameHeader) -> Bool {
        a.fin == b.fin && a.reservedBits == b.reservedBits && a.opcodeValue == b.opcodeValue
            && a.maskingKey.map { [$0.0, $0.1, $0.2, $0.3] } == b.maskingKey.map { [$0.0, $0.1, $0.2, $0.3] }
            && a.payloadLength == b.payloadLength && a.headerLength == b.headerLength
    }

    /// The outcome of reading a header from the front of a byte range.
    public enum ParseResult: Equatable, Sendable {
        /// The whole header was there.
        case complete(FrameHeader)
        /// The header is longer than the bytes available; `needed` is the header length known so far
        /// (2 until the second byte is seen, then the exact length).
        case incomplete(needed: Int)
    }

    /// Reads the header at the start of `bytes` without checking any rule.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> ParseResult {
        guard bytes.count >= 2 else { return .incomplete(needed: 2) }
        let b0 = bytes[0]
        let b1 = bytes[1]
        let lengthCode = b1 & 0x7F
        let extendedCount = lengthCode == 126 ? 2 : (lengthCode == 127 ? 8 : 0)
        let masked = b1 & 0x80 != 0
        let headerLength = 2 + extendedCount + (masked ? 4 : 0)
        guard bytes.count >= headerLength else { return .incomplete(needed: headerLength) }

        var length = UInt64(lengthCode)
        if extendedCount > 0 {
            length = 0
            for i in 2..<(2 + extendedCount) { length = length << 8 | UInt64(bytes[i]) }
        }
        var key: (UInt8, UInt8, UInt8, UInt8)?
        if masked {
            let k = 2 + extendedCount
            key = (bytes[k], bytes[k + 1], bytes[k + 2], bytes[k + 3])
        }
        return .complete(FrameHeader(
            fin: b0 & 0x80 != 0, reservedBits: (b0 >> 4) & 0x7, opcodeValue: b0 & 0x0F,
            maskingKey: key, payloadLength: length, headerLength: headerLength))
    }

    /// Checks the rules that concern one frame from a server on its own, before any of its payload is
    /// looked at. Rules that depend on earlier frames (continuations, message size) live in
    /// `MessageReader`.
    public func checkServerFrameRules() throws(ProtocolError) {
        // §5.2: "RSV1, RSV2, RSV3: 1 bit each. MUST be 0 unless an extension is negotiated that defines
        // meanings for non-zero values." This client never negotiates an extension.
        guard reservedBits == 0 else { throw .reservedBitsSet(reservedBits) }

        // §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket
        // Connection_."
        guard let opcode else { throw .unknownOpcode(opcodeValue) }

        // §5.1: "A client MUST close a connection if it detects a masked frame."
        guard maskingKey == nil else { throw .maskedServerFrame }

        if opcode.isControl {
            // §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be
            // fragmented."
            guard fin else { throw .fragmentedControlFrame }
            guard payloadLength <= 125 else { throw .controlFrameTooLong(payloadLength) }
        }

        // §5.2: "If 127, the following 8 bytes interpreted as a 64-bit unsigned integer (the most
        // significant bit MUST be 0) are the payload length."
        guard payloadLength >> 63 == 0 else { throw .lengthHighBitSet }
    }
}
