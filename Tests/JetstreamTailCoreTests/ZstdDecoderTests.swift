import CLibs
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Testing
@testable import JetstreamTailCore

/// Jetstream's dictionary, read from the shared data directory (it is not part of the repository).
private func realDictionary() throws -> [UInt8] { try TestData.shared("zstd_dictionary") }

/// The real dictionary with another `Dictionary_ID` (bytes 4–7): a valid dictionary that is not the
/// server's, as a user might pass by mistake.
private func dictionary(_ base: [UInt8], withID id: UInt32) -> [UInt8] {
    var copy = base
    for i in 0..<4 { copy[4 + i] = UInt8(truncatingIfNeeded: id >> (8 * UInt32(i))) }
    return copy
}

/// How a test frame is made (here and in ParallelInflaterTests). The tool only decompresses; the
/// tests make their frames with libzstd's compressor so that no binary fixtures are needed.
struct FrameOptions {
    var dictionary: [UInt8]? = nil
    var contentSize = true
    var checksum = false
    var dictionaryID = true
}

func compress(_ input: [UInt8], _ options: FrameOptions = FrameOptions()) throws -> [UInt8] {
    let cctx = try #require(ZSTD_createCCtx())
    defer { ZSTD_freeCCtx(cctx) }
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3)
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, options.contentSize ? 1 : 0)
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, options.checksum ? 1 : 0)
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_dictIDFlag, options.dictionaryID ? 1 : 0)
    if let d = options.dictionary {
        let rc = d.withUnsafeBytes { ZSTD_CCtx_loadDictionary(cctx, $0.baseAddress, $0.count) }
        try #require(ZSTD_isError(rc) == 0)
    }
    var out = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
    let n = out.withUnsafeMutableBytes { o in
        input.withUnsafeBytes { i in ZSTD_compress2(cctx, o.baseAddress, o.count, i.baseAddress, i.count) }
    }
    try #require(ZSTD_isError(n) == 0)
    return Array(out[..<n])
}

/// A decoding buffer of `cap` bytes followed by guard bytes that must never change.
private final class Output {
    let cap: Int
    let memory: UnsafeMutableRawBufferPointer
    static let guardSize = 64
    init(cap: Int) {
        self.cap = cap
        memory = .allocate(byteCount: cap + Self.guardSize, alignment: 16)
        memory.initializeMemory(as: UInt8.self, repeating: 0xA5)
    }
    deinit { memory.deallocate() }
    var buffer: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(rebasing: memory[..<cap]) }
    var guardIntact: Bool { memory[cap...].allSatisfy { $0 == 0xA5 } }
    func bytes(_ n: Int) -> [UInt8] { Array(memory[..<n]) }
}

private func decode(_ decoder: ZstdDecoder, _ frame: [UInt8], cap: Int = 1 << 16) throws -> [UInt8] {
    let out = Output(cap: cap)
    defer { precondition(out.guardIntact, "wrote past the output buffer") }
    let n = try frame.withUnsafeBytes { try decoder.decompress($0, into: out.buffer) }
    return out.bytes(n)
}

private func decodeError(_ decoder: ZstdDecoder, _ frame: [UInt8], cap: Int = 1 << 16) -> DecompressionError? {
    do { _ = try decode(decoder, frame, cap: cap); return nil } catch { return error as? DecompressionError }
}

private func isCorrupt(_ e: DecompressionError?) -> Bool {
    if case .corrupt = e { return true }
    return false
}

@Suite struct ZstdDecoderTests {
    @Test func readsTheDictionaryID() throws {
        #expect(try ZstdDecoder(dictionary: try realDictionary()).dictionaryID == 1_612_007_021)
    }

