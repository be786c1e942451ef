/// The AT Protocol handle syntax (a handle is a DNS host name such as `alice.bsky.social`), checked
/// before asking a resolver, so that a typing mistake is a usage error naming the value rather than
/// a round trip and a vague "Unable to resolve handle".
///
/// The rules are the specification's: ASCII only, at most 253 characters; at least two
/// period-separated segments ("bare" top-level domains are not handles), none empty; each segment
/// 1–63 letters, digits and hyphens, neither starting nor ending with a hyphen; the last segment
/// (the top-level domain) does not start with a digit, which also rules out IPv4 addresses.
/// Handles are case-insensitive, so they are lowercased. Top-level domains that are only refused at
/// account registration (`.local`, `.arpa`, …) are syntactically valid and left to the resolver.
public enum HandleSyntax {
    /// "can be at most 253 characters long".
    public static let maxLength = 253
    /// "Each segment must have at least 1 and at most 63 characters".
    public static let maxSegmentLength = 63

    /// The handle in its normal (lowercase) form, or why it is not one.
    public static func normalized(_ value: String) throws(HandleSyntaxError) -> String {
        if value.isEmpty { throw .empty }
        if value.hasPrefix("did:") { throw .isADID }
        for scalar in value.unicodeScalars {
            guard scalar.isASCII, isHandleByte(UInt8(scalar.value)) else { throw .invalidCharacter(Character(scalar)) }
        }
        let length = value.utf8.count
        if length > maxLength { throw .tooLong(length) }
        let segments = value.split(separator: ".", omittingEmptySubsequences: false)
        if segments.contains(where: \.isEmpty) { throw .emptySegment }
        if segments.count < 2 { throw .tooFewSegments }
        for segment in segments {
            if segment.utf8.count > maxSegmentLength { throw .segmentTooLong(String(segment)) }
            if segment.first == "-" || segment.last == "-" { throw .hyphenAtSegmentEdge(String(segment)) }
        }
        if let first = segments[segments.count - 1].utf8.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") {
            throw .topLevelStartsWithDigit(String(segments[segments.count - 1]))
        }
        return value.lowercased()
    }

    private static func isHandleByte(_ b: UInt8) -> Bool {
        let lower = b | 0x20
        return (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
            || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }
}

/// Why a `--handle` value is not a handle. Each description is the reason part of a usage message,
/// so it reads after "invalid value '…' for '--handle': ".
public enum HandleSyntaxError: Error, Equatable, CustomStringConvertible {
    /// Nothing to resolve.
    case empty
    /// A DID was given where a handle was expected; it needs no resolving.
    case isADID
    /// Handles are ASCII letters, digits, hyphens and periods ("must contain only ASCII characters").
    case invalidCharacter(Character)
    /// "can be at most 253 characters long".
    case tooLong(Int)
    /// "No proceeding or trailing ASCII periods are allowed", nor two in a row.
    case emptySegment
    /// "there must be at least two segments".
    case tooFewSegments
    /// "Each segment must have at least 1 and at most 63 characters".
    case segmentTooLong(String)
    /// Segments "can not start or end with a hyphen".
    case hyphenAtSegmentEdge(String)
    /// "The last segment (the 'top level domain') can not start with a numeric digit".
    case topLevelStartsWithDigit(String)

    public var description: String {
        switch self {
        case .empty: return "expected a handle such as alice.bsky.social"
        case .isADID: return "this is a DID, not a handle; give it with --did"
        case let .invalidCharacter(c): return "'\(c)' is not allowed in a handle (letters, digits, '-' and '.' only; write other scripts in their xn-- form)"
        case let .tooLong(n): return "a handle is at most 253 characters long, this is \(n)"
        case .emptySegment: return "a handle has no empty segments (look for '..' or a '.' at either end)"
        case .tooFewSegments: return "a handle has at least two segments, as in alice.bsky.social"
        case let .segmentTooLong(s): return "segment '\(s)' is longer than 63 characters"
        case let .hyphenAtSegmentEdge(s): return "segment '\(s)' starts or ends with '-'"
        case let .topLevelStartsWithDigit(s): return "the last segment '\(s)' starts with a digit"
        }
    }
}
