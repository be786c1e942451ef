#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One thing the server said: a complete data message or a control frame.
///
/// The buffers point into the `ReadBuffer` or into the reader's assembly storage and are valid only
/// until the next call to `MessageReader.next` or the next change to the buffer; copy what must last.
public enum WebSocketEvent {
    /// A complete text message, already checked to be valid UTF-8.
    case text(UnsafeRawBufferPointer)
    /// A complete binary message.
    case binary(UnsafeRawBufferPointer)
    /// A ping; RFC 6455 §5.5.2 asks us to answer with a pong carrying the same payload.
    case ping(UnsafeRawBufferPointer)
    /// A pong, solicited or not (§5.5.3: an unsolicited one needs no answer).
    case pong(UnsafeRawBufferPointer)
    /// The server's Close frame: its status code (nil when the body was empty; otherwise valid per
    /// `CloseFrame.isValidCode`) and its reason (valid UTF-8, possibly empty).
    case close(code: UInt16?, reason: UnsafeRawBufferPointer)
}

/// Turns the bytes a server sends into `WebSocketEvent`s, enforcing every framing rule a client must.
///
/// Frames are parsed where they lie in the `ReadBuffer`. An unfragmented message, the normal case,
/// is returned as a pointer into that buffer, with no copy and no allocation. Only a message split
/// into fragments is copied, fragment by fragment, into storage the reader owns, which it keeps for
/// the next fragmented message unless it grew large.
///
/// Size limits are checked from the header, before the payload arrives: a frame that declares more
/// than `maxMessageSize` bytes, or that would push a fragmented message past it, fails with
/// `messageTooBig` (close code 1009) at once, so a hostile length never causes an allocation.
///
/// Text is validated as it arrives, even within a frame still being received, so invalid UTF-8 fails
/// the connection at the first byte that makes it invalid, not at the end of the message.
///
/// Fragments of length zero are accepted (RFC 6455 allows them and says nothing against them), as are
/// extended lengths that a shorter form could have carried.
///
/// Once `next` has thrown, the connection must be failed with the error's `closeCode`; call `reset`
/// before using the reader on a new connection.
///
/// Not thread-safe: it belongs to the reading thread.
public final class MessageReader {
    /// The largest message, fragmented or not, that will be accepted.
    public let maxMessageSize: Int

    /// How many contiguous bytes from `buffer.start` the frame in progress needs (header plus
    /// payload, as far as the header is known), so the caller can
    /// `prepareForRead(contiguous: contiguousBytesWanted, minimumFree:)` before the next read.
    /// Meaningful after `next` returned nil; never more than the header plus `maxMessageSize`.
    public private(set) var contiguousBytesWanted = 2

    /// The validated header of the frame at `buffer.start` whose payload has not fully arrived.
    private var pending: FrameHeader?
    /// How many payload bytes of the pending frame have already been fed to `utf8`.
    private var payloadValidated = 0
    /// Text or binary while a fragmented message is open, nil otherwise.
    private var messageOpcode: Opcode?
    /// UTF-8 state for the text message in progress, fragmented or not.
    private var utf8 = UTF8Validator()
    /// Fragments of the open message, joined.
    private var assembly: UnsafeMutableRawPointer?
    private var assemblyCount = 0
    private(set) var assemblyCapacity = 0
    /// The last event pointed into `assembly`; empty it on the next call.
    private var assemblyHandedOut = false

    /// Assembly storage above this size is released once its message has been delivered, so one
    /// large message does not pin memory for the life of the connection.
    static let retainedAssemblyCapacity = 1 << 20

    public init(maxMessageSize: Int) {
        precondition(maxMessageSize >= 0)
        self.maxMessageSize = maxMessageSize
    }

    deinit { free(assembly) }

    /// Forgets any frame or message in progress, for a new connection. Keeps small assembly storage.
    public func reset() {
        pending = nil
        payloadValidated = 0
        messageOpcode = nil
        utf8 = UTF8Validator()
        assemblyCount = 0
        assemblyHandedOut = false
        releaseLargeAssembly()
        contiguousBytesWanted = 2
    }