    @Test func roundTripsTheSampleEventsWithOneDecoder() throws {
        let dict = try realDictionary()
        let decoder = try ZstdDecoder(dictionary: dict)
        let events = try TestData.sharedLines("sample-events.jsonl")
        #expect(events.count == 6)
        for event in events {
            for checksum in [false, true] {
                let frame = try compress(event, FrameOptions(dictionary: dict, checksum: checksum))
                #expect(ZSTD_getDictID_fromFrame(frame, frame.count) == 1_612_007_021)
                #expect(try decode(decoder, frame) == event)
            }
        }
    }

    @Test func theDictionaryMakesEventsSmaller() throws {
        let dict = try realDictionary()
        let event = try #require(try TestData.sharedLines("sample-events.jsonl").first)
        let withDictionary = try compress(event, FrameOptions(dictionary: dict))
        #expect(withDictionary.count < (try compress(event)).count)
    }

    @Test func anOutputOfExactlyTheCapFits() throws {
        let decoder = try ZstdDecoder(dictionary: try realDictionary())
        let input = [UInt8](repeating: UInt8(ascii: "x"), count: 4096)
        for contentSize in [true, false] {
            let frame = try compress(input, FrameOptions(contentSize: contentSize))
            #expect(try decode(decoder, frame, cap: 4096) == input)
            #expect(decodeError(decoder, frame, cap: 4095) == .tooLarge(limit: 4095))
        }
    }

    /// A few dozen bytes that expand to 64 MiB, with and without the size in the frame header.
    @Test func aBombIsRefusedWithoutWritingPastTheBuffer() throws {
        let dict = try realDictionary()
        let decoder = try ZstdDecoder(dictionary: dict)
        let huge = [UInt8](repeating: 0, count: 64 << 20)
        for contentSize in [true, false] {
            for dictionary in [nil, dict] {
                let frame = try compress(huge, FrameOptions(dictionary: dictionary, contentSize: contentSize))
                #expect(frame.count < 4096)
                #expect(decodeError(decoder, frame, cap: 1 << 16) == .tooLarge(limit: 1 << 16))
            }
        }
    }

