#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The `kind` of a Jetstream event (the value of its top-level `"kind"` string).
public enum EventKind: Sendable, Equatable {
    case commit, identity, account
    /// Any other string, including one written with escapes.
    case other
}

/// The `operation` of a commit event (the value of `"commit"."operation"`).
public enum CommitOperation: Sendable, Equatable {
    case create, update, delete
    /// Any other string, including one written with escapes.
    case other
}

/// What `EventScanner` learned about one event while checking it. String fields are byte ranges
/// into the scanned buffer covering the raw contents between the quotes (escapes not decoded),
/// so nothing is copied; they stay valid as long as the buffer does. A field is nil when absent
/// or of another JSON type; numbers are nil unless they are integers that fit.
public struct ScannedEvent: Sendable, Equatable {
    /// Top-level `time_us`: the server's unix-microsecond timestamp, the v1 cursor.
    public var timeUS: Int64?
    /// Top-level `cursor`: the sequence number v2 servers add.
    public var cursor: UInt64?
    public var kind: EventKind?
    /// Top-level `did`.
    public var did: Range<Int>?
    /// `commit.rev`, `commit.collection`, `commit.rkey`.
    public var rev: Range<Int>?
    public var collection: Range<Int>?
    public var rkey: Range<Int>?
    /// `commit.operation`.
    public var operation: CommitOperation?
    /// Whether the event holds raw line breaks, which must become spaces to keep it on one line.
    public var hasLineBreaks = false

    public init(timeUS: Int64? = nil, cursor: UInt64? = nil, kind: EventKind? = nil, did: Range<Int>? = nil,
                rev: Range<Int>? = nil, collection: Range<Int>? = nil, rkey: Range<Int>? = nil,
                operation: CommitOperation? = nil) {
        self.timeUS = timeUS
        self.cursor = cursor
        self.kind = kind
        self.did = did
        self.rev = rev
        self.collection = collection
        self.rkey = rkey
        self.operation = operation
    }
}

/// Picks out the few fields the tail needs — for lag, the resume cursor, filters and stats — and
/// tells whether a message is a JSON object (RFC 8259).
///
/// Every event goes through here, so both ways of reading allocate nothing, never recurse and
/// never re-encode: the event is written out as it arrived (Jetstream itself treats `record` as
/// opaque raw JSON). `scan` reads only the prefix of an event in the server's layout; `validate`
/// is the full single-pass check, which tracks nesting with a fixed bit stack and refuses anything
/// deeper than `maxDepth`, so hostile input costs at most linear time.
///
/// Fields are taken only from the top-level object and from the top-level `commit` object; a
/// `time_us` or `did` inside a `record` is data, not metadata. When a key repeats, the last
/// well-typed value wins. Keys are compared as raw bytes, so a key spelled with escapes (`"di\u0064"`)
/// is not recognised; Jetstream never escapes ASCII letters. UTF-8 validity is checked by the
/// frame layer (RFC 6455 §8.1 text frames), not here; lone `\uD800`-style surrogate escapes are
/// accepted, as the RFC 8259 grammar allows.
public enum EventScanner {
    /// The deepest nesting accepted (the top-level object counts as 1). Real events stay far below.
    public static let maxDepth = 512

    /// The event's fields, read the fast way when the event is laid out as Jetstream writes it;
    /// nil when it is not a JSON object. This is what the tail calls for every event.
    ///
    /// Jetstream's encoder writes compact JSON with the metadata first, always in one order:
    /// `{"did":…,"time_us":…,` (v2: `"cursor":…,`) `"kind":…`, and for a commit
    /// `,"commit":{"rev":…,"operation":…,"collection":…,"rkey":…` ahead of the `record`. So every
    /// field the tail needs is in a short prefix of known shape, and that prefix is matched directly
    /// (`PrefixScanner`); of the rest, only the final `}` is checked. An event of any other shape —
    /// whitespace, another key order, escapes in those strings, a number that is not a plain
    /// integer — goes through `validate` instead, so the fields never differ from a full scan's,
    /// with two exceptions that no server layout produces: a field the fast path reads that
    /// appears (again) after the prefix — a repeated key, a `cursor` after `kind` — is seen only
    /// by the full scan, and the commit's fields are read only when the kind is `commit` (the full
    /// scan reads a `commit` object whatever the kind; the tail uses them for commits alone).
    ///
    /// An event is written out as one line, so a line break (`\n`) anywhere sends it through
    /// `validate` too; `hasLineBreaks` then tells the writer to turn those breaks — whitespace
    /// between tokens, since a JSON string cannot hold a raw one — into spaces.
    ///
    /// `commitFields: false` says the caller needs no commit field (`rev`, `operation`,
    /// `collection`, `rkey`): the fast path then stops at the `"commit":{"rev":"` that follows
    /// `"kind":"commit"` and leaves them nil. Nothing else changes; the full check still reads
    /// everything.
    public static func scan(_ bytes: UnsafeRawBufferPointer, commitFields: Bool = true) -> ScannedEvent? {
        var event = ScannedEvent()
        return scan(bytes, commitFields: commitFields, into: &event) ? event : nil
    }

