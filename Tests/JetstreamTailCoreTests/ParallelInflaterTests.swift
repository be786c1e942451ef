import Testing
@testable import JetstreamTailCore

@Suite struct ParallelInflaterTests {
    /// Jetstream's dictionary and the sample events, each compressed with it as the server does.
    private struct Fixture {
        let dictionary: [UInt8]
        let decoder: ZstdDecoder
        let events: [[UInt8]]
        let frames: [[UInt8]]

        init() throws {
            let dictionary = try TestData.shared("zstd_dictionary")
            let events = try TestData.sharedLines("sample-events.jsonl")
            self.dictionary = dictionary
            decoder = try ZstdDecoder(dictionary: dictionary)
            self.events = events
            frames = try events.map { try compress($0, FrameOptions(dictionary: dictionary)) }
        }
    }

    /// What `take` was handed, run by run, in order.
    private final class Taken {
        var outcomes: [ParallelInflater.Outcome] = []
        var events: [[UInt8]?] = []
        var runs = 0

        func take(_ run: ParallelInflater.Run) {
            runs += 1
            for i in 0..<run.count {
                let outcome = run.outcome(i)
                outcomes.append(outcome)
                if case .done(let n) = outcome { events.append(Array(run.output(i, count: n))) } else { events.append(nil) }
            }
        }
    }

    /// Adds every frame, then flushes; the frames are the caller's bytes only during `add`.
    private func feed(_ inflater: ParallelInflater, _ frames: [[UInt8]], _ decoder: ZstdDecoder, into taken: Taken) {
        for frame in frames {
            let size = frame.withUnsafeBytes { ZstdDecoder.declaredSize($0) }!
            #expect(ParallelInflater.Run.takes(bytes: frame.count, declaredSize: size))
            // A copy that dies right after `add`: the run must hold its own.
            var copy = frame
            copy.withUnsafeMutableBytes { bytes in
                inflater.add(UnsafeRawBufferPointer(bytes), declaredSize: size, decoder: decoder) { taken.take($0) }
                bytes.initializeMemory(as: UInt8.self, repeating: 0)
            }
        }
        inflater.flush(decoder: decoder) { taken.take($0) }
        #expect(!inflater.isHolding)
    }

    @Test(arguments: [true, false])
    func everyEventComesBackDecodedAndInOrder(withHelper: Bool) throws {
        let f = try Fixture()
        let inflater = try ParallelInflater(sharingDictionaryOf: f.decoder)
        if withHelper { inflater.start() }
        defer { inflater.stop() }
        // Enough frames for several full runs, so runs go to the helper while others fill.
        let copies = 3 * ParallelInflater.Run.maxFrames / f.frames.count + 1
        let frames = Array(repeating: f.frames, count: copies).flatMap { $0 }
        let events = Array(repeating: f.events, count: copies).flatMap { $0 }
        for _ in 0..<3 {
            let taken = Taken()
            feed(inflater, frames, f.decoder, into: taken)
            #expect(taken.runs >= 4)
            #expect(taken.events.count == events.count)
            #expect(taken.events == events.map { Optional($0) })
        }
    }

    @Test func aFewFramesComeBackAtTheFlush() throws {
        let f = try Fixture()
        let inflater = try ParallelInflater(sharingDictionaryOf: f.decoder)
        inflater.start()
        defer { inflater.stop() }
        for count in [1, ParallelInflater.minimumParallel - 1, ParallelInflater.minimumParallel, 100] {
            let frames = (0..<count).map { f.frames[$0 % f.frames.count] }
            let taken = Taken()
            feed(inflater, frames, f.decoder, into: taken)
            #expect(taken.runs == 1)
            #expect(taken.events == (0..<count).map { Optional(f.events[$0 % f.events.count]) })
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

    @Test func aBadFrameFailsAloneInItsPlace() throws {
        let f = try Fixture()
        let inflater = try ParallelInflater(sharingDictionaryOf: f.decoder)
        inflater.start()
        defer { inflater.stop() }
        var frames = Array(repeating: f.frames, count: 400).flatMap { $0 }
        let events = Array(repeating: f.events, count: 400).flatMap { $0 }
        let corrupt = [5, 1500]
        for i in corrupt {
            for k in (frames[i].count / 2)..<(frames[i].count / 2 + 4) { frames[i][k] ^= 0xA5 }
        }
        let largest = f.events.indices.max { f.events[$0].count < f.events[$1].count }!
        try #require(f.events[largest].count >= 300)
        let lying = 1100
        frames[lying] = try lyingAboutItsSize(f.frames[largest], by: 10)
        let taken = Taken()
        feed(inflater, frames, f.decoder, into: taken)
        try #require(taken.outcomes.count == frames.count)
        for (i, outcome) in taken.outcomes.enumerated() {
            switch (i, outcome) {
            case (lying, .failed(.corrupt(let reason))):
                #expect(reason.contains("header declares"), "\(reason)")
            case (_, .failed(.corrupt)) where corrupt.contains(i):
                break
            case (_, .done):
                #expect(!corrupt.contains(i) && i != lying && taken.events[i] == events[i], "frame \(i)")
            case (_, let outcome):
                Issue.record("frame \(i): \(outcome)")
            }
        }
    }

    @Test func onlyFramesThatFitAnEmptyRunAreTaken() {
        #expect(ParallelInflater.Run.takes(bytes: 1000, declaredSize: 4000))
        #expect(!ParallelInflater.Run.takes(bytes: ParallelInflater.Run.inputBytes + 1, declaredSize: 10))
        #expect(!ParallelInflater.Run.takes(bytes: 10, declaredSize: ParallelInflater.Run.outputBytes + 1))
    }

    /// The caller stops taking (its --limit was reached): nothing hangs, and the helper stops.
    @Test func aTakeThatThrowsLeavesNothingHanging() throws {
        struct Enough: Error {}
        let f = try Fixture()
        let inflater = try ParallelInflater(sharingDictionaryOf: f.decoder)
        inflater.start()
        let frames = Array(repeating: f.frames, count: 1000).flatMap { $0 }
        #expect(throws: Enough.self) {
            for frame in frames {
                let size = frame.withUnsafeBytes { ZstdDecoder.declaredSize($0) }!
                try frame.withUnsafeBytes { try inflater.add($0, declaredSize: size, decoder: f.decoder) { _ in throw Enough() } }
            }
        }
        inflater.stop()
    }
}
