import CLibs

/// Decodes Jetstream's compressed events: each binary message is exactly one zstd frame made with
/// the server's dictionary (RFC 8878 §3.1.1 frames, §5 dictionary format).
///
/// The dictionary is digested once (`ZSTD_createDDict`: entropy tables built, content copied) and one
/// decompression context is reused for every frame, so a frame costs no allocation and no table
/// building. Each frame is decoded in one pass straight into the caller's buffer with
/// `ZSTD_decompress_usingDDict`, whose every write is bounded by that buffer's capacity: a frame
/// that declares no content size, or a false one, cannot make it write past the buffer or allocate,
/// because this one-shot mode never uses the streaming window buffers whose size the frame header
/// chooses. Output that does not fit is a decompression bomb as far as this tool is concerned.
///
/// A frame names the dictionary it needs in its header (RFC 8878 §3.1.1.1.3, `Dictionary_ID`).
/// A frame that names another dictionary is refused before decoding. A frame that names none was
/// made without one and is decoded without one, as Jetstream's reference Go decoder does; feeding
/// it the dictionary would change its starting repeat offsets (a dictionary's offsets are used
/// "instead of using {1,4,8}", §5) and could corrupt the output.
///
/// Not thread-safe: the context holds per-frame state. Use one decoder per reading thread.
public final class ZstdDecoder {
    /// The `Dictionary_ID` of the loaded dictionary, which frames made with it carry.
    public let dictionaryID: UInt32
    private let context: OpaquePointer
    private let dictionary: OpaquePointer
    /// The decoder whose dictionary this one borrows, if any.
    private let owner: ZstdDecoder?

    /// The four bytes every zstd dictionary starts with (RFC 8878 §5: "Magic_Number : 4 bytes ID,
    /// value 0xEC30A437, little-endian format").
    public static let dictionaryMagic: UInt32 = 0xEC30_A437
    /// The four bytes every zstd data frame starts with (RFC 8878 §3.1.1: "4 Bytes, little-endian
    /// format. Value : 0xFD2FB528").
    static let frameMagic: UInt32 = 0xFD2F_B528

    /// Digests `dictionary`, which must be a zstd dictionary (starting with its magic number) and not
    /// raw content, and creates the reusable decompression context.
    public init(dictionary bytes: [UInt8]) throws(DecompressionError) {
        guard Self.littleEndianWord(bytes) == Self.dictionaryMagic else { throw .notADictionary }
        // RFC 8878 §5: "Dictionary_ID : 4 bytes, stored in little-endian format."
        let id = Self.littleEndianWord(bytes.dropFirst(4)) ?? 0
        guard let ddict = bytes.withUnsafeBytes({ ZSTD_createDDict($0.baseAddress, $0.count) }) else {
            throw .damagedDictionary
        }
        guard ZSTD_getDictID_fromDDict(ddict) == id else {
            ZSTD_freeDDict(ddict)
            throw .damagedDictionary
        }
        guard let dctx = ZSTD_createDCtx() else {
            ZSTD_freeDDict(ddict)
            throw .outOfMemory
        }
        dictionaryID = id
        dictionary = ddict
        context = dctx
        owner = nil
    }

    /// A second decoder, with its own context, for another thread: it shares `other`'s digested
    /// dictionary, which libzstd only reads while decoding, and keeps `other` alive.
    public init(sharingDictionaryOf other: ZstdDecoder) throws(DecompressionError) {
        guard let dctx = ZSTD_createDCtx() else { throw .outOfMemory }
        dictionaryID = other.dictionaryID
        dictionary = other.dictionary
        context = dctx
        owner = other
    }

    deinit {
        ZSTD_freeDCtx(context)
        if owner == nil { ZSTD_freeDDict(dictionary) }
    }

