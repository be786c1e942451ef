import Testing
@testable import JetstreamTailCore

@Suite struct FrameEncoderTests {
    private let rfcMask: (UInt8, UInt8, UInt8, UInt8) = (0x37, 0xFA, 0x21, 0x3D)

    /// Parses our own frame back: header, then the payload unmasked.
    private func decode(_ frame: [UInt8]) throws -> (FrameHeader, [UInt8]) {
        let header = try #require(frame.withUnsafeBytes { raw -> FrameHeader? in
            if case let .complete(h) = FrameHeader.parse(raw) { return h }
            return nil
        })
        #expect(frame.count == header.headerLength + Int(header.payloadLength))
        var payload = Array(frame[header.headerLength...])
        payload.withUnsafeMutableBytes { FrameEncoder.applyMask(try! #require(header.maskingKey), to: $0) }
        return (header, payload)
    }

    @Test func encodesTheRFCMaskedHello() {
        let frame = FrameEncoder.encode(opcode: .text, payload: ascii, mask: rfcMask)
        #expect(frame == [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
    }

    @Test func encodesTheRFCMaskedPong() {
        let frame = FrameEncoder.encode(opcode: .pong, payload: ascii, mask: rfcMask)
        #expect(frame == [0x8A, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
    }

    @Test(arguments: [0, 1, 7, 8, 9, 125, 126, 65535, 65536, 100_003])
    func roundTripsEveryLengthForm(_ size: Int) throws {
        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 1) }
        let frame = FrameEncoder.encode(opcode: .binary, payload: payload)
        #expect(frame.count == FrameEncoder.encodedCount(payloadCount: size))
        let expectedLengthByte: UInt8 = size <= 125 ? UInt8(size) : (size <= 65535 ? 126 : 127)
        #expect(frame[1] == 0x80 | expectedLengthByte)
        let (header, decoded) = try decode(frame)
        #expect(header.fin && header.opcode == .binary && header.isMasked && header.reservedBits == 0)
        #expect(header.payloadLength == UInt64(size))
        #expect(decoded == payload)
    }

    @Test func encodesANonFinalFragment() throws {
        let frame = FrameEncoder.encode(opcode: .text, payload: Array("Hel".utf8), fin: false, mask: (0, 0, 0, 0))
        #expect(frame == [0x01, 0x83, 0, 0, 0, 0, 0x48, 0x65, 0x6C])
        let (header, _) = try decode(FrameEncoder.encode(opcode: .continuation, payload: Array("lo".utf8)))
        #expect(header.fin && header.opcode == .continuation)
    }

    @Test func alwaysMasks() {
        for opcode in [Opcode.text, .binary, .continuation, .close, .ping, .pong] {
            #expect(FrameEncoder.encode(opcode: opcode, payload: [])[1] & 0x80 != 0)
        }
    }

    @Test func drawsFreshMasks() {
        let masks = (0..<4).map { _ -> [UInt8] in let m = FrameEncoder.randomMask(); return [m.0, m.1, m.2, m.3] }
        #expect(Set(masks).count > 1)
    }

    @Test func writesIntoACallerBufferWithoutAllocating() {
        let payload: [UInt8] = Array(repeating: 0x5A, count: 200)
        var out = [UInt8](repeating: 0xEE, count: FrameEncoder.encodedCount(payloadCount: 200) + 3)
        let written = payload.withUnsafeBytes { p in
            out.withUnsafeMutableBytes { FrameEncoder.encode(opcode: .binary, payload: p, mask: rfcMask, into: $0) }
        }
        #expect(written == 2 + 2 + 4 + 200)
        #expect(Array(out[..<written]) == FrameEncoder.encode(opcode: .binary, payload: payload, mask: rfcMask))
        #expect(out[written...].allSatisfy { $0 == 0xEE })
    }

    @Test func maskingTwiceRestoresThePayloadAtAnyLengthAndOffset() {
        for size in 0..<40 {
            let original = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 11) }
            var bytes = original
            bytes.withUnsafeMutableBytes { FrameEncoder.applyMask(rfcMask, to: $0) }
            if size > 0 { #expect(bytes[0] == original[0] ^ 0x37) }
            if size > 13 { #expect(bytes[13] == original[13] ^ 0xFA) }
            bytes.withUnsafeMutableBytes { FrameEncoder.applyMask(rfcMask, to: $0) }
            #expect(bytes == original)
        }
    }
}
