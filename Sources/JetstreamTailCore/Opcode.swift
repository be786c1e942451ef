/// The 4-bit opcode of a WebSocket frame (RFC 6455 §5.2, registry in §11.8).
///
/// Only the six opcodes RFC 6455 defines exist here. Any other value on the wire (3–7 and 0xB–0xF)
/// has no case, so `Opcode(rawValue:)` returns nil and the reader fails the connection with
/// `ProtocolError.unknownOpcode`.
public enum Opcode: UInt8, Sendable {
    case continuation = 0x0
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA

    /// Control frames (close, ping, pong) are the opcodes whose most significant bit is set
    /// (RFC 6455 §5.5); they are capped at 125 bytes and never fragmented.
    public var isControl: Bool { rawValue & 0x8 != 0 }
}
