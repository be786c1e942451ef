import Testing
@testable import JetstreamTailCore

// MARK: - Helpers shared by the framing tests

/// Frame bytes as a server, well-behaved or not, would put them on the wire.
/// `lengthBytes` forces the 0-, 2- or 8-byte length form; by default the shortest one is used.
func wireFrame(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0,
               mask: [UInt8]? = nil, lengthBytes: Int? = nil) -> [UInt8] {
    var out: [UInt8] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode]
    let maskBit: UInt8 = mask == nil ? 0 : 0x80
    let n = payload.count
    let form = lengthBytes ?? (n <= 125 ? 0 : (n <= 0xFFFF ? 2 : 8))
    switch form {
    case 0: out.append(maskBit | UInt8(n))
    case 2: out += [maskBit | 126, UInt8(n >> 8), UInt8(n & 0xFF)]
    default: out.append(maskBit | 127); for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: UInt64(n) >> UInt64(s))) }
    }
    if let mask {
        out += mask
        out += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    } else {
        out += payload
    }
    return out
}

/// A copy of a `WebSocketEvent`, which only borrows its bytes.
enum Seen: Equatable, Sendable, CustomStringConvertible {
    case text(String), binary([UInt8]), ping([UInt8]), pong([UInt8]), close(UInt16?, String)

    init(_ event: WebSocketEvent) {
        switch event {
        case let .text(p): self = .text(String(decoding: p, as: UTF8.self))
        case let .binary(p): self = .binary(Array(p))
        case let .ping(p): self = .ping(Array(p))
        case let .pong(p): self = .pong(Array(p))
        case let .close(code, reason): self = .close(code, String(decoding: reason, as: UTF8.self))
        }
    }

    var description: String {
        switch self {
        case let .text(s): return "text(\(s.utf8.count) bytes)"
        case let .binary(b): return "binary(\(b.count) bytes)"
        case let .ping(b): return "ping(\(b))"
        case let .pong(b): return "pong(\(b))"
        case let .close(c, r): return "close(\(c.map(String.init) ?? "nil"), \(r))"
        }
    }
}

/// A small deterministic generator (SplitMix64), so random splits are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Feeds `stream` to a reader in pieces of the given sizes the way the connection loop does
/// (prepareForRead with `contiguousBytesWanted`, write into `writable`, commit, drain), and records
/// what comes out until the stream ends or the reader throws. `takingBuffered` also takes, after
/// each message `next` returns, what `nextWhole` hands out, as the tail's read loop does.
func run(_ stream: [UInt8], splits: [Int]? = nil, maxMessageSize: Int = 1 << 20,
         capacity: Int = 64, takingBuffered: Bool = false) -> (seen: [Seen], error: ProtocolError?, left: Int) {
    let reader = MessageReader(maxMessageSize: maxMessageSize)
    let buffer = ReadBuffer(capacity: capacity)
    var seen: [Seen] = []
    var offset = 0
    var pieces = (splits ?? [stream.count]).makeIterator()
    while offset < stream.count {
        let n = min(max(pieces.next() ?? stream.count, 1), stream.count - offset)
        buffer.prepareForRead(contiguous: reader.contiguousBytesWanted, minimumFree: n)
        stream.withUnsafeBytes { src in
            buffer.writable.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[offset..<(offset + n)]))
        }
        buffer.commit(n)
        offset += n
        do {
            while let event = try reader.next(from: buffer) {
                seen.append(Seen(event))
                while takingBuffered, let whole = try reader.nextWhole(from: buffer) { seen.append(Seen(whole)) }
            }
        } catch {
            return (seen, error, buffer.count)
        }
    }
    return (seen, nil, buffer.count)
}

/// Runs the stream delivered whole and expects it to fail with `error`.
func expectFailure(_ stream: [UInt8], _ error: ProtocolError, maxMessageSize: Int = 1 << 20,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    let result = run(stream, maxMessageSize: maxMessageSize)
    #expect(result.error == error, sourceLocation: sourceLocation)
}

let ascii = Array("Hello".utf8)

// MARK: - Tests