    /// `scan` for the hot path: fills `event` (which must start as `ScannedEvent()`) in place and
    /// says whether the bytes are a JSON object, so no optional copy of the fields is made per event.
    /// When it returns false, `event` holds nothing useful.
    @inline(__always)
    static func scan(_ bytes: UnsafeRawBufferPointer, commitFields: Bool, into event: inout ScannedEvent) -> Bool {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return false }
        let hasLineBreaks = memchr(base, 0x0A, bytes.count) != nil
        if !hasLineBreaks, scanPrefix(bytes, commitFields: commitFields, into: &event) { return true }
        guard let full = validate(bytes) else { return false }
        event = full
        event.hasLineBreaks = hasLineBreaks
        return true
    }

    /// The fast path alone: the fields when the event starts in the server's layout and ends in
    /// `}`, otherwise nil.
    static func scanPrefix(_ bytes: UnsafeRawBufferPointer, commitFields: Bool = true) -> ScannedEvent? {
        var event = ScannedEvent()
        return scanPrefix(bytes, commitFields: commitFields, into: &event) ? event : nil
    }

    @inline(__always)
    private static func scanPrefix(_ bytes: UnsafeRawBufferPointer, commitFields: Bool, into event: inout ScannedEvent) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        var prefix = PrefixScanner(p: base, n: bytes.count)
        return prefix.run(commitFields: commitFields, into: &event)
    }

    /// The event's fields, or nil when `bytes` is not exactly one JSON object with only whitespace
    /// around it (or nests deeper than `maxDepth`): the full check of every byte.
    public static func validate(_ bytes: UnsafeRawBufferPointer) -> ScannedEvent? {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: maxDepth / 64) { words in
            words.initialize(repeating: 0)
            var scanner = JSONObjectScanner(base: base, count: bytes.count, objectBits: words.baseAddress!)
            return scanner.run()
        }
    }
}

/// The fast path of `EventScanner.scan`: matches the prefix Jetstream's encoder writes, literal
/// by literal, eight bytes at a time, and reads the fields in it. Any mismatch returns nil and the
/// event goes to the full scan, so this only has to be right about events it accepts.
private struct PrefixScanner {
    let p: UnsafeRawPointer
    let n: Int
    var i = 0

    @inline(__always) func byte(_ k: Int) -> UInt8 { p.load(fromByteOffset: k, as: UInt8.self) }

    /// Fills `event` and returns true when the prefix matches; false (with `event` partly filled)
    /// sends the event to the full scan.
    @inline(__always) mutating func run(commitFields: Bool, into event: inout ScannedEvent) -> Bool {
        guard n >= 2, byte(n - 1) == UInt8(ascii: "}"), literal("{\"did\":\"") else { return false }
        guard let did = didString(), literal("\",\"time_us\":"), let time = integer(),
              time <= UInt64(Int64.max) else { return false }
        event.did = did
        event.timeUS = Int64(time)
        // `kind` comes next from a v1 server, `cursor` and then `kind` from a v2 one.
        if !literal(",\"kind\":\"") {
            guard literal(",\"cursor\":"), let cursor = integer() else { return false }
            event.cursor = cursor
            guard literal(",\"kind\":\"") else { return false }
        }
        // The common values are matched together with what follows them.
        guard literal("commit\",\"commit\":{\"rev\":\"") else {
            guard let kind = plainString() else { return false }
            event.kind = eventKind(p, kind.lowerBound, kind.count)
            return event.kind != .commit  // a commit laid out otherwise: the full scan
        }
        event.kind = .commit
        if !commitFields { return true }
        guard let rev = plainString(), literal("\",\"operation\":\"") else { return false }
        if literal("create\",\"collection\":\"") {
            event.operation = .create
        } else if literal("delete\",\"collection\":\"") {
            event.operation = .delete
        } else if literal("update\",\"collection\":\"") {
            event.operation = .update
        } else {
            guard plainString() != nil, literal("\",\"collection\":\"") else { return false }
            event.operation = .other
        }
        guard let collection = plainString(), literal("\",\"rkey\":\""), let rkey = plainString(),
              i + 1 < n, byte(i + 1) == UInt8(ascii: ",") || byte(i + 1) == UInt8(ascii: "}") else { return false }
        event.rev = rev
        event.collection = collection
        event.rkey = rkey
        return true
    }