    /// Parses the next event from `buffer.readable`, consuming its bytes. Returns nil when more bytes
    /// are needed (see `contiguousBytesWanted`). Payload pointers point into `buffer` (unfragmented
    /// messages, no copy) or into the reader's own storage (fragmented messages), and stay valid until
    /// the next call to `next` or the next mutation of `buffer` (prepareForRead/append/commit).
    public func next(from buffer: ReadBuffer) throws(ProtocolError) -> WebSocketEvent? {
        if assemblyHandedOut {
            assemblyHandedOut = false
            assemblyCount = 0
            releaseLargeAssembly()
        } else if pending == nil, messageOpcode == nil, let event = try nextWholeMessage(from: buffer) {
            return event
        }
        while true {
            let bytes = buffer.readable
            let header: FrameHeader
            if let pending {
                header = pending
            } else {
                switch FrameHeader.parse(bytes) {
                case let .incomplete(needed):
                    contiguousBytesWanted = needed
                    return nil
                case let .complete(parsed):
                    try parsed.checkServerFrameRules()
                    try checkMessageRules(parsed)
                    header = parsed
                    pending = parsed
                    payloadValidated = 0
                    if parsed.opcodeValue == Opcode.text.rawValue { utf8 = UTF8Validator() }
                }
            }

            // Both conversions are safe: checkMessageRules capped the length at maxMessageSize (data)
            // or checkServerFrameRules at 125 (control).
            let payloadLength = Int(header.payloadLength)
            let frameLength = header.headerLength + payloadLength
            let isText = header.opcodeValue == Opcode.text.rawValue
                || (header.opcodeValue == Opcode.continuation.rawValue && messageOpcode == .text)

            if isText {
                // Validate whatever part of the payload is here, so bad text fails before the rest
                // arrives.
                let available = min(bytes.count, frameLength) - header.headerLength
                if available > payloadValidated {
                    let chunk = UnsafeRawBufferPointer(
                        rebasing: bytes[(header.headerLength + payloadValidated)..<(header.headerLength + available)])
                    // §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the
                    // byte stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the
                    // WebSocket Connection_."
                    guard utf8.feed(chunk) else { throw .invalidUTF8 }
                    payloadValidated = available
                }
            }

            guard bytes.count >= frameLength else {
                contiguousBytesWanted = frameLength
                return nil
            }
            let payload = UnsafeRawBufferPointer(rebasing: bytes[header.headerLength..<frameLength])
            // The bytes stay in memory after consume; only the next write into the buffer reuses them.
            buffer.consume(frameLength)
            pending = nil
            payloadValidated = 0
            contiguousBytesWanted = 2

            switch header.opcode! {
            case .ping:
                return .ping(payload)
            case .pong:
                return .pong(payload)
            case .close:
                let (code, reason) = try CloseFrame.parse(payload)
                return .close(code: code, reason: reason)
            case .text, .binary:
                if header.fin {
                    // §5.6: "the whole message MUST contain valid UTF-8", so it may not stop inside a
                    // character.
                    if isText, !utf8.isAtBoundary { throw .invalidUTF8 }
                    return isText ? .text(payload) : .binary(payload)
                }
                messageOpcode = header.opcode
                appendToAssembly(payload)
            case .continuation:
                appendToAssembly(payload)
                if header.fin {
                    if isText, !utf8.isAtBoundary { throw .invalidUTF8 }
                    messageOpcode = nil
                    assemblyHandedOut = true
                    let message = UnsafeRawBufferPointer(start: assembly, count: assemblyCount)
                    return isText ? .text(message) : .binary(message)
                }
            }
            // A non-final fragment was stored; go on with the next frame.
        }
    }

    /// The next message when it is one whole frame of the common kind already in `buffer` (see
    /// `nextWholeMessage`), for a caller taking everything buffered in one go; nil, consuming
    /// nothing, when `next` has to take what comes. Its payload stays valid as `next`'s would, so
    /// several in a row stay valid together until `buffer` is next written.
    @inline(__always)
    func nextWhole(from buffer: ReadBuffer) throws(ProtocolError) -> WebSocketEvent? {
        guard !assemblyHandedOut, pending == nil, messageOpcode == nil else { return nil }
        return try nextWholeMessage(from: buffer)
    }