@Suite struct MessageReaderTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let expected: [Seen]
        var testDescription: String { name }
    }

    /// The unmasked examples of RFC 6455 §5.7, byte for byte.
    static let rfcVectors: [Vector] = [
        Vector(name: "single-frame unmasked text",
               bytes: [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F], expected: [.text("Hello")]),
        Vector(name: "fragmented unmasked text",
               bytes: [0x01, 0x03, 0x48, 0x65, 0x6C, 0x80, 0x02, 0x6C, 0x6F], expected: [.text("Hello")]),
        Vector(name: "unmasked ping",
               bytes: [0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F], expected: [.ping(ascii)]),
        Vector(name: "256-byte binary, 16-bit length",
               bytes: [0x82, 0x7E, 0x01, 0x00] + (0..<256).map { UInt8($0) },
               expected: [.binary((0..<256).map { UInt8($0) })]),
        Vector(name: "64 KiB binary, 64-bit length",
               bytes: [0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00] + (0..<65536).map { UInt8(truncatingIfNeeded: $0 * 7) },
               expected: [.binary((0..<65536).map { UInt8(truncatingIfNeeded: $0 * 7) })]),
    ]

    @Test(arguments: rfcVectors)
    func decodesRFCExample(_ vector: Vector) {
        let whole = run(vector.bytes)
        #expect(whole.error == nil)
        #expect(whole.seen == vector.expected)
        #expect(whole.left == 0)
    }

    @Test func rejectsRFCMaskedHelloFromAServer() {
        expectFailure([0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58], .maskedServerFrame)
    }

    @Test(arguments: [0, 1, 125, 126, 127, 65535, 65536, 70000])
    func decodesEveryLengthFormAtItsBoundaries(_ size: Int) {
        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let frame = wireFrame(0x2, payload)
        let expectedHeader = size <= 125 ? 2 : (size <= 65535 ? 4 : 10)
        #expect(frame.count == expectedHeader + size)
        let result = run(frame, splits: [1, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597])
        #expect(result.error == nil)
        #expect(result.seen == [.binary(payload)])
    }

    @Test func acceptsLengthsInALongerFormThanNeeded() {
        let stream = wireFrame(0x1, ascii, lengthBytes: 2) + wireFrame(0x2, [1, 2, 3], lengthBytes: 8)
        #expect(run(stream).seen == [.text("Hello"), .binary([1, 2, 3])])
    }

    /// A stream with every kind of frame: lengths of all three forms, fragments split inside a
    /// character, empty fragments, control frames between fragments, and a close.
    static let mixedStream: (bytes: [UInt8], expected: [Seen]) = {
        let kosme = Array("κόσμε".utf8) // 11 bytes, 2 per Greek letter
        let big = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let mid = (0..<300).map { UInt8(truncatingIfNeeded: $0) }
        let text126 = String(repeating: "x", count: 125) + "é" // 127 bytes
        var bytes: [UInt8] = []
        bytes += wireFrame(0x1, ascii)
        bytes += wireFrame(0x2, mid)
        bytes += wireFrame(0x1, Array(kosme[0..<3]), fin: false)  // ends inside "ό"
        bytes += wireFrame(0x9, [1, 2])                          // ping between fragments
        bytes += wireFrame(0x0, [], fin: false)                  // empty fragment
        bytes += wireFrame(0x0, Array(kosme[3..<8]), fin: false)
        bytes += wireFrame(0xA, [])                              // pong between fragments
        bytes += wireFrame(0x0, Array(kosme[8...]), fin: true)
        bytes += wireFrame(0x2, big)
        bytes += wireFrame(0x2, [9], fin: false)
        bytes += wireFrame(0x0, [8, 7], fin: true)
        bytes += wireFrame(0x1, Array(text126.utf8))
        bytes += wireFrame(0x1, [])
        bytes += wireFrame(0x1, [], fin: false)
        bytes += wireFrame(0x0, [], fin: true)
        bytes += wireFrame(0x8, [0x03, 0xE8] + Array("bye".utf8))
        let expected: [Seen] = [
            .text("Hello"), .binary(mid), .ping([1, 2]), .pong([]), .text("κόσμε"), .binary(big),
            .binary([9, 8, 7]), .text(text126), .text(""), .text(""), .close(1000, "bye"),
        ]
        return (bytes, expected)
    }()

    @Test func decodesAMixedStreamDeliveredWhole() {
        let result = run(Self.mixedStream.bytes)
        #expect(result.error == nil)
        #expect(result.seen == Self.mixedStream.expected)
        #expect(result.left == 0)
    }

    @Test func decodesAMixedStreamFedOneByteAtATime() {
        let result = run(Self.mixedStream.bytes, splits: Array(repeating: 1, count: Self.mixedStream.bytes.count))
        #expect(result.error == nil)
        #expect(result.seen == Self.mixedStream.expected)
        #expect(result.left == 0)
    }

    @Test(arguments: 1...40)
    func decodesAMixedStreamAtRandomSplits(_ seed: Int) {
        var rng = SeededGenerator(seed: UInt64(seed))
        let total = Self.mixedStream.bytes.count
        var splits: [Int] = []
        var covered = 0
        while covered < total {
            // Mostly small pieces, sometimes large ones, so both partial headers and whole frames occur.
            let n = Int.random(in: 0..<10, using: &rng) == 0 ? Int.random(in: 1...20_000, using: &rng)
                                                           : Int.random(in: 1...40, using: &rng)
            splits.append(n)
            covered += n
        }
        let capacity = Int.random(in: 16...4096, using: &rng)
        let result = run(Self.mixedStream.bytes, splits: splits, capacity: capacity)
        #expect(result.error == nil)
        #expect(run(Self.mixedStream.bytes, splits: splits, capacity: capacity, takingBuffered: true).seen == Self.mixedStream.expected)
        #expect(result.seen == Self.mixedStream.expected)
        #expect(result.left == 0)
    }

    @Test func returnsUnfragmentedMessagesInPlace() throws {
        let reader = MessageReader(maxMessageSize: 1024)
        let buffer = ReadBuffer(capacity: 64)
        wireFrame(0x1, ascii).withUnsafeBytes { buffer.append($0) }
        let event = try #require(try reader.next(from: buffer))
        guard case let .text(payload) = event else { Issue.record("expected text, got \(Seen(event))"); return }
        #expect(payload.baseAddress == UnsafeRawPointer(buffer.base + 2))
        #expect(payload.count == 5)
        #expect(reader.assemblyCapacity == 0)
    }

    /// What the read loop takes after a message from `next`: the whole frames already buffered,
    /// in order, up to the first thing `next` has to handle.
    @Test func nextWholeTakesBufferedMessagesUpToAControlFrameOrAFragment() throws {
        let reader = MessageReader(maxMessageSize: 1024)
        let buffer = ReadBuffer(capacity: 256)
        let stream = wireFrame(0x1, ascii) + wireFrame(0x2, [1, 2]) + wireFrame(0x1, Array("é".utf8))
            + wireFrame(0x9, [7]) + wireFrame(0x1, Array("a".utf8), fin: false) + wireFrame(0x0, Array("b".utf8))
            + wireFrame(0x1, ascii)
        stream.withUnsafeBytes { buffer.append($0) }
        var seen: [Seen] = []
        while let event = try reader.nextWhole(from: buffer) { seen.append(Seen(event)) }
        #expect(seen == [.text("Hello"), .binary([1, 2]), .text("é")])
        #expect(try reader.next(from: buffer).map(Seen.init) == .ping([7]))
        #expect(try reader.nextWhole(from: buffer) == nil)  // a fragment: only `next` assembles
        #expect(try reader.next(from: buffer).map(Seen.init) == .text("ab"))
        // The assembled message stays valid: `next` takes back its storage, not `nextWhole`.
        #expect(try reader.nextWhole(from: buffer) == nil)
        #expect(try reader.next(from: buffer).map(Seen.init) == .text("Hello"))
        #expect(try reader.nextWhole(from: buffer) == nil)
        #expect(buffer.count == 0)
    }

    @Test func nextWholeRefusesInvalidUTF8AsNextDoes() {
        let stream = wireFrame(0x1, ascii) + wireFrame(0x1, [0x48, 0xC0, 0x80])
        #expect(run(stream, takingBuffered: true).error == .invalidUTF8)
        #expect(run(stream, takingBuffered: true).seen == [.text("Hello")])
    }

    @Test func reportsHowManyContiguousBytesTheFrameNeeds() throws {
        let reader = MessageReader(maxMessageSize: 1 << 20)
        let buffer = ReadBuffer(capacity: 64)
        #expect(try reader.next(from: buffer) == nil)
        #expect(reader.contiguousBytesWanted == 2)
        let frame = wireFrame(0x2, Array(repeating: 1, count: 70_000))
        frame[0..<1].withUnsafeBytes { buffer.append($0) }
        #expect(try reader.next(from: buffer) == nil)
        #expect(reader.contiguousBytesWanted == 2)
        frame[1..<2].withUnsafeBytes { buffer.append($0) }
        #expect(try reader.next(from: buffer) == nil)
        #expect(reader.contiguousBytesWanted == 10)
        frame[2..<10].withUnsafeBytes { buffer.append($0) }
        #expect(try reader.next(from: buffer) == nil)
        #expect(reader.contiguousBytesWanted == 70_010)
    }

    @Test func deliversControlFramesInsideAFragmentedMessage() {
        let stream = wireFrame(0x1, Array("Hel".utf8), fin: false) + wireFrame(0x9, ascii)
            + wireFrame(0x0, Array("lo".utf8), fin: true)
        #expect(run(stream).seen == [.ping(ascii), .text("Hello")])
    }

    @Test func deliversACloseInsideAFragmentedMessage() {
        let stream = wireFrame(0x2, [1], fin: false) + wireFrame(0x8, [0x03, 0xE9])
        let result = run(stream)
        #expect(result.error == nil)
        #expect(result.seen == [.close(1001, "")])
    }

    @Test func readsACloseWithoutABody() {
        #expect(run(wireFrame(0x8, [])).seen == [.close(nil, "")])
    }

    @Test func acceptsAMessageOfExactlyTheLimit() {
        let limit = 300
        let single = wireFrame(0x2, Array(repeating: 5, count: limit))
        #expect(run(single, maxMessageSize: limit).seen == [.binary(Array(repeating: 5, count: limit))])
        let fragmented = wireFrame(0x2, Array(repeating: 5, count: 100), fin: false)
            + wireFrame(0x0, Array(repeating: 5, count: 200), fin: true)
        #expect(run(fragmented, maxMessageSize: limit).seen == [.binary(Array(repeating: 5, count: limit))])
    }

    @Test func rejectsA64GiBFrameFromItsHeaderWithoutAllocating() throws {
        let reader = MessageReader(maxMessageSize: 16 << 20)
        let buffer = ReadBuffer(capacity: 64)
        let header: [UInt8] = [0x82, 0x7F, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00] // 2^36 bytes
        header.withUnsafeBytes { buffer.append($0) }
        #expect(throws: ProtocolError.messageTooBig(size: 1 << 36, limit: 16 << 20)) {
            try reader.next(from: buffer)
        }
        #expect(ProtocolError.messageTooBig(size: 1 << 36, limit: 16 << 20).closeCode == 1009)
        #expect(reader.assemblyCapacity == 0)
        #expect(reader.contiguousBytesWanted <= 14)
        #expect(buffer.capacity == 64)
    }

    @Test func rejectsAFragmentedMessageThatOutgrowsTheLimitAtTheFragmentHeader() throws {
        let reader = MessageReader(maxMessageSize: 1000)
        let buffer = ReadBuffer(capacity: 4096)
        let first = wireFrame(0x2, Array(repeating: 1, count: 600), fin: false)
        let second = wireFrame(0x0, Array(repeating: 2, count: 401), fin: true)
        (first + second[0..<4]).withUnsafeBytes { buffer.append($0) } // only the second header
        #expect(throws: ProtocolError.messageTooBig(size: 1001, limit: 1000)) {
            try reader.next(from: buffer)
        }
    }

    @Test func failsFastOnInvalidUTF8InAMiddleFragment() {
        // The message never finishes: the reader must fail on the second fragment alone.
        let stream = wireFrame(0x1, Array("κό".utf8), fin: false) + wireFrame(0x0, [0xCE, 0xBA, 0xED, 0xA0, 0x80], fin: false)
        let result = run(stream)
        #expect(result.error == .invalidUTF8)
    }

    @Test func failsFastOnInvalidUTF8BeforeAFrameHasFullyArrived() throws {
        let reader = MessageReader(maxMessageSize: 1024)
        let buffer = ReadBuffer(capacity: 256)
        var frame = wireFrame(0x1, Array(repeating: 0x41, count: 100))
        frame[2 + 10] = 0xFF
        frame[0..<20].withUnsafeBytes { buffer.append($0) }
        #expect(throws: ProtocolError.invalidUTF8) { try reader.next(from: buffer) }
    }

    @Test func validatesAPartlyArrivedFrameOnlyOnce() throws {
        // A character split across reads inside one frame must still validate.
        let text = Array("aé€😀z".utf8)
        let frame = wireFrame(0x1, text)
        for cut in 3..<frame.count {
            let result = run(frame, splits: [cut, frame.count - cut])
            #expect(result.seen == [.text("aé€😀z")], "cut at \(cut)")
        }
    }

    @Test func acceptsACharacterSplitAcrossFragments() {
        let euro = Array("€".utf8)
        let stream = wireFrame(0x1, [euro[0]], fin: false) + wireFrame(0x0, [euro[1]], fin: false)
            + wireFrame(0x0, [euro[2]], fin: true)
        #expect(run(stream).seen == [.text("€")])
    }

    @Test func rejectsATextMessageEndingInsideACharacter() {
        expectFailure(wireFrame(0x1, [0x41, 0xE2, 0x82]), .invalidUTF8)
        expectFailure(wireFrame(0x1, [0x41, 0xE2], fin: false) + wireFrame(0x0, [0x82], fin: true), .invalidUTF8)
    }

    @Test func doesNotValidateBinaryMessages() {
        #expect(run(wireFrame(0x2, [0xFF, 0xC0])).seen == [.binary([0xFF, 0xC0])])
        #expect(run(wireFrame(0x2, [0xFF], fin: false) + wireFrame(0x0, [0xE2], fin: true)).seen == [.binary([0xFF, 0xE2])])
    }

    @Test func keepsSmallAssemblyStorageAndReleasesLargeStorage() throws {
        let reader = MessageReader(maxMessageSize: 4 << 20)
        let buffer = ReadBuffer(capacity: 64)
        func deliver(_ bytes: [UInt8]) throws -> Seen? {
            bytes.withUnsafeBytes { buffer.append($0) }
            return try reader.next(from: buffer).map(Seen.init)
        }
        #expect(try deliver(wireFrame(0x2, [1], fin: false) + wireFrame(0x0, [2], fin: true)) == .binary([1, 2]))
        let small = reader.assemblyCapacity
        #expect(small > 0)
        #expect(try deliver(wireFrame(0x9, [])) == .ping([]))
        #expect(reader.assemblyCapacity == small)

        let large = Array(repeating: UInt8(3), count: 2 << 20)
        #expect(try deliver(wireFrame(0x2, large, fin: false) + wireFrame(0x0, [], fin: true)) == .binary(large))
        #expect(reader.assemblyCapacity >= 2 << 20)
        #expect(try reader.next(from: buffer) == nil)
        #expect(reader.assemblyCapacity == 0)
    }

    @Test func resetForgetsAMessageInProgress() throws {
        let reader = MessageReader(maxMessageSize: 1024)
        let buffer = ReadBuffer(capacity: 64)
        wireFrame(0x1, [0x41, 0xE2], fin: false).withUnsafeBytes { buffer.append($0) }
        #expect(try reader.next(from: buffer) == nil)
        reader.reset()
        let fresh = ReadBuffer(capacity: 64)
        wireFrame(0x1, ascii).withUnsafeBytes { fresh.append($0) }
        #expect(try reader.next(from: fresh).map(Seen.init) == .text("Hello"))
    }

    struct Violation: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let error: ProtocolError
        let closeCode: UInt16
        var testDescription: String { name }
    }

    static let violations: [Violation] = [
        Violation(name: "RSV1 set", bytes: [0xC1, 0x00], error: .reservedBitsSet(4), closeCode: 1002),
        Violation(name: "RSV2 set", bytes: [0xA1, 0x00], error: .reservedBitsSet(2), closeCode: 1002),
        Violation(name: "RSV3 set", bytes: [0x91, 0x00], error: .reservedBitsSet(1), closeCode: 1002),
        Violation(name: "RSV on a ping", bytes: [0xF9, 0x00], error: .reservedBitsSet(7), closeCode: 1002),
    ] + [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF].map { (op: UInt8) in
        Violation(name: "opcode \(op)", bytes: [0x80 | op, 0x00], error: .unknownOpcode(op), closeCode: 1002)
    } + [
        Violation(name: "masked text", bytes: wireFrame(0x1, ascii, mask: [1, 2, 3, 4]), error: .maskedServerFrame, closeCode: 1002),
        Violation(name: "masked ping", bytes: wireFrame(0x9, [], mask: [0, 0, 0, 0]), error: .maskedServerFrame, closeCode: 1002),
        Violation(name: "fragmented ping", bytes: wireFrame(0x9, ascii, fin: false), error: .fragmentedControlFrame, closeCode: 1002),
        Violation(name: "fragmented pong", bytes: wireFrame(0xA, [], fin: false), error: .fragmentedControlFrame, closeCode: 1002),
        Violation(name: "fragmented close", bytes: wireFrame(0x8, [0x03, 0xE8], fin: false), error: .fragmentedControlFrame, closeCode: 1002),
        Violation(name: "ping of 126 bytes", bytes: wireFrame(0x9, Array(repeating: 0, count: 126)), error: .controlFrameTooLong(126), closeCode: 1002),
        Violation(name: "close of 126 bytes", bytes: wireFrame(0x8, [0x03, 0xE8] + Array(repeating: 0x2A, count: 124)), error: .controlFrameTooLong(126), closeCode: 1002),
        Violation(name: "pong with 64-bit length", bytes: [0x8A, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0x7E], error: .controlFrameTooLong(126), closeCode: 1002),
        Violation(name: "64-bit length with top bit", bytes: [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1], error: .lengthHighBitSet, closeCode: 1002),
        Violation(name: "final continuation alone", bytes: wireFrame(0x0, ascii), error: .unexpectedContinuation, closeCode: 1002),
        Violation(name: "non-final continuation alone", bytes: wireFrame(0x0, ascii, fin: false), error: .unexpectedContinuation, closeCode: 1002),
        Violation(name: "continuation after a finished message",
                  bytes: wireFrame(0x1, ascii, fin: false) + wireFrame(0x0, [], fin: true) + wireFrame(0x0, [], fin: false),
                  error: .unexpectedContinuation, closeCode: 1002),
        Violation(name: "text inside a fragmented text", bytes: wireFrame(0x1, ascii, fin: false) + wireFrame(0x1, ascii),
                  error: .expectedContinuation, closeCode: 1002),
        Violation(name: "binary inside a fragmented text", bytes: wireFrame(0x1, ascii, fin: false) + wireFrame(0x2, [], fin: false),
                  error: .expectedContinuation, closeCode: 1002),
        Violation(name: "frame over the limit", bytes: wireFrame(0x2, Array(repeating: 0, count: 1025)),
                  error: .messageTooBig(size: 1025, limit: 1024), closeCode: 1009),
        Violation(name: "fragments over the limit",
                  bytes: wireFrame(0x1, Array(repeating: 0x61, count: 512), fin: false) + wireFrame(0x0, Array(repeating: 0x61, count: 513)),
                  error: .messageTooBig(size: 1025, limit: 1024), closeCode: 1009),
        Violation(name: "overlong text", bytes: wireFrame(0x1, [0xC0, 0xAF]), error: .invalidUTF8, closeCode: 1007),
        Violation(name: "surrogate in text", bytes: wireFrame(0x1, [0xED, 0xA0, 0x80]), error: .invalidUTF8, closeCode: 1007),
        Violation(name: "truncated text", bytes: wireFrame(0x1, [0x41, 0xF0, 0x9F, 0x98]), error: .invalidUTF8, closeCode: 1007),
        Violation(name: "close with 1-byte body", bytes: wireFrame(0x8, [0x03]), error: .invalidClosePayload, closeCode: 1002),
        Violation(name: "close code 999", bytes: wireFrame(0x8, [0x03, 0xE7]), error: .invalidCloseCode(999), closeCode: 1002),
        Violation(name: "close code 1005", bytes: wireFrame(0x8, [0x03, 0xED]), error: .invalidCloseCode(1005), closeCode: 1002),
        Violation(name: "close code 5000", bytes: wireFrame(0x8, [0x13, 0x88]), error: .invalidCloseCode(5000), closeCode: 1002),
        Violation(name: "close reason not UTF-8", bytes: wireFrame(0x8, [0x03, 0xE8, 0xCE, 0xBA, 0xED, 0xA0, 0x80]),
                  error: .invalidCloseReason, closeCode: 1007),
    ]

    @Test(arguments: violations)
    func failsTheConnectionOnAViolation(_ violation: Violation) {
        let whole = run(violation.bytes, maxMessageSize: 1024)
        #expect(whole.error == violation.error)
        #expect(whole.error?.closeCode == violation.closeCode)
        let byteByByte = run(violation.bytes, splits: Array(repeating: 1, count: violation.bytes.count), maxMessageSize: 1024)
        #expect(byteByByte.error == violation.error)
        // After a message taken the ordinary way, the violation is met by `nextWhole` or passed to `next`.
        let afterOne = run(wireFrame(0x1, ascii) + violation.bytes, maxMessageSize: 1024, takingBuffered: true)
        #expect(afterOne.seen == [.text("Hello")] + whole.seen)
        #expect(afterOne.error == violation.error)
    }

    @Test func deliversTheValidMessageBeforeAViolation() {
        let result = run(wireFrame(0x1, ascii) + [0xC1, 0x00] + wireFrame(0x9, []))
        #expect(result.seen == [.text("Hello")])
        #expect(result.error == .reservedBitsSet(4))
    }
}
