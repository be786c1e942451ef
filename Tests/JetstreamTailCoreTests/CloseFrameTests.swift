import Testing
@testable import JetstreamTailCore

@Suite struct CloseFrameTests {
    /// The codes Autobahn|Testsuite case 7.7.x sends as valid.
    @Test(arguments: [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999] as [UInt16])
    func acceptsValidCode(_ code: UInt16) {
        #expect(CloseFrame.isValidCode(code))
    }

    /// IANA registered these after RFC 6455; current Autobahn no longer counts them invalid.
    @Test(arguments: [1012, 1013, 1014] as [UInt16])
    func acceptsCodesRegisteredAfterTheRFC(_ code: UInt16) {
        #expect(CloseFrame.isValidCode(code))
    }

    /// The codes Autobahn|Testsuite case 7.9.x sends as invalid, plus 1015 and the range ends.
    @Test(arguments: [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] as [UInt16])
    func rejectsInvalidCode(_ code: UInt16) {
        #expect(!CloseFrame.isValidCode(code))
        let body: [UInt8] = [UInt8(code >> 8), UInt8(code & 0xFF)]
        #expect(throws: ProtocolError.invalidCloseCode(code)) { try body.withUnsafeBytes { try CloseFrame.parse($0) } }
    }

    @Test func parsesAnEmptyBodyAsNoCode() throws {
        let (code, reason) = try [UInt8]().withUnsafeBytes { try CloseFrame.parse($0) }
        #expect(code == nil)
        #expect(reason.isEmpty)
    }

    @Test func parsesCodeAndReason() throws {
        let body: [UInt8] = [0x03, 0xE8] + Array("done ✓".utf8)
        let parsed = try body.withUnsafeBytes { raw in
            let (code, reason) = try CloseFrame.parse(raw)
            return (code, String(decoding: reason, as: UTF8.self))
        }
        #expect(parsed.0 == 1000)
        #expect(parsed.1 == "done ✓")
    }

    @Test func rejectsAOneByteBody() {
        #expect(throws: ProtocolError.invalidClosePayload) { try [UInt8](arrayLiteral: 0x03).withUnsafeBytes { try CloseFrame.parse($0) } }
    }

    @Test func rejectsAReasonThatIsNotUTF8() {
        #expect(throws: ProtocolError.invalidCloseReason) {
            try [UInt8](arrayLiteral: 0x03, 0xE8, 0x41, 0xC0, 0xAF).withUnsafeBytes { try CloseFrame.parse($0) }
        }
        #expect(throws: ProtocolError.invalidCloseReason) {
            try [UInt8](arrayLiteral: 0x03, 0xE8, 0xE2, 0x82).withUnsafeBytes { try CloseFrame.parse($0) }
        }
    }

    @Test func buildsTheCodeInNetworkByteOrder() {
        #expect(CloseFrame.payload(code: 1000) == [0x03, 0xE8])
        #expect(CloseFrame.payload(code: 4999, reason: "ok") == [0x13, 0x87, 0x6F, 0x6B])
    }

    @Test func keepsAReasonOfExactly123Bytes() {
        let reason = String(repeating: "r", count: 123)
        #expect(CloseFrame.payload(code: 1002, reason: reason).count == 125)
    }

    @Test func truncatesALongReasonTo123Bytes() {
        let body = CloseFrame.payload(code: 1002, reason: String(repeating: "r", count: 500))
        #expect(body.count == 125)
    }

    @Test(arguments: ["é", "€", "😀"])
    func truncatesOnACharacterBoundary(_ character: String) {
        let width = character.utf8.count
        // 122 ASCII bytes, then a character that straddles the 123-byte limit.
        let reason = String(repeating: "a", count: 122) + character + "tail"
        let body = CloseFrame.payload(code: 1000, reason: reason)
        #expect(body.count == 2 + 122)
        #expect(body[2...].allSatisfy { $0 == 0x61 })
        // A character that ends exactly at the limit is kept whole.
        let exact = String(repeating: "a", count: 123 - width) + character + "tail"
        let kept = CloseFrame.payload(code: 1000, reason: exact)
        #expect(kept.count == 125)
        #expect(kept.withUnsafeBytes { UTF8Validator.isValid(UnsafeRawBufferPointer(rebasing: $0[2...])) })
    }

    @Test func buildsAMaskedCloseFrame() throws {
        let frame = CloseFrame.frame(code: 1001, reason: "bye")
        let header = try #require(frame.withUnsafeBytes { raw -> FrameHeader? in
            if case let .complete(h) = FrameHeader.parse(raw) { return h }
            return nil
        })
        #expect(header.opcode == .close && header.fin && header.isMasked && header.payloadLength == 5)
        var body = Array(frame[header.headerLength...])
        body.withUnsafeMutableBytes { FrameEncoder.applyMask(header.maskingKey!, to: $0) }
        #expect(body == [0x03, 0xE9] + Array("bye".utf8))
    }
}