    /// The common case, read without building a `FrameHeader`: an unfragmented, unmasked text or
    /// binary message with a 7- or 16-bit length, wholly in `buffer`, within the size limit, and
    /// no fragmented message open. It passes every rule `next` checks, and its text is validated
    /// whole instead of as it arrives. Nil, consuming nothing, for anything else: `next` then
    /// takes it the general way, reporting what is wrong with it.
    @inline(__always)
    private func nextWholeMessage(from buffer: ReadBuffer) throws(ProtocolError) -> WebSocketEvent? {
        let bytes = buffer.readable
        guard bytes.count >= 2 else { return nil }
        // 0x81 / 0x82: FIN, no reserved bits, opcode 1 (text) or 2 (binary); the mask bit is clear.
        let b0 = bytes[0], b1 = bytes[1]
        guard b0 == 0x81 || b0 == 0x82, b1 < 127 else { return nil }
        var length = Int(b1)
        var header = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            header = 4
        }
        guard length <= maxMessageSize, bytes.count - header >= length else { return nil }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[header..<(header + length)])
        if b0 == 0x81 {
            // §8.1 and §5.6: the whole message must be valid UTF-8.
            guard UTF8Validator.isValid(payload) else { throw .invalidUTF8 }
        }
        buffer.consume(header + length)
        contiguousBytesWanted = 2
        return b0 == 0x81 ? .text(payload) : .binary(payload)
    }

    /// Rules that depend on the frames before this one: fragment order and the size limit.
    private func checkMessageRules(_ header: FrameHeader) throws(ProtocolError) {
        switch header.opcode {
        case .continuation?:
            // §5.4: a fragmented message is "a single frame with the FIN bit clear and an opcode other
            // than 0, followed by zero or more frames with the FIN bit clear and the opcode set to 0,
            // and terminated by a single frame with the FIN bit set and an opcode of 0"; a continuation
            // outside such a message is malformed.
            guard messageOpcode != nil else { throw .unexpectedContinuation }
            let room = UInt64(maxMessageSize - assemblyCount)
            guard header.payloadLength <= room else {
                throw .messageTooBig(size: UInt64(assemblyCount) + header.payloadLength, limit: maxMessageSize)
            }
        case .text?, .binary?:
            // §5.4: "The fragments of one message MUST NOT be interleaved between the fragments of
            // another message unless an extension has been negotiated that can interpret the
            // interleaving."
            guard messageOpcode == nil else { throw .expectedContinuation }
            // §10.4: "implementations SHOULD impose a limit on frame sizes and the total message size
            // after reassembly from multiple frames"; 1009 is the code for a message too big (§7.4.1).
            guard header.payloadLength <= UInt64(maxMessageSize) else {
                throw .messageTooBig(size: header.payloadLength, limit: maxMessageSize)
            }
        default:
            // §5.4: "Control frames (see Section 5.5) MAY be injected in the middle of a fragmented
            // message." Their own limits were checked with the frame.
            break
        }
    }

    /// Copies one fragment's payload after the previous ones. The size was checked against
    /// `maxMessageSize` from the header, so growth is bounded by it.
    private func appendToAssembly(_ payload: UnsafeRawBufferPointer) {
        guard !payload.isEmpty else { return }
        let needed = assemblyCount + payload.count
        if needed > assemblyCapacity {
            var capacity = max(assemblyCapacity, 4096)
            while capacity < needed { capacity = capacity > maxMessageSize / 2 ? needed : capacity * 2 }
            capacity = min(max(capacity, needed), max(maxMessageSize, needed))
            guard let grown = realloc(assembly, capacity) else {
                fatalError("out of memory assembling a \(needed)-byte message")
            }
            assembly = grown
            assemblyCapacity = capacity
        }
        (assembly! + assemblyCount).copyMemory(from: payload.baseAddress!, byteCount: payload.count)
        assemblyCount = needed
    }

    private func releaseLargeAssembly() {
        guard assemblyCapacity > Self.retainedAssemblyCapacity else { return }
        free(assembly)
        assembly = nil
        assemblyCapacity = 0
    }
}

@available(*, unavailable)
extension MessageReader: Sendable {}
