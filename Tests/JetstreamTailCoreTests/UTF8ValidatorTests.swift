import Testing
@testable import JetstreamTailCore

@Suite struct UTF8ValidatorTests {
    private func valid(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { UTF8Validator.isValid($0) } }

    /// Boundary characters in the manner of Markus Kuhn's UTF-8 decoder stress test, all valid.
    static let validSamples: [[UInt8]] = [
        [], [0x00], [0x7F],
        Array("κόσμε".utf8),
        [0xC2, 0x80], [0xDF, 0xBF],                         // U+0080, U+07FF
        [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF],             // U+0800, U+D7FF (just below surrogates)
        [0xEE, 0x80, 0x80], [0xEF, 0xBF, 0xBD],             // U+E000, U+FFFD
        [0xEF, 0xBF, 0xBE], [0xEF, 0xBF, 0xBF],             // U+FFFE, U+FFFF: non-characters, still valid
        [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], // U+10000, U+10FFFF (the maximum)
        [0xF3, 0xBF, 0xBF, 0xBF],
        Array("Hello-µ@ßöäüàá-UTF-8!!".utf8),
    ]

    /// Malformed sequences, each invalid on its own.
    static let invalidSamples: [[UInt8]] = [
        [0x80], [0xBF], [0x80, 0xBF],                       // stray continuation bytes
        [0xC0, 0xAF], [0xC1, 0xBF],                         // overlong 2-byte '/' and U+007F
        [0xE0, 0x80, 0xAF], [0xE0, 0x9F, 0xBF],             // overlong 3-byte forms
        [0xF0, 0x80, 0x80, 0xAF], [0xF0, 0x8F, 0xBF, 0xBF], // overlong 4-byte forms
        [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFC, 0x84, 0x80, 0x80, 0x80, 0x80], // 5- and 6-byte forms
        [0xED, 0xA0, 0x80], [0xED, 0xAD, 0xBF], [0xED, 0xAE, 0x80], [0xED, 0xAF, 0xBF], // high surrogates
        [0xED, 0xB0, 0x80], [0xED, 0xBF, 0xBF],             // low surrogates
        [0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80],               // a surrogate pair, encoded as CESU-8
        [0xF4, 0x90, 0x80, 0x80], [0xF7, 0xBF, 0xBF, 0xBF], // above U+10FFFF
        [0xF5], [0xFE], [0xFF], [0xFE, 0xFE, 0xFF, 0xFF],
        [0xC2, 0x41], [0xE1, 0x80, 0x41], [0xF1, 0x80, 0x80, 0xC0], // lead byte followed by a non-continuation
        [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64],
    ]

    /// Valid prefixes that stop inside a character: fine mid-stream, not as a whole text.
    static let truncatedSamples: [[UInt8]] = [
        [0xC2], [0xE0], [0xE0, 0xA0], [0xF0], [0xF0, 0x90], [0xF0, 0x90, 0x80], [0x41, 0xF4, 0x8F, 0xBF],
    ]

    @Test(arguments: validSamples)
    func acceptsValidText(_ bytes: [UInt8]) {
        #expect(valid(bytes))
    }

    @Test(arguments: invalidSamples)
    func rejectsMalformedSequences(_ bytes: [UInt8]) {
        #expect(!valid(bytes))
        var v = UTF8Validator()
        #expect(!bytes.withUnsafeBytes { v.feed($0) })
    }

    @Test(arguments: truncatedSamples)
    func acceptsATruncatedPrefixButNotAsAWhole(_ bytes: [UInt8]) {
        var v = UTF8Validator()
        #expect(bytes.withUnsafeBytes { v.feed($0) })
        #expect(!v.isAtBoundary)
        #expect(!valid(bytes))
    }

    @Test func carriesStateAcrossEverySplit() {
        let text = Array("a€b😀κόσμεz\u{10FFFF}".utf8)
        for cut in 0...text.count {
            var v = UTF8Validator()
            #expect(text[..<cut].withUnsafeBytes { v.feed($0) })
            #expect(text[cut...].withUnsafeBytes { v.feed($0) })
            #expect(v.isAtBoundary, "cut at \(cut)")
        }
    }

    @Test func failsAtTheFirstInvalidByteAcrossChunks() {
        var v = UTF8Validator()
        #expect(([0x41, 0xED] as [UInt8]).withUnsafeBytes { v.feed($0) })
        #expect(!([0xA0] as [UInt8]).withUnsafeBytes { v.feed($0) })
    }

    @Test func staysInvalidOnceFailed() {
        var v = UTF8Validator()
        #expect(!([0xFF] as [UInt8]).withUnsafeBytes { v.feed($0) })
        #expect(!Array("fine".utf8).withUnsafeBytes { v.feed($0) })
        #expect(!v.isAtBoundary)
    }

