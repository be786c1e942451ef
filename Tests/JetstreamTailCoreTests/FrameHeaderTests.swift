import Testing
@testable import JetstreamTailCore

@Suite struct FrameHeaderTests {
    private func parse(_ bytes: [UInt8]) -> FrameHeader.ParseResult {
        bytes.withUnsafeBytes { FrameHeader.parse($0) }
    }

    private func header(_ bytes: [UInt8]) throws -> FrameHeader {
        guard case let .complete(h) = parse(bytes) else {
            Issue.record("header incomplete")
            throw ProtocolError.invalidClosePayload
        }
        return h
    }

    @Test func asksForTwoBytesFirst() {
        #expect(parse([]) == .incomplete(needed: 2))
        #expect(parse([0x82]) == .incomplete(needed: 2))
    }

    @Test func asksForTheExactHeaderLengthOnceTheSecondByteIsKnown() {
        #expect(parse([0x82, 0x7E]) == .incomplete(needed: 4))
        #expect(parse([0x82, 0x7F, 0, 0]) == .incomplete(needed: 10))
        #expect(parse([0x82, 0xFF]) == .incomplete(needed: 14))
        #expect(parse([0x82, 0x85, 1, 2]) == .incomplete(needed: 6))
    }

    @Test func readsTheRFCSingleFrameHello() throws {
        let h = try header([0x81, 0x05, 0x48])
        #expect(h.fin && h.opcode == .text && h.reservedBits == 0 && !h.isMasked)
        #expect(h.payloadLength == 5 && h.headerLength == 2)
    }

    @Test func readsTheRFCMaskedHello() throws {
        let h = try header([0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D])
        #expect(h.isMasked && h.headerLength == 6 && h.payloadLength == 5)
        let key = try #require(h.maskingKey)
        #expect([key.0, key.1, key.2, key.3] == [0x37, 0xFA, 0x21, 0x3D])
    }

    @Test func readsTheFirstFragmentOfTheRFCFragmentedHello() throws {
        let h = try header([0x01, 0x03])
        #expect(!h.fin && h.opcode == .text && h.payloadLength == 3)
    }

    @Test(arguments: [
        ([UInt8](arrayLiteral: 0x82, 125), UInt64(125), 2),
        ([0x82, 126, 0x00, 0x7E], 126, 4),
        ([0x82, 126, 0xFF, 0xFF], 65535, 4),
        ([0x82, 127, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00], 65536, 10),
        ([0x82, 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], UInt64(Int64.max), 10),
    ])
    func readsEachLengthForm(_ bytes: [UInt8], _ length: UInt64, _ headerLength: Int) throws {
        let h = try header(bytes)
        #expect(h.payloadLength == length)
        #expect(h.headerLength == headerLength)
        #expect(throws: Never.self) { try h.checkServerFrameRules() }
    }

    @Test func keepsReservedBitsAndUnknownOpcodesForTheChecks() throws {
        let h = try header([0x7B, 0x00])
        #expect(!h.fin && h.reservedBits == 0b111 && h.opcodeValue == 0xB && h.opcode == nil)
    }

    @Test func checksTheRulesInWireOrder() throws {
        #expect(throws: ProtocolError.reservedBitsSet(4)) { try header([0xC3, 0x80, 0, 0, 0, 0]).checkServerFrameRules() }
        #expect(throws: ProtocolError.unknownOpcode(3)) { try header([0x83, 0x80, 0, 0, 0, 0]).checkServerFrameRules() }
        #expect(throws: ProtocolError.maskedServerFrame) { try header([0x09, 0x80, 0, 0, 0, 0]).checkServerFrameRules() }
        #expect(throws: ProtocolError.fragmentedControlFrame) { try header([0x09, 0x7E, 0, 200]).checkServerFrameRules() }
        #expect(throws: ProtocolError.controlFrameTooLong(200)) { try header([0x89, 0x7E, 0, 200]).checkServerFrameRules() }
        #expect(throws: ProtocolError.lengthHighBitSet) {
            try header([0x82, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]).checkServerFrameRules()
        }
    }

    @Test func acceptsControlFramesOfUpTo125Bytes() throws {
        #expect(throws: Never.self) { try header([0x89, 125]).checkServerFrameRules() }
        #expect(throws: Never.self) { try header([0x88, 0]).checkServerFrameRules() }
    }
}
