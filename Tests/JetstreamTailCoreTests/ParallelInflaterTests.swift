import Testing
@testable import JetstreamTailCore

@Suite struct ParallelInflaterTests {
    /// Jetstream's dictionary and the sample events, each compressed with it as the server does.
    private struct Fixture {
        let decoder: ZstdDecoder
        let events: [[UInt8]]
        let frames: [[UInt8]]

        init() throws {
            let dictionary = try TestData.shared("zstd_dictionary")
            decoder = try ZstdDecoder(dictionary: dictionary)
            events = try TestData.sharedLines("sample-events.jsonl")
            frames = try events.map { try compress($0, FrameOptions(dictionary: dictionary)) }
        }
    }

    /// Adds `frames` to a new run of `inflater`, keeping their bytes alive until `body` returns.
    private func withRun<T>(_ inflater: ParallelInflater, _ frames: [[UInt8]], _ body: () throws -> T) rethrows -> T {
        let storage = frames.map { frame -> UnsafeMutableRawBufferPointer in
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(frame.count, 1), alignment: 1)
            frame.withUnsafeBytes { copy.copyMemory(from: $0) }
            return copy
        }
        defer { storage.forEach { $0.deallocate() } }
        inflater.reset()
        for (copy, frame) in zip(storage, frames) where inflater.hasRoom {
            inflater.add(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(copy)[..<frame.count]))
        }
        return try body()
    }

    private func decoded(_ inflater: ParallelInflater, _ i: Int) -> [UInt8]? {
        guard case .done(let n) = inflater.outcome(i) else { return nil }
        return Array(inflater.output(i, count: n))
    }

    @Test func twoThreadsDecodeEveryFrameOfARunInPlace() throws {
        let f = try Fixture()
        let inflater = try ParallelInflater(sharingDictionaryOf: f.decoder, maxMessageSize: 1 << 20)
        inflater.start()
        defer { inflater.stop() }
        // The same run decoded many times, so both threads take frames.
        let frames = Array(repeating: f.frames, count: 8).flatMap { $0 }
        let events = Array(repeating: f.events, count: 8).flatMap { $0 }
        try #require(frames.count >= ParallelInflater.minimumParallel)
        for _ in 0..<20 {
            withRun(inflater, frames) {
                #expect(inflater.count == frames.count)
                #expect(inflater.decode(with: f.decoder))
                for i in 0..<frames.count where decoded(inflater, i) != events[i] {
                    Issue.record("frame \(i): \(inflater.outcome(i))")
                    return
                }
            }
        }
    }

    @Test func aRunTooSmallIsLeftToTheCaller() throws {
        let f = try Fixture()
        let inflater = try ParallelInflater(sharingDictionaryOf: f.decoder, maxMessageSize: 1 << 20)
        inflater.start()
        defer { inflater.stop() }
        let frames = Array(f.frames.prefix(ParallelInflater.minimumParallel - 1))
        withRun(inflater, frames) {
            #expect(!inflater.decode(with: f.decoder))
            for i in 0..<frames.count {
                guard case .pending = inflater.outcome(i) else { Issue.record("frame \(i): \(inflater.outcome(i))"); return }
            }
        }
    }

    @Test func withoutTheHelperNothingIsDecoded() throws {
        let f = try Fixture()
        let inflater = try ParallelInflater(sharingDictionaryOf: f.decoder, maxMessageSize: 1 << 20)
        withRun(inflater, Array(repeating: f.frames, count: 4).flatMap { $0 }) {
            #expect(!inflater.decode(with: f.decoder))
        }
    }

    /// `frame` with its header's Frame_Content_Size (RFC 8878 §3.1.1.1.4) lowered by `by`; the frame
    /// must use the two-byte field (sizes 256...65791).
    private func lyingAboutItsSize(_ frame: [UInt8], by: Int) throws -> [UInt8] {
        // §3.1.1.1.1: Frame_Header_Descriptor bits 7–6 give the field size, bit 5 Single_Segment_flag,
        // bits 1–0 the Dictionary_ID field size.
        let descriptor = frame[4]
        try #require(descriptor >> 6 == 1, "not a two-byte content size")
        let at = 5 + (descriptor & 0x20 != 0 ? 0 : 1) + [0, 1, 2, 4][Int(descriptor & 3)]
        let field = Int(frame[at]) | Int(frame[at + 1]) << 8
        try #require(field >= by)
        var copy = frame
        copy[at] = UInt8((field - by) & 0xFF)
        copy[at + 1] = UInt8((field - by) >> 8)
        return copy
    }

    @Test func aBadFrameFailsAloneInARun() throws {
        let f = try Fixture()
        let inflater = try ParallelInflater(sharingDictionaryOf: f.decoder, maxMessageSize: 1 << 20)
        inflater.start()
        defer { inflater.stop() }
        var frames = Array(repeating: f.frames, count: 6).flatMap { $0 }
        let events = Array(repeating: f.events, count: 6).flatMap { $0 }
        var corrupt = frames[5]
        for k in (corrupt.count / 2)..<(corrupt.count / 2 + 4) { corrupt[k] ^= 0xA5 }
        frames[5] = corrupt
        let largest = f.events.indices.max { f.events[$0].count < f.events[$1].count }!
        try #require(f.events[largest].count >= 300)
        frames[11] = try lyingAboutItsSize(f.frames[largest], by: 10)
        withRun(inflater, frames) {
            #expect(inflater.count == frames.count)
            #expect(inflater.decode(with: f.decoder))
            for i in 0..<frames.count {
                switch (i, inflater.outcome(i)) {
                case (5, .failed(.corrupt)):
                    break
                case (11, .failed(.corrupt(let reason))):
                    #expect(reason.contains("header declares"), "\(reason)")
                case (_, .done):
                    #expect(i != 5 && i != 11 && decoded(inflater, i) == events[i], "frame \(i)")
                case (_, let outcome):
                    Issue.record("frame \(i): \(outcome)")
                }
            }
        }
    }

    @Test func aFrameWithoutADeclaredSizeIsLeftInlineAndEndsTheRun() throws {
        let f = try Fixture()
        let dictionary = try TestData.shared("zstd_dictionary")
        let inflater = try ParallelInflater(sharingDictionaryOf: f.decoder, maxMessageSize: 1 << 20)
        var frames = Array(repeating: f.frames, count: 4).flatMap { $0 }
        frames[7] = try compress(f.events[1], FrameOptions(dictionary: dictionary, contentSize: false))
        withRun(inflater, frames) {
            // What follows it must not overtake it, so the run stops there.
            #expect(inflater.count == 8)
            #expect(!inflater.hasRoom)
            guard case .inline = inflater.outcome(7) else { Issue.record("\(inflater.outcome(7))"); return }
        }
        frames[7] = [0x28, 0xB5, 0x2F]  // not even a frame header
        withRun(inflater, frames) {
            #expect(inflater.count == 8)
            guard case .inline = inflater.outcome(7) else { Issue.record("\(inflater.outcome(7))"); return }
        }
    }

    @Test func aFrameOverTheSizeLimitIsLeftInline() throws {
        let f = try Fixture()
        let big = f.events.max { $0.count < $1.count }!
        let inflater = try ParallelInflater(sharingDictionaryOf: f.decoder, maxMessageSize: big.count - 1)
        let index = f.events.firstIndex(of: big)!
        withRun(inflater, f.frames) {
            #expect(inflater.count == index + 1)
            guard case .inline = inflater.outcome(index) else { Issue.record("\(inflater.outcome(index))"); return }
        }
    }
}