    /// Decompresses the single zstd frame `frame` into `output`, whose size is the largest output
    /// accepted, and returns how many bytes of `output` hold the result.
    ///
    /// Anything but exactly one complete data frame is refused: an empty message, a skippable frame,
    /// a truncated frame, or bytes after the frame's end (RFC 8878 §3.1: frames are self-contained,
    /// and a message is one event).
    public func decompress(_ frame: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(DecompressionError) -> Int {
        guard let source = frame.baseAddress, frame.count > 0 else { throw .corrupt(reason: "empty message") }
        guard Self.littleEndianWord(frame) == Self.frameMagic else {
            throw .corrupt(reason: "not a zstd frame (no magic number)")
        }
        // Walks the block headers only, to find where the frame ends without decoding it.
        let frameSize = ZSTD_findFrameCompressedSize(source, frame.count)
        if ZSTD_isError(frameSize) != 0 { throw Self.error(frameSize, cap: output.count, frameDictionary: 0, loaded: dictionaryID) }
        if frameSize < frame.count {
            throw .corrupt(reason: "\(frame.count - frameSize) bytes after the end of the zstd frame")
        }
        let wanted = Self.frameHeader(frame)?.dictionaryID ?? 0
        if wanted != 0, wanted != dictionaryID {
            throw .dictionaryMismatch(frame: wanted, loaded: dictionaryID)
        }
        // With a null DDict the context starts with no dictionary, as the frame was made.
        let written = ZSTD_decompress_usingDDict(
            context, output.baseAddress, output.count, source, frameSize, wanted == 0 ? nil : dictionary)
        if ZSTD_isError(written) != 0 { throw Self.error(written, cap: output.count, frameDictionary: wanted, loaded: dictionaryID) }
        return written
    }

    /// `decompress` into a buffer sized by the frame's own header (`declaredSize`): output that does
    /// not fit means the header lied, which is corruption, not an event over the size limit.
    public func decompress(_ frame: UnsafeRawBufferPointer, intoDeclared output: UnsafeMutableRawBufferPointer) throws(DecompressionError) -> Int {
        do {
            return try decompress(frame, into: output)
        } catch .tooLarge {
            throw .corrupt(reason: "the zstd frame holds more than the \(output.count) bytes its header declares")
        }
    }

    /// The decompressed size a frame declares in its header (Jetstream's encoder always writes it),
    /// or nil when it does not say or is not a frame. Only a hint for where to decompress:
    /// `decompress` still holds the frame to it.
    public static func declaredSize(_ frame: UnsafeRawBufferPointer) -> Int? {
        guard let size = frameHeader(frame)?.contentSize, size <= UInt64(Int.max) else { return nil }
        return Int(size)
    }

    /// The two fields of a frame header the tail reads.
    struct FrameHeader: Equatable {
        /// `Frame_Content_Size`, nil when the header leaves it out.
        var contentSize: UInt64?
        /// `Dictionary_ID`, 0 when the header names none.
        var dictionaryID: UInt32
    }

    /// Reads a zstd frame header as RFC 8878 §3.1.1.1 lays it out; nil when `frame` does not start
    /// with the frame magic number, sets the reserved bit or is shorter than its own header.
    /// libzstd parses the same header inside every call that takes a frame, so reading it here
    /// once, in a few instructions, replaces two of those calls per event. (Its other checks, of
    /// the window size for one, still come from `ZSTD_decompress_usingDDict`.)
    @inline(__always)
    static func frameHeader(_ frame: UnsafeRawBufferPointer) -> FrameHeader? {
        guard frame.count >= 5, littleEndianWord(frame) == frameMagic else { return nil }
        // Frame_Header_Descriptor: FCS_Field_Size flag (bits 7-6), Single_Segment_flag (5),
        // Reserved_bit (3), Dictionary_ID_flag (1-0).
        let descriptor = frame[4]
        guard descriptor & 0x08 == 0 else { return nil }
        let singleSegment = descriptor & 0x20 != 0
        let idFlag = Int(descriptor & 0x03), sizeFlag = Int(descriptor >> 6)
        let idBytes = idFlag == 3 ? 4 : idFlag                                  // 0, 1, 2, 4
        let sizeBytes = sizeFlag == 0 ? (singleSegment ? 1 : 0) : 1 << sizeFlag  // 0 or 1, 2, 4, 8
        // Window_Descriptor: one byte unless the frame is a single segment.
        let idAt = singleSegment ? 5 : 6
        guard frame.count >= idAt + idBytes + sizeBytes else { return nil }
        let id = UInt32(truncatingIfNeeded: littleEndian(frame, at: idAt, bytes: idBytes))
        guard sizeBytes > 0 else { return FrameHeader(contentSize: nil, dictionaryID: id) }
        // "When FCS_Field_Size is 2, the offset of 256 is added."
        let size = littleEndian(frame, at: idAt + idBytes, bytes: sizeBytes) &+ (sizeBytes == 2 ? 256 : 0)
        return FrameHeader(contentSize: size, dictionaryID: id)
    }

    /// The unsigned little-endian number in the `bytes` (0...8) bytes at `offset`: one load and a
    /// mask when eight bytes can be read there, byte by byte near the end of the frame.
    @inline(__always)
    private static func littleEndian(_ frame: UnsafeRawBufferPointer, at offset: Int, bytes: Int) -> UInt64 {
        if offset + 8 <= frame.count {
            let word = UInt64(littleEndian: frame.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            return bytes == 8 ? word : word & ((1 << UInt64(bytes * 8)) &- 1)
        }
        var value: UInt64 = 0
        for k in stride(from: bytes - 1, through: 0, by: -1) {
            value = value << 8 | UInt64(frame[offset + k])
        }
        return value
    }

    /// Maps a libzstd error code onto the rule it broke.
    private static func error(_ code: Int, cap: Int, frameDictionary: UInt32, loaded: UInt32) -> DecompressionError {
        switch ZSTD_getErrorCode(code) {
        case ZSTD_error_dstSize_tooSmall:
            return .tooLarge(limit: cap)
        case ZSTD_error_dictionary_wrong:
            return .dictionaryMismatch(frame: frameDictionary, loaded: loaded)
        case ZSTD_error_memory_allocation:
            return .outOfMemory
        case ZSTD_error_dictionary_corrupted where frameDictionary == 0:
            // Tables or history borrowed from a dictionary that the header does not name.
            return .corrupt(reason: "the frame uses a zstd dictionary but does not name it")
        case ZSTD_error_srcSize_wrong:
            return .corrupt(reason: "truncated zstd frame")
        default:
            return .corrupt(reason: String(cString: ZSTD_getErrorName(code)))
        }
    }

    /// The first four bytes as a little-endian number, or nil when there are fewer.
    private static func littleEndianWord(_ bytes: some Collection<UInt8>) -> UInt32? {
        var word: UInt32 = 0
        var shift: UInt32 = 0
        for b in bytes.prefix(4) {
            word |= UInt32(b) << shift
            shift += 8
        }
        return shift == 32 ? word : nil
    }

    private static func littleEndianWord(_ bytes: UnsafeRawBufferPointer) -> UInt32? {
        guard bytes.count >= 4 else { return nil }
        return UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self))
    }
}

