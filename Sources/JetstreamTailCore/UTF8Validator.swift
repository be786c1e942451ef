/// Checks that bytes are well-formed UTF-8 (RFC 3629), fed in chunks of any size.
///
/// RFC 6455 §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte
/// stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket Connection_."
/// A text message may be split anywhere, even inside a character (§5.6), so the state of an
/// unfinished sequence carries from one `feed` to the next. Feeding each piece as it arrives lets the
/// reader fail as soon as the prefix can no longer become valid.
///
/// Runs of ASCII are skipped 32 bytes at a time. Any other byte goes through a small state machine
/// that keeps, besides the number of continuation bytes still owed, the range the next one must fall
/// in. Narrowing that range right after the lead byte is what rejects overlong forms (E0 80..9F,
/// F0 80..8F; C0 and C1 never lead), UTF-16 surrogates (ED A0..BF) and code points above U+10FFFF
/// (F4 90..BF; F5..FF never lead).
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
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !failed else { return false }
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var owed = self.owed, low = self.low, high = self.high
        var i = 0
        while i < count {
            if owed == 0 {
                // ASCII fast path: 32 bytes at a time while none has its high bit set, then whole
                // words, then skip to the first non-ASCII byte.
                while i + 32 <= count {
                    let a = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    let b = base.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
                    let c = base.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self)
                    let d = base.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self)
                    if (a | b | c | d) & 0x8080_8080_8080_8080 != 0 { break }
                    i += 32
                }
                while i + 8 <= count {
                    let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                    let highBits = word & 0x8080_8080_8080_8080
                    if highBits != 0 {
                        i += highBits.trailingZeroBitCount / 8
                        break
                    }
                    i += 8
                }
                guard i < count else { break }
                let lead = base.load(fromByteOffset: i, as: UInt8.self)
                i += 1
                switch lead {
                case 0x00...0x7F: continue
                case 0xC2...0xDF: owed = 1; low = 0x80; high = 0xBF
                case 0xE0: owed = 2; low = 0xA0; high = 0xBF             // no overlong 3-byte forms
                case 0xE1...0xEC, 0xEE, 0xEF: owed = 2; low = 0x80; high = 0xBF
                case 0xED: owed = 2; low = 0x80; high = 0x9F             // no surrogates U+D800..DFFF
                case 0xF0: owed = 3; low = 0x90; high = 0xBF             // no overlong 4-byte forms
                case 0xF1...0xF3: owed = 3; low = 0x80; high = 0xBF
                case 0xF4: owed = 3; low = 0x80; high = 0x8F             // nothing above U+10FFFF
                default: // 0x80...0xC1 (stray continuation, overlong 2-byte), 0xF5...0xFF
                    failed = true
                    return false
                }
            } else {
                let next = base.load(fromByteOffset: i, as: UInt8.self)
                i += 1
                guard next >= low && next <= high else {
                    failed = true
                    return false
                }
                owed -= 1
                low = 0x80
                high = 0xBF
            }
        }
        self.owed = owed
        self.low = low
        self.high = high
        return true
    }

    /// Whether `bytes` on their own are complete, valid UTF-8.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var validator = UTF8Validator()
        return validator.feed(bytes) && validator.isAtBoundary
    }
}
