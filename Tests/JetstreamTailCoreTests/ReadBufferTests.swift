import Testing
@testable import JetstreamTailCore

@Suite struct ReadBufferTests {
    private func fill(_ b: ReadBuffer, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { b.append($0) }
    }

    @Test func consumesInOrderAndResetsWhenEmpty() {
        let b = ReadBuffer(capacity: 16)
        fill(b, [1, 2, 3, 4])
        #expect(Array(b.readable) == [1, 2, 3, 4])
        b.consume(3)
        #expect(Array(b.readable) == [4])
        b.consume(1)
        #expect(b.start == 0 && b.end == 0)
    }

    @Test func compactsBeforeGrowing() {
        let b = ReadBuffer(capacity: 8)
        fill(b, [1, 2, 3, 4, 5, 6])
        b.consume(5)
        b.prepareForRead(contiguous: 1, minimumFree: 6)
        #expect(b.capacity == 8)
        #expect(b.start == 0)
        #expect(Array(b.readable) == [6])
        #expect(b.writable.count == 7)
    }

    @Test func growsForALargeFrameAndShrinksAfterwards() {
        let b = ReadBuffer(capacity: 8)
        fill(b, [9, 9])
        b.prepareForRead(contiguous: 100, minimumFree: 1)
        #expect(b.capacity >= 100)
        #expect(Array(b.readable) == [9, 9])
        b.consume(2)
        b.prepareForRead(contiguous: 0, minimumFree: 4)
        #expect(b.capacity == 8)
    }

    @Test func appendKeepsEarlierBytes() {
        let b = ReadBuffer(capacity: 4)
        fill(b, [1, 2, 3])
        fill(b, [4, 5, 6])
        #expect(Array(b.readable) == [1, 2, 3, 4, 5, 6])
    }
}