    /// Whether the bytes at `i` spell `word` (at least 8 bytes long), compared as two possibly
    /// overlapping words; moves past them when they do.
    @inline(__always) mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard n - i >= count else { return false }
        let w = UnsafeRawPointer(word.utf8Start)
        var k = 0
        while k + 8 < count {
            guard p.loadUnaligned(fromByteOffset: i + k, as: UInt64.self) == w.loadUnaligned(fromByteOffset: k, as: UInt64.self)
            else { return false }
            k += 8
        }
        guard p.loadUnaligned(fromByteOffset: i + count - 8, as: UInt64.self)
                == w.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self) else { return false }
        i += count
        return true
    }

    /// The event's DID: `plainString()`, first trying 32 bytes, the length of a `did:plc:` DID,
    /// which nearly every event carries. When the quote is there and none of the 32 bytes before
    /// it is a quote or a backslash, that is the string, read in one step.
    @inline(__always) mutating func didString() -> Range<Int>? {
        if n - i > 32, byte(i + 32) == UInt8(ascii: "\"") {
            let found = Self.quotesAndBackslashes(p.loadUnaligned(fromByteOffset: i, as: SIMD2<UInt64>.self))
                | Self.quotesAndBackslashes(p.loadUnaligned(fromByteOffset: i + 16, as: SIMD2<UInt64>.self))
            if found[0] | found[1] == 0 {
                let start = i
                i += 32
                return start..<i
            }
        }
        return plainString()
    }

    /// The contents of a string without escapes, from `i` up to the closing quote, where `i`
    /// stops; nil when the string holds a backslash or does not end. (Control characters are not
    /// looked for: the rest of the event is not validated either, and the line break, the one that
    /// would matter to the output, has already sent the event to the full scan.)
    @inline(__always) mutating func plainString() -> Range<Int>? {
        let start = i
        // Sixteen bytes at a time.
        while i + 16 <= n {
            let found = Self.quotesAndBackslashes(p.loadUnaligned(fromByteOffset: i, as: SIMD2<UInt64>.self))
            if found[0] | found[1] != 0 {
                #if _endian(little)
                // The lowest flagged byte is always a real match (borrows only run upward).
                i += found[0] != 0 ? found[0].trailingZeroBitCount >> 3 : 8 + found[1].trailingZeroBitCount >> 3
                #endif
                return byte(i) == UInt8(ascii: "\"") ? start..<i : nil
            }
            i += 16
        }
        while i < n {
            let c = byte(i)
            if c == UInt8(ascii: "\"") { return start..<i }
            if c == UInt8(ascii: "\\") { return nil }
            i += 1
        }
        return nil
    }

    /// The high bit of each byte of `w` that is a quote or a backslash, and possibly of bytes above
    /// one: the classic SWAR zero-byte test, in both halves of a vector. So zero means neither is
    /// there, and the lowest flagged byte is always a real one (borrows only run upward).
    @inline(__always) static func quotesAndBackslashes(_ w: SIMD2<UInt64>) -> SIMD2<UInt64> {
        let ones = SIMD2<UInt64>(repeating: 0x0101_0101_0101_0101)
        let quote = w ^ SIMD2(repeating: 0x2222_2222_2222_2222)
        let backslash = w ^ SIMD2(repeating: 0x5C5C_5C5C_5C5C_5C5C)
        return ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash) & SIMD2(repeating: 0x8080_8080_8080_8080)
    }

    /// A non-negative JSON integer of at most 18 digits (so it cannot overflow), which must be
    /// followed by something; nil for anything else, which the full scan then judges. Eight
    /// digits at a time while there are eight (a `time_us` has sixteen).
    @inline(__always) mutating func integer() -> UInt64? {
        let start = i
        var value: UInt64 = 0
        #if _endian(little)
        // Sixteen digits and then something else, the shape of every `time_us` for centuries to
        // come: both words checked at once.
        if i + 17 <= n {
            let w = p.loadUnaligned(fromByteOffset: i, as: SIMD2<UInt64>.self)
            let high = SIMD2<UInt64>(repeating: 0xF0F0_F0F0_F0F0_F0F0)
            let off = ((w & high) | ((w &+ SIMD2(repeating: 0x0606_0606_0606_0606)) & high) &>> 4)
                ^ SIMD2(repeating: 0x3333_3333_3333_3333)
            if off[0] | off[1] == 0, byte(i + 16) &- 0x30 >= 10, byte(i) != UInt8(ascii: "0") {
                i += 16
                return Self.eightDigits(w[0]) &* 100_000_000 &+ Self.eightDigits(w[1])
            }
        }
        while i + 8 <= n {
            let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            // Every byte 0x30...0x39: its high nibble is 3, and adding 6 does not carry out of it.
            let high: UInt64 = 0xF0F0_F0F0_F0F0_F0F0
            guard (w & high) | ((w &+ 0x0606_0606_0606_0606) & high) >> 4 == 0x3333_3333_3333_3333 else { break }
            value = value &* 100_000_000 &+ Self.eightDigits(w)
            i += 8
        }
        #endif
        while i < n {
            let d = byte(i) &- 0x30
            guard d < 10 else { break }
            value = value &* 10 &+ UInt64(d)
            i += 1
        }
        let digits = i - start
        guard digits >= 1, digits <= 18, digits == 1 || byte(start) != UInt8(ascii: "0"), i < n else { return nil }
        return value
    }

    /// The value of eight ASCII digits loaded little-endian (the first digit in the lowest byte):
    /// pairs, then fours, then all eight combined by multiplying and shifting.
    @inline(__always) static func eightDigits(_ w: UInt64) -> UInt64 {
        var v = w & 0x0F0F_0F0F_0F0F_0F0F
        v = (v &* (10 << 8 + 1)) >> 8 & 0x00FF_00FF_00FF_00FF
        v = (v &* (100 << 16 + 1)) >> 16 & 0x0000_FFFF_0000_FFFF
        return (v &* (10_000 << 32 + 1)) >> 32
    }

}

