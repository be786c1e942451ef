/// A rule of RFC 6455 that the server broke, which obliges us to fail the connection.
///
/// Each case carries, through `closeCode`, the status code to put in our Close frame before dropping
/// the connection (RFC 6455 §7.4.1). For the tail loop every case means: close, then reconnect.
public enum ProtocolError: Error, Equatable, CustomStringConvertible {
    /// RSV1–RSV3 were not all zero though no extension was negotiated (§5.2). Carries the three bits.
    case reservedBitsSet(UInt8)
    /// The opcode is one RFC 6455 reserves (3–7, 0xB–0xF) (§5.2).
    case unknownOpcode(UInt8)
    /// The server masked a frame; only clients mask (§5.1).
    case maskedServerFrame
    /// A close, ping or pong frame had FIN clear (§5.5).
    case fragmentedControlFrame
    /// A close, ping or pong frame declared more than 125 bytes of payload (§5.5).
    case controlFrameTooLong(UInt64)
    /// The 64-bit payload length had its most significant bit set (§5.2).
    case lengthHighBitSet
    /// A continuation frame arrived with no fragmented message to continue (§5.4).
    case unexpectedContinuation
    /// A new text or binary frame arrived while a fragmented message was still open (§5.4).
    case expectedContinuation
    /// A frame, or the fragments of one message added up, exceeded our message size limit (§7.4.1, 1009).
    case messageTooBig(size: UInt64, limit: Int)
    /// A text message is not valid UTF-8 (§5.6, §8.1).
    case invalidUTF8
    /// A close frame had a 1-byte body, too short for a status code (§5.5.1).
    case invalidClosePayload
    /// A close frame carried a status code that may not appear on the wire (§7.4).
    case invalidCloseCode(UInt16)
    /// A close frame's reason is not valid UTF-8 (§5.5.1).
    case invalidCloseReason

    /// The status code for our Close frame: 1002 protocol error, 1007 invalid data, 1009 too big.
    public var closeCode: UInt16 {
        switch self {
        case .invalidUTF8, .invalidCloseReason: return CloseCode.invalidPayload
        case .messageTooBig: return CloseCode.messageTooBig
        case .reservedBitsSet, .unknownOpcode, .maskedServerFrame, .fragmentedControlFrame,
             .controlFrameTooLong, .lengthHighBitSet, .unexpectedContinuation, .expectedContinuation,
             .invalidClosePayload, .invalidCloseCode:
            return CloseCode.protocolError
        }
    }

    public var description: String {
        switch self {
        case let .reservedBitsSet(bits): return "frame has reserved bits set (RSV=\(bits)) without an extension"
        case let .unknownOpcode(op): return "frame has unknown opcode \(op)"
        case .maskedServerFrame: return "server sent a masked frame"
        case .fragmentedControlFrame: return "control frame is fragmented"
        case let .controlFrameTooLong(n): return "control frame payload is \(n) bytes, more than 125"
        case .lengthHighBitSet: return "64-bit payload length has its most significant bit set"
        case .unexpectedContinuation: return "continuation frame without a message in progress"
        case .expectedContinuation: return "new data frame while a fragmented message is in progress"
        case let .messageTooBig(size, limit): return "message of \(size) bytes exceeds the limit of \(limit)"
        case .invalidUTF8: return "text message is not valid UTF-8"
        case .invalidClosePayload: return "close frame body is 1 byte, too short for a status code"
        case let .invalidCloseCode(code): return "close frame has invalid status code \(code)"
        case .invalidCloseReason: return "close frame reason is not valid UTF-8"
        }
    }
}
