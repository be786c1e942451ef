import Testing
@testable import JetstreamTailCore

@Suite struct ProtocolErrorTests {
    static let all: [ProtocolError] = [
        .reservedBitsSet(1), .unknownOpcode(3), .maskedServerFrame, .fragmentedControlFrame,
        .controlFrameTooLong(126), .lengthHighBitSet, .unexpectedContinuation, .expectedContinuation,
        .messageTooBig(size: 10, limit: 5), .invalidUTF8, .invalidClosePayload, .invalidCloseCode(1005),
        .invalidCloseReason,
    ]

    @Test func mapsEachRuleToItsCloseCode() {
        for error in Self.all {
            let expected: UInt16
            switch error {
            case .invalidUTF8, .invalidCloseReason: expected = 1007
            case .messageTooBig: expected = 1009
            default: expected = 1002
            }
            #expect(error.closeCode == expected, "\(error)")
        }
    }

    @Test func sendsOnlyCodesThatAreValidOnTheWire() {
        #expect(Self.all.allSatisfy { CloseFrame.isValidCode($0.closeCode) })
    }

    @Test func describesEachCaseOnOneDistinctLine() {
        let descriptions = Self.all.map(\.description)
        #expect(Set(descriptions).count == descriptions.count)
        #expect(descriptions.allSatisfy { !$0.isEmpty && !$0.contains("\n") })
        #expect(ProtocolError.messageTooBig(size: 70000, limit: 65536).description.contains("70000"))
    }
}
