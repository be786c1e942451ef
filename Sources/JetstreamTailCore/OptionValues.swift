#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Conversions from option text to typed values, each throwing a `UsageError` that names the option
/// and says what form was expected.
///
/// The grammars are deliberately narrow: plain decimal digits, no hexadecimal, exponents, `inf` or
/// `nan` (which Swift's numeric initialisers would accept), so that what the man page documents is
/// exactly what is accepted.
enum OptionValue {
    /// A base-10 integer with an optional leading `-` (accepted here so that range checks can say
    /// "must be at least 0" rather than "not a number").
    static func wholeNumber(_ text: String, option: String) throws(UsageError) -> Int64 {
        let digits = text.hasPrefix("-") ? text.utf8.dropFirst() : text.utf8[...]
        guard !digits.isEmpty, digits.allSatisfy(isDigit) else {
            throw .invalidValue(text, option: option, reason: "expected a whole number")
        }
        guard let n = Int64(text) else { throw .invalidValue(text, option: option, reason: "number too large") }
        return n
    }

    /// A non-negative decimal number of seconds: `10`, `2.5`, `.5` or `1.`.
    static func seconds(_ text: String, option: String) throws(UsageError) -> Double {
        let reason = "expected a number of seconds, such as 10 or 2.5"
        let parts = text.utf8.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.contains(where: { !$0.isEmpty }),
              parts.allSatisfy({ $0.allSatisfy(isDigit) }),
              let value = Double(text), value.isFinite
        else { throw .invalidValue(text, option: option, reason: reason) }
        return value
    }

    /// A byte count: digits, optionally followed by `K`, `M` or `G` (or `KiB`, `MiB`, `GiB`, in any
    /// case), all meaning powers of 1024. `MB` and friends are refused rather than guessed at, since
    /// they conventionally mean powers of 1000.
    static func byteCount(_ text: String, option: String) throws(UsageError) -> Int64 {
        let reason = "expected a byte count such as 65536, 512K or 4MiB"
        let digitEnd = text.utf8.firstIndex(where: { !isDigit($0) }) ?? text.utf8.endIndex
        let digits = text[..<digitEnd]
        guard !digits.isEmpty, let n = Int64(digits) else {
            throw .invalidValue(text, option: option, reason: reason)
        }
        let shift: Int64
        switch text[digitEnd...].lowercased() {
        case "": shift = 0
        case "k", "kib": shift = 10
        case "m", "mib": shift = 20
        case "g", "gib": shift = 30
        default: throw .invalidValue(text, option: option, reason: reason)
        }
        // Anything past 2^53 is far above every maximum; clamp rather than overflow.
        return n >= (Int64(1) << (53 - shift)) ? Int64(1) << 53 : n << shift
    }

    /// A path to a regular file this process can open for reading, checked now so that a typo fails
    /// before any connection rather than at the TLS handshake.
    static func readableFile(_ path: String, option: String) throws(UsageError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw .unreadableFile(path, option: option, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw .unreadableFile(path, option: option, reason: String(cString: strerror(errno)))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw .unreadableFile(path, option: option, reason: String(cString: strerror(EISDIR)))
        }
        return path
    }

    /// Formats a byte count the way `byteCount` reads it: `4MiB`, `1KiB`, or plain digits.
    static func formatBytes(_ n: Int64) -> String {
        for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] where n >= Int64(1) << shift && n % (Int64(1) << shift) == 0 {
            return "\(n >> shift)\(unit)"
        }
        return "\(n)"
    }

    /// Formats seconds the way `seconds` reads them: `10`, `2.5`.
    static func formatSeconds(_ s: Double) -> String {
        s == s.rounded() && abs(s) < 1e15 ? String(Int64(s)) : String(s)
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
}