/// Whether the `length` bytes at `p + start` spell `word` (the caller checked they exist).
@inline(__always) private func spells(_ p: UnsafeRawPointer, _ start: Int, _ length: Int, _ word: StaticString) -> Bool {
    guard length == word.utf8CodeUnitCount else { return false }
    let w = word.utf8Start
    for k in 0..<length where p.load(fromByteOffset: start + k, as: UInt8.self) != w[k] { return false }
    return true
}

/// The kind a `kind` value names, from its raw bytes (without escapes).
@inline(__always) private func eventKind(_ p: UnsafeRawPointer, _ start: Int, _ length: Int) -> EventKind {
    spells(p, start, length, "commit") ? .commit
        : spells(p, start, length, "identity") ? .identity
        : spells(p, start, length, "account") ? .account : .other
}

/// Which extracted field the value being scanned belongs to.
private enum Field {
    case none, did, timeUS, cursor, kind, commit, rev, collection, rkey, operation
}

/// One scan: the cursor into the bytes plus the nesting state. An iterative JSON parser whose
/// stack is one bit per level (object or array), kept in caller-provided words.
private struct JSONObjectScanner {
    let p: UnsafeRawPointer
    let n: Int
    /// Bit `d` tells whether the container at depth `d + 1` is an object.
    let objectBits: UnsafeMutablePointer<UInt64>
    var i = 0
    var depth = 0
    /// The member whose value comes next, when it is one we extract.
    var field = Field.none
    /// Whether the open depth-2 container is the top-level `commit` object.
    var inCommit = false
    var event = ScannedEvent()

    init(base: UnsafeRawPointer, count: Int, objectBits: UnsafeMutablePointer<UInt64>) {
        p = base
        n = count
        self.objectBits = objectBits
    }

    @inline(__always) func byte(_ k: Int) -> UInt8 { p.load(fromByteOffset: k, as: UInt8.self) }

