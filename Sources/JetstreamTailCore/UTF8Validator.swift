/// Checks that bytes are well-formed UTF-8 (RFC 3629), fed in chunks of any size.
///
/// RFC 6455 §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte
/// stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket Connection_."
/// A text message may be split anywhere, even inside a character (§5.6), so the state of an
/// unfinished sequence carries from one `feed` to the next. Feeding each piece as it arrives lets the
/// reader fail as soon as the prefix can no longer become valid.
///
/// Runs of ASCII are skipped 128 bytes at a time (a run of fewer than eight between characters in
/// one word), and a multi-byte character is checked whole: the range allowed for the byte after its
/// lead is what rejects overlong forms (E0 80..9F, F0 80..8F; C0 and C1 never lead), UTF-16
/// surrogates (ED A0..BF) and code points above U+10FFFF (F4 90..BF; F5..FF never lead). Only a
/// character split between chunks is finished byte by byte, with the number of continuation bytes
/// still owed and the range the next one must fall in.
public struct UTF8Validator: Sendable {
    /// Continuation bytes still expected for the sequence in progress (0 at a character boundary).
    private var owed: UInt8 = 0
    /// Inclusive range the next continuation byte must fall in.
    private var low: UInt8 = 0x80
    private var high: UInt8 = 0xBF
    private var failed = false

    public init() {}

    /// True when the bytes so far are valid and end on a character boundary, so the text may end here.
    public var isAtBoundary: Bool { owed == 0 && !failed }

    /// Validates the next chunk. Returns false as soon as the stream is invalid, and from then on.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Bool { check(bytes) }

    /// `feed`'s work, inlined into `isValid`, where a validator that starts fresh and ends there
    /// keeps its state in registers and the checks of an unfinished character fold away.
    @inline(__always)
    private mutating func check(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !failed else { return false }
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var i = 0
        // A sequence left unfinished by the previous chunk.
        if owed > 0 {
            guard payOwed(base, &i, count) else { return fail() }
            if owed > 0 { return true }
        }
        ascii: while i < count {
            // ASCII fast path: 128 bytes at a time, then 64 (in 16-byte vectors) while none has its
            // high bit set, then whole words, then single bytes.
            while i <= count &- 128 {
                if Self.hasHighBit(Self.or64(base + i) | Self.or64(base + (i &+ 64))) { break }
                i &+= 128
            }
            if i <= count &- 64, !Self.anyHighBit(base + i) { i &+= 64 }
            // Fewer than 64 bytes left: when the last 64 of the chunk (some already checked, as
            // ASCII or as whole characters) are all ASCII, the chunk is done in one step instead
            // of word by word; otherwise on as usual.
            if count - i < 64, count >= 64, i < count {
                if !Self.anyHighBit(base + count - 64) { return true }
            }
            while i + 8 <= count {
                let highBits = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) & 0x8080_8080_8080_8080
                if highBits != 0 {
                    i += highBits.trailingZeroBitCount / 8
                    break
                }
                i += 8
            }
            while i < count, base.load(fromByteOffset: i, as: UInt8.self) < 0x80 { i += 1 }
            // A run of multi-byte characters (text in most scripts, emoji), each checked whole,
            // until the next ASCII byte sends us back to the fast path.
            while i < count {
                let lead = base.load(fromByteOffset: i, as: UInt8.self)
                // The range for the byte after the lead is what rejects overlong forms,
                // surrogates and code points above U+10FFFF; the bytes after that need only be
                // continuation bytes.
                let length: Int, first: ClosedRange<UInt8>
                switch lead {
                case 0x00...0x7F:
                    // A short run of ASCII between characters (a space, punctuation) is stepped over
                    // here; eight or more go back to the fast path.
                    if i + 8 <= count {
                        let highBits = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) & 0x8080_8080_8080_8080
                        if highBits != 0 {
                            i += highBits.trailingZeroBitCount / 8
                            continue
                        }
                    }
                    continue ascii
                case 0xC2...0xDF: length = 2; first = 0x80...0xBF
                case 0xE0: length = 3; first = 0xA0...0xBF                  // no overlong 3-byte forms
                case 0xE1...0xEC, 0xEE, 0xEF: length = 3; first = 0x80...0xBF
                case 0xED: length = 3; first = 0x80...0x9F                  // no surrogates U+D800..DFFF
                case 0xF0: length = 4; first = 0x90...0xBF                  // no overlong 4-byte forms
                case 0xF1...0xF3: length = 4; first = 0x80...0xBF
                case 0xF4: length = 4; first = 0x80...0x8F                  // nothing above U+10FFFF
                default: return fail()  // 0x80...0xC1 (stray continuation, overlong 2-byte), 0xF5...0xFF
                }
                guard i + length <= count else {
                    // The chunk ends inside this character: check what is here, owe the rest.
                    owed = UInt8(length - 1)
                    low = first.lowerBound
                    high = first.upperBound
                    i += 1
                    return payOwed(base, &i, count) || fail()
                }
                guard first.contains(base.load(fromByteOffset: i + 1, as: UInt8.self)) else { return fail() }
                if length >= 3 {
                    guard base.load(fromByteOffset: i + 2, as: UInt8.self) & 0xC0 == 0x80 else { return fail() }
                    if length == 4 {
                        guard base.load(fromByteOffset: i + 3, as: UInt8.self) & 0xC0 == 0x80 else { return fail() }
                    }
                }
                i += length
            }
        }
        return true
    }

    /// Whether any of the 64 bytes at `p` has its high bit set (is not ASCII).
    @inline(__always)
    private static func anyHighBit(_ p: UnsafeRawPointer) -> Bool { hasHighBit(or64(p)) }

    /// The 64 bytes at `p` ORed together into one 16-byte vector.
    @inline(__always)
    private static func or64(_ p: UnsafeRawPointer) -> SIMD2<UInt64> {
        let a = p.loadUnaligned(fromByteOffset: 0, as: SIMD2<UInt64>.self)
        let b = p.loadUnaligned(fromByteOffset: 16, as: SIMD2<UInt64>.self)
        let c = p.loadUnaligned(fromByteOffset: 32, as: SIMD2<UInt64>.self)
        let d = p.loadUnaligned(fromByteOffset: 48, as: SIMD2<UInt64>.self)
        return (a | b) | (c | d)
    }

    /// Whether any byte of `v` has its high bit set.
    @inline(__always)
    private static func hasHighBit(_ v: SIMD2<UInt64>) -> Bool { (v[0] | v[1]) & 0x8080_8080_8080_8080 != 0 }

    /// Checks the continuation bytes still owed, one at a time, from `i` until they are paid or the
    /// chunk ends; false at one out of range.
    private mutating func payOwed(_ base: UnsafeRawPointer, _ i: inout Int, _ count: Int) -> Bool {
        while owed > 0, i < count {
            let next = base.load(fromByteOffset: i, as: UInt8.self)
            guard next >= low && next <= high else { return false }
            i += 1
            owed -= 1
            low = 0x80
            high = 0xBF
        }
        return true
    }

    private mutating func fail() -> Bool {
        failed = true
        return false
    }

    /// Whether `bytes` on their own are complete, valid UTF-8.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var validator = UTF8Validator()
        return validator.check(bytes) && validator.isAtBoundary
    }
}
