import Testing
@testable import JetstreamTailCore

@Suite struct OpcodeTests {
    @Test func usesTheRFCValues() {
        #expect(Opcode.continuation.rawValue == 0x0)
        #expect(Opcode.text.rawValue == 0x1)
        #expect(Opcode.binary.rawValue == 0x2)
        #expect(Opcode.close.rawValue == 0x8)
        #expect(Opcode.ping.rawValue == 0x9)
        #expect(Opcode.pong.rawValue == 0xA)
    }

    @Test func hasNoCaseForReservedValues() {
        for value: UInt8 in [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
            #expect(Opcode(rawValue: value) == nil)
        }
    }

    @Test func marksOnlyClosePingAndPongAsControl() {
        #expect([Opcode.close, .ping, .pong].allSatisfy { $0.isControl })
        #expect(![Opcode.continuation, .text, .binary].contains { $0.isControl })
    }
}