    mutating func run() -> ScannedEvent? {
        skipWhitespace()
        guard i < n, byte(i) == UInt8(ascii: "{") else { return nil }
        value: while true {
            // A value is due at `i` (after optional whitespace).
            skipWhitespace()
            guard i < n else { return nil }
            switch byte(i) {
            case UInt8(ascii: "{"):
                guard depth < EventScanner.maxDepth else { return nil }
                if depth == 1, field == .commit { inCommit = true }
                push(object: true)
                skipWhitespace()
                guard i < n else { return nil }
                if byte(i) == UInt8(ascii: "\"") {
                    guard member() else { return nil }
                    continue value
                }
                // Only `}` may follow `{` here; the loop below consumes it.
                guard byte(i) == UInt8(ascii: "}") else { return nil }
            case UInt8(ascii: "["):
                guard depth < EventScanner.maxDepth else { return nil }
                push(object: false)
                field = .none
                skipWhitespace()
                guard i < n else { return nil }
                if byte(i) != UInt8(ascii: "]") { continue value }
            case UInt8(ascii: "\""):
                let start = i + 1
                guard let escaped = skipString() else { return nil }
                if field != .none { assignString(start..<(i - 1), escaped: escaped) }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = i
                guard skipNumber() else { return nil }
                if field == .timeUS || field == .cursor { assignInteger(start..<i) }
            case UInt8(ascii: "t"):
                guard skipLiteral("true") else { return nil }
            case UInt8(ascii: "f"):
                guard skipLiteral("false") else { return nil }
            case UInt8(ascii: "n"):
                guard skipLiteral("null") else { return nil }
            default:
                return nil
            }

            // A value ended: read separators and closing brackets until the next value is due.
            while true {
                skipWhitespace()
                guard i < n else { return nil }
                let c = byte(i)
                i += 1
                if isObject(depth) {
                    if c == UInt8(ascii: ",") {
                        skipWhitespace()
                        guard i < n, byte(i) == UInt8(ascii: "\""), member() else { return nil }
                        continue value
                    }
                    guard c == UInt8(ascii: "}") else { return nil }
                } else {
                    if c == UInt8(ascii: ",") {
                        field = .none
                        continue value
                    }
                    guard c == UInt8(ascii: "]") else { return nil }
                }
                if depth == 2 { inCommit = false }
                depth -= 1
                if depth == 0 {
                    skipWhitespace()
                    return i == n ? event : nil
                }
            }
        }
    }

    // MARK: Nesting

    @inline(__always) mutating func push(object: Bool) {
        let word = depth >> 6
        let bit = UInt64(1) << UInt64(depth & 63)
        objectBits[word] = object ? objectBits[word] | bit : objectBits[word] & ~bit
        depth += 1
        i += 1
    }

    /// Whether the container at `level` (1-based) is an object.
    @inline(__always) func isObject(_ level: Int) -> Bool {
        let d = level - 1
        return objectBits[d >> 6] & (UInt64(1) << UInt64(d & 63)) != 0
    }

    // MARK: Tokens