@available(*, unavailable)
extension ZstdDecoder: Sendable {}

/// Why a compressed message or a dictionary could not be used. Each description is one line that
/// reads after "jetstream-tail: ".
public enum DecompressionError: Error, Equatable, CustomStringConvertible {
    /// A zstd dictionary starts with the magic number 0xEC30A437 (RFC 8878 §5); raw-content
    /// dictionaries are not what Jetstream uses.
    case notADictionary
    /// The dictionary has the magic number but libzstd cannot load its entropy tables.
    case damagedDictionary
    /// The frame decodes to more than the output buffer holds (`--max-message-size`): a message
    /// this large is refused whether it is honest or a decompression bomb.
    case tooLarge(limit: Int)
    /// The frame names a dictionary other than the loaded one.
    case dictionaryMismatch(frame: UInt32, loaded: UInt32)
    /// The bytes are not exactly one valid zstd frame.
    case corrupt(reason: String)
    /// libzstd could not allocate its context.
    case outOfMemory

    public var description: String {
        switch self {
        case .notADictionary:
            return "not a zstd dictionary (it does not start with the magic number 0xEC30A437)"
        case .damagedDictionary:
            return "the zstd dictionary is damaged: libzstd cannot load it"
        case let .tooLarge(limit):
            return "a compressed message decompresses to more than \(limit) bytes (--max-message-size)"
        case let .dictionaryMismatch(frame, loaded):
            return "this server's frames need dictionary \(frame), but the loaded one is \(loaded)"
        case let .corrupt(reason):
            return "corrupt compressed message: \(reason)"
        case .outOfMemory:
            return "out of memory for the zstd decompression context"
        }
    }
}