    /// A header that claims 100 bytes for a frame that holds 1 MiB.
    @Test func aFalseContentSizeIsCaught() throws {
        let decoder = try ZstdDecoder(dictionary: try realDictionary())
        var frame = try compress([UInt8](repeating: 7, count: 1 << 20))
        // RFC 8878 §3.1.1.1.1: Frame_Header_Descriptor bits 7–6 give the Frame_Content_Size field
        // size, bit 5 Single_Segment_flag, bits 1–0 the Dictionary_ID field size.
        let descriptor = frame[4]
        #expect(descriptor >> 6 == 2, "a 4-byte content size field")
        let singleSegment = (descriptor >> 5) & 1 == 1
        let offset = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][Int(descriptor & 3)]
        frame.replaceSubrange(offset..<offset + 4, with: [100, 0, 0, 0])
        for cap in [100, 1 << 16, 2 << 20] {
            let e = decodeError(decoder, frame, cap: cap)
            #expect(e == .tooLarge(limit: cap) || isCorrupt(e), "\(String(describing: e))")
        }
    }

    @Test func aFrameMadeWithAnotherDictionaryNamesBoth() throws {
        let dict = try realDictionary()
        let other = dictionary(dict, withID: 42)
        let frame = try compress(Array("{\"kind\":\"commit\"}".utf8), FrameOptions(dictionary: other))
        #expect(decodeError(try ZstdDecoder(dictionary: dict), frame) == .dictionaryMismatch(frame: 42, loaded: 1_612_007_021))

        let otherDecoder = try ZstdDecoder(dictionary: other)
        #expect(otherDecoder.dictionaryID == 42)
        let serverFrame = try compress(Array("{}".utf8), FrameOptions(dictionary: dict))
        let e = decodeError(otherDecoder, serverFrame)
        #expect(e == .dictionaryMismatch(frame: 1_612_007_021, loaded: 42))
        #expect(e?.description == "this server's frames need dictionary 1612007021, but the loaded one is 42")
    }

    /// A frame that names no dictionary was made without one, and decodes without one.
    @Test func aFrameWithoutADictionaryDecodes() throws {
        let decoder = try ZstdDecoder(dictionary: try realDictionary())
        let text = Array("{\"did\":\"did:plc:a\",\"kind\":\"identity\"} aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".utf8)
        let frame = try compress(text)
        #expect(ZSTD_getDictID_fromFrame(frame, frame.count) == 0)
        #expect(try decode(decoder, frame) == text)
    }

    /// A frame made with the dictionary whose header leaves out the ID cannot be decoded without
    /// it; it must fail rather than produce other bytes.
    @Test func aFrameThatHidesItsDictionaryIsNotMisread() throws {
        let dict = try realDictionary()
        let decoder = try ZstdDecoder(dictionary: dict)
        let events = try TestData.sharedLines("sample-events.jsonl")
        for event in events {
            let frame = try compress(event, FrameOptions(dictionary: dict, checksum: true, dictionaryID: false))
            #expect(ZSTD_getDictID_fromFrame(frame, frame.count) == 0)
            #expect(isCorrupt(decodeError(decoder, frame)))
        }
    }

    @Test func trailingBytesAreRefused() throws {
        let decoder = try ZstdDecoder(dictionary: try realDictionary())
        let frame = try compress(Array("{}".utf8))
        #expect(decodeError(decoder, frame + [0]) == .corrupt(reason: "1 bytes after the end of the zstd frame"))
        #expect(decodeError(decoder, frame + frame) == .corrupt(reason: "\(frame.count) bytes after the end of the zstd frame"))
    }

    /// The header is read in Swift; libzstd's own reading of it is the reference. Every descriptor
    /// byte, with the fields after it holding distinct bytes, and every header cut short.
    @Test func theFrameHeaderReadsAsLibzstdReadsIt() {
        // The fields after the descriptor: a small window (so libzstd accepts it), then bytes that
        // differ from each other, so a misplaced or mis-ordered field shows.
        let fields: [UInt8] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0x0D]
        var compared = 0
        for descriptor in 0...255 {
            let frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, UInt8(descriptor)] + fields
            for length in 0...frame.count {
                frame[..<length].withUnsafeBytes { bytes in
                    let ours = ZstdDecoder.frameHeader(bytes)
                    let size = ZSTD_getFrameContentSize(bytes.baseAddress, bytes.count)
                    if size == UInt64.max - 1 {  // ZSTD_CONTENTSIZE_ERROR: an incomplete or unusable header
                        #expect(ours == nil, "descriptor \(descriptor), \(length) bytes")
                        return
                    }
                    compared += 1
                    #expect(ours?.contentSize == (size == UInt64.max ? nil : size), "descriptor \(descriptor), \(length) bytes")
                    #expect(ours?.dictionaryID == ZSTD_getDictID_fromFrame(bytes.baseAddress, bytes.count),
                            "descriptor \(descriptor), \(length) bytes")
                }
            }
        }
        // Every descriptor without the reserved bit parses once its header is whole.
        #expect(compared >= 128)
    }

    @Test func theDeclaredSizeIsTheHeaders() throws {
        let event = Array(#"{"did":"did:plc:x","time_us":1,"kind":"identity"}"#.utf8)
        try compress(event).withUnsafeBytes { #expect(ZstdDecoder.declaredSize($0) == event.count) }
        // A skippable frame and a header cut short declare nothing.
        [0x50, 0x2A, 0x4D, 0x18, 0, 0, 0, 0].withUnsafeBytes { #expect(ZstdDecoder.declaredSize($0) == nil) }
        [0x28, 0xB5, 0x2F, 0xFD, 0xC0, 1, 2].withUnsafeBytes { #expect(ZstdDecoder.declaredSize($0) == nil) }
        // Eight bytes of size that do not fit an Int.
        ([0x28, 0xB5, 0x2F, 0xFD, 0xE0] + [UInt8](repeating: 0xFF, count: 8)).withUnsafeBytes {
            #expect(ZstdDecoder.frameHeader($0)?.contentSize == UInt64.max)
            #expect(ZstdDecoder.declaredSize($0) == nil)
        }
    }

    @Test func emptyAndForeignMessagesAreRefused() throws {
        let decoder = try ZstdDecoder(dictionary: try realDictionary())
        #expect(decodeError(decoder, []) == .corrupt(reason: "empty message"))
        #expect(decodeError(decoder, Array("{}".utf8)) == .corrupt(reason: "not a zstd frame (no magic number)"))
        #expect(decodeError(decoder, Array("{\"did\":1}".utf8)) == .corrupt(reason: "not a zstd frame (no magic number)"))
        // A skippable frame (RFC 8878 §3.1.2) carries no event.
        #expect(decodeError(decoder, [0x50, 0x2A, 0x4D, 0x18, 0, 0, 0, 0]) == .corrupt(reason: "not a zstd frame (no magic number)"))
    }

    @Test func corruptFramesAreRefusedAndTheDecoderGoesOn() throws {
        let dict = try realDictionary()
        let decoder = try ZstdDecoder(dictionary: dict)
        let event = try #require(try TestData.sharedLines("sample-events.jsonl").first)
        let frame = try compress(event, FrameOptions(dictionary: dict, checksum: true))

        #expect(decodeError(decoder, Array(frame.dropLast())) == .corrupt(reason: "truncated zstd frame"))
        #expect(decodeError(decoder, Array(frame.prefix(6))) == .corrupt(reason: "truncated zstd frame"))
        var badChecksum = frame
        badChecksum[badChecksum.count - 1] ^= 0xFF
        #expect(isCorrupt(decodeError(decoder, badChecksum)))
        // Every single-byte change after the magic number either fails or is caught by the checksum.
        for i in 4..<frame.count {
            var changed = frame
            changed[i] ^= 0x5A
            if let bytes = try? decode(decoder, changed) { #expect(bytes == event, "byte \(i)") }
        }
        #expect(try decode(decoder, frame) == event)
    }

    @Test func aDictionaryWithoutTheMagicNumberIsRefused() throws {
        var dict = try realDictionary()
        #expect(throws: DecompressionError.notADictionary) { try ZstdDecoder(dictionary: Array(dict.dropFirst())) }
        #expect(throws: DecompressionError.notADictionary) { try ZstdDecoder(dictionary: []) }
        #expect(throws: DecompressionError.notADictionary) { try ZstdDecoder(dictionary: [0x37, 0xA4, 0x30]) }
        #expect(throws: DecompressionError.notADictionary) { try ZstdDecoder(dictionary: Array("{\"kind\":\"commit\"}".utf8)) }
        dict[0] = 0x38
        #expect(throws: DecompressionError.notADictionary) { try ZstdDecoder(dictionary: dict) }
    }

    @Test func aDictionaryWithDamagedTablesIsRefused() throws {
        var dict = try realDictionary()
        for i in 8..<64 { dict[i] = 0xFF }
        #expect(throws: DecompressionError.damagedDictionary) { try ZstdDecoder(dictionary: dict) }
        #expect(throws: DecompressionError.damagedDictionary) { try ZstdDecoder(dictionary: [0x37, 0xA4, 0x30, 0xEC, 1, 0, 0, 0]) }
    }

    @Test func everyErrorHasAOneLineDescription() {
        let all: [DecompressionError] = [
            .notADictionary, .damagedDictionary, .tooLarge(limit: 1024), .dictionaryMismatch(frame: 1, loaded: 2),
            .corrupt(reason: "x"), .outOfMemory,
        ]
        for e in all {
            #expect(!e.description.isEmpty && !e.description.contains("\n"))
        }
    }
}