    @inline(__always) mutating func skipWhitespace() {
        while i < n {
            let c = byte(i)
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    /// `string = quotation-mark *char quotation-mark` (RFC 8259 §7). `i` is at the opening quote
    /// and ends after the closing one. Returns whether an escape occurred, or nil when the string
    /// is unterminated, has a bad escape, or holds a raw control character ("All Unicode characters
    /// may be placed within the quotation marks, except for the characters that MUST be escaped:
    /// quotation mark, reverse solidus, and the control characters (U+0000 through U+001F)").
    @inline(__always) mutating func skipString() -> Bool? {
        i += 1
        var escaped = false
        while true {
            // Eight bytes at a time while none is a quote, a backslash or below 0x20.
            while i + 8 <= n {
                let special = Self.specialBytes(p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                if special != 0 {
                    #if _endian(little)
                    // The lowest flagged byte is always a real match (borrows only run upward).
                    i += special.trailingZeroBitCount >> 3
                    #endif
                    break
                }
                i += 8
            }
            guard i < n else { return nil }
            let c = byte(i)
            if c == UInt8(ascii: "\"") {
                i += 1
                return escaped
            }
            if c == UInt8(ascii: "\\") {
                escaped = true
                guard i + 1 < n else { return nil }
                switch byte(i + 1) {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    guard i + 6 <= n, Self.isHex(byte(i + 2)), Self.isHex(byte(i + 3)),
                          Self.isHex(byte(i + 4)), Self.isHex(byte(i + 5)) else { return nil }
                    i += 6
                default:
                    return nil
                }
                continue
            }
            if c < 0x20 { return nil }
            i += 1
        }
    }

    /// The high bit of each byte of `w` that is `"`, `\` or below 0x20 (plus, possibly, bits for
    /// bytes after such a match). The zero-byte and less-than tests are the classic SWAR ones.
    @inline(__always) static func specialBytes(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quote = w ^ (ones &* 0x22)
        let backslash = w ^ (ones &* 0x5C)
        let hasQuote = (quote &- ones) & ~quote
        let hasBackslash = (backslash &- ones) & ~backslash
        let hasControl = (w &- ones &* 0x20) & ~w
        return (hasQuote | hasBackslash | hasControl) & (ones &* 0x80)
    }

    @inline(__always) static func isHex(_ c: UInt8) -> Bool {
        c &- 0x30 < 10 || (c | 0x20) &- 0x61 < 6
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

    /// `number = [ minus ] int [ frac ] [ exp ]`, `int = zero / ( digit1-9 *DIGIT )` (RFC 8259 §6).
    /// A leading zero ends the int, so `01` fails at the `1` where a separator is due.
    @inline(__always) mutating func skipNumber() -> Bool {
        if byte(i) == UInt8(ascii: "-") {
            i += 1
            guard i < n else { return false }
        }
        let first = byte(i)
        guard Self.isDigit(first) else { return false }
        i += 1
        if first != UInt8(ascii: "0") {
            while i < n, Self.isDigit(byte(i)) { i += 1 }
        }
        if i < n, byte(i) == UInt8(ascii: ".") {
            i += 1
            guard i < n, Self.isDigit(byte(i)) else { return false }
            while i < n, Self.isDigit(byte(i)) { i += 1 }
        }
        if i < n, byte(i) | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < n, byte(i) == UInt8(ascii: "+") || byte(i) == UInt8(ascii: "-") { i += 1 }
            guard i < n, Self.isDigit(byte(i)) else { return false }
            while i < n, Self.isDigit(byte(i)) { i += 1 }
        }
        return true
    }

    @inline(__always) mutating func skipLiteral(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard n - i >= count, matches(i, count, word) else { return false }
        i += count
        return true
    }

    /// `member = string name-separator value`: reads the name and the colon, and notes whether the
    /// value is one we extract. `i` is at the name's opening quote.
    @inline(__always) mutating func member() -> Bool {
        let start = i + 1
        guard let escaped = skipString() else { return false }
        field = escaped ? .none : classify(start, i - 1 - start)
        skipWhitespace()
        guard i < n, byte(i) == UInt8(ascii: ":") else { return false }
        i += 1
        return true
    }

    // MARK: Fields

    @inline(__always) func classify(_ start: Int, _ length: Int) -> Field {
        if depth == 1 {
            switch length {
            case 3: return matches(start, 3, "did") ? .did : .none
            case 4: return matches(start, 4, "kind") ? .kind : .none
            case 6:
                if matches(start, 6, "commit") { return .commit }
                return matches(start, 6, "cursor") ? .cursor : .none
            case 7: return matches(start, 7, "time_us") ? .timeUS : .none
            default: return .none
            }
        }
        if depth == 2, inCommit {
            switch length {
            case 3: return matches(start, 3, "rev") ? .rev : .none
            case 4: return matches(start, 4, "rkey") ? .rkey : .none
            case 9: return matches(start, 9, "operation") ? .operation : .none
            case 10: return matches(start, 10, "collection") ? .collection : .none
            default: return .none
            }
        }
        return .none
    }

    @inline(__always) func matches(_ start: Int, _ length: Int, _ word: StaticString) -> Bool {
        spells(p, start, length, word)
    }

    mutating func assignString(_ range: Range<Int>, escaped: Bool) {
        let start = range.lowerBound, length = range.count
        switch field {
        case .did: event.did = range
        case .rev: event.rev = range
        case .collection: event.collection = range
        case .rkey: event.rkey = range
        case .kind:
            event.kind = escaped ? .other : eventKind(p, start, length)
        case .operation:
            event.operation = escaped ? .other
                : matches(start, length, "create") ? .create
                : matches(start, length, "update") ? .update
                : matches(start, length, "delete") ? .delete : .other
        default: break
        }
    }

    /// Stores `time_us` or `cursor` when the number (already validated) is an integer in range.
    mutating func assignInteger(_ range: Range<Int>) {
        var k = range.lowerBound
        let negative = byte(k) == UInt8(ascii: "-")
        if negative { k += 1 }
        var magnitude: UInt64 = 0
        while k < range.upperBound {
            let d = byte(k) &- 0x30
            guard d < 10 else { return }  // a fraction or exponent: not an integer
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(d))
            guard !o1, !o2 else { return }
            magnitude = sum
            k += 1
        }
        if field == .cursor {
            guard !negative || magnitude == 0 else { return }
            event.cursor = magnitude
        } else if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return }
            event.timeUS = magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        } else {
            guard magnitude <= UInt64(Int64.max) else { return }
            event.timeUS = Int64(magnitude)
        }
    }
}