    @Test func findsANonASCIIByteAtAnyPositionOfALongASCIIRun() {
        // Lengths for the 128-byte, 64-byte, last-64, 8-byte and single-byte steps, alone and after
        // one another.
        for length in [63, 64, 100, 127, 128, 150, 191, 192, 300] {
            for position in 0..<length {
                var bytes = [UInt8](repeating: 0x61, count: length)
                bytes[position] = 0xFF
                #expect(!valid(bytes), "0xFF at \(position) of \(length)")
                bytes[position] = 0xC3
                if position + 1 < length { bytes[position + 1] = 0xA9 }
                #expect(valid(bytes) == (position + 1 < length), "é at \(position) of \(length)")
            }
        }
    }

    @Test func agreesWithTheStandardLibraryOnRandomBytes() {
        var rng = SeededGenerator(seed: 6455)
        // Bytes drawn mostly from the interesting ranges, so that many strings are valid.
        let pool: [UInt8] = [0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF,
                             0xF0, 0xF4, 0xF5, 0xFF]
        var validCount = 0
        for _ in 0..<3000 {
            let bytes = (0..<Int.random(in: 0...12, using: &rng)).map { _ in pool.randomElement(using: &rng)! }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(valid(bytes) == expected, "\(bytes)")
            if expected { validCount += 1 }
        }
        #expect(validCount > 100)
    }

    /// Long, mostly ASCII text with a few bytes from the interesting ranges, fed whole and in two
    /// chunks: the steps for long ASCII runs (64 bytes at a time, and the last 64 of a chunk at once)
    /// agree with the standard library wherever the other bytes fall.
    @Test func agreesWithTheStandardLibraryOnLongMostlyASCIIText() {
        var rng = SeededGenerator(seed: 3629)
        let pool: [UInt8] = [0x80, 0xBF, 0xC2, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xED, 0xF0, 0x9F, 0x98, 0x80, 0xF5]
        for _ in 0..<4000 {
            let count = Int.random(in: 0...200, using: &rng)
            let bytes = (0..<count).map { _ in
                Int.random(in: 0..<40, using: &rng) == 0 ? pool.randomElement(using: &rng)! : UInt8.random(in: 0x20...0x7E, using: &rng)
            }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(valid(bytes) == expected, "\(bytes)")
            let split = Int.random(in: 0...count, using: &rng)
            var v = UTF8Validator()
            let fed = bytes.withUnsafeBytes { all in
                v.feed(UnsafeRawBufferPointer(rebasing: all[..<split])) && v.feed(UnsafeRawBufferPointer(rebasing: all[split...]))
            }
            #expect((fed && v.isAtBoundary) == expected, "split at \(split): \(bytes)")
        }
    }

    /// Text in other scripts: characters with short runs of ASCII between them (a space, a comma, a
    /// word), and now and then a stray byte, so the step over a short run meets every kind of byte
    /// at every distance.
    @Test func agreesWithTheStandardLibraryOnTextWithShortASCIIRuns() {
        var rng = SeededGenerator(seed: 2279)
        let pieces: [[UInt8]] = ["日本語", "é", "😀", "Ж", " ", ", ", "abc", "x", "\u{10FFFF}"].map { Array($0.utf8) }
            + [[0x80], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE3, 0x81], [0xF5]]
        var validCount = 0
        for _ in 0..<4000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...40, using: &rng) {
                let stray = Int.random(in: 0..<60, using: &rng) == 0
                bytes += stray ? pieces[Int.random(in: 9..<pieces.count, using: &rng)] : pieces[Int.random(in: 0..<9, using: &rng)]
            }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(valid(bytes) == expected, "\(bytes)")
            if expected { validCount += 1 }
        }
        #expect(validCount > 1000)
    }

    /// Every lead byte with every next byte, followed by continuation bytes, inside ASCII on both
    /// sides and at both ends: the whole-character checks agree with the standard library.
    @Test func agreesWithTheStandardLibraryOnEveryTwoBytePrefix() {
        let padding = [UInt8](repeating: 0x61, count: 70)
        for lead in 0...255 {
            for next in 0...255 {
                let core: [UInt8] = [UInt8(lead), UInt8(next), 0x80, 0x80]
                for bytes in [core, padding + core, core + padding, padding + core + padding, [UInt8(lead), UInt8(next)]] {
                    let expected = String(validating: bytes, as: UTF8.self) != nil
                    if valid(bytes) != expected { Issue.record("\(bytes.prefix(80))"); return }
                }
            }
        }
    }
}
