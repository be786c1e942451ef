/// Syntax checks for the identifiers a subscription names: collection filters (NSIDs or `prefix.*`)
/// and DIDs.
///
/// Jetstream answers a malformed `wantedCollections` or `wantedDids` value with HTTP 400 and a terse
/// body, so the CLI checks them first and says which value is wrong and why. The rules follow the
/// AT Protocol NSID and DID specifications as the server applies them: it parses each exact NSID and
/// DID strictly, but stores the part before a trailing `.*` without checking it. Where the server's
/// parser and the current specification differ, the looser of the two is used, so that a filter the
/// server accepts is never refused here.
public enum IdentifierSyntax {
    /// An NSID is a domain authority of at most 253 characters, a period, and a name of at most 63.
    public static let maxNSIDLength = 317
    /// The AT Protocol's hard limit: "there is an initial hard limit of 2 KB".
    public static let maxDIDLength = 2048
    /// A DNS label and an NSID name segment are at most 63 characters.
    public static let maxSegmentLength = 63

    /// Checks one `--collection` value: an exact NSID such as `app.bsky.feed.post`, or a prefix
    /// followed by `.*` such as `app.bsky.*`.
    ///
    /// The server treats any value ending in `.*` as a prefix and does not validate it; anything else
    /// must parse as an NSID. A prefix is checked loosely here (non-empty segments of letters, digits
    /// and hyphens) only to catch typing mistakes that could never match a collection.
    public static func validateCollection(_ value: String) throws(IdentifierError) {
        if value == "*" { throw .bareWildcard }
        if value.hasSuffix(".*") {
            let prefix = value.dropLast(2)
            if prefix.contains("*") { throw .misplacedWildcard }
            try checkCharacters(prefix)
            if prefix.utf8.count > maxNSIDLength { throw .nsidTooLong(prefix.utf8.count) }
            for segment in prefix.split(separator: ".", omittingEmptySubsequences: false) {
                if segment.isEmpty { throw .emptySegment }
                if segment.utf8.count > maxSegmentLength { throw .segmentTooLong(String(segment)) }
            }
            return
        }
        if value.contains("*") { throw .misplacedWildcard }
        try validateNSID(value)
    }

    /// Checks an exact NSID against the AT Protocol rules: at least three period-separated segments;
    /// authority segments of 1–63 letters, digits and hyphens, neither starting nor ending with a
    /// hyphen, the first not starting with a digit; a name segment that starts with a letter and holds
    /// only letters and digits; 317 characters in all.
    public static func validateNSID(_ value: String) throws(IdentifierError) {
        if value.isEmpty { throw .emptyNSID }
        try checkCharacters(Substring(value))
        let length = value.utf8.count
        if length > maxNSIDLength { throw .nsidTooLong(length) }
        let segments = value.split(separator: ".", omittingEmptySubsequences: false)
        if segments.contains(where: \.isEmpty) { throw .emptySegment }
        if segments.count < 3 { throw .tooFewSegments }
        for segment in segments where segment.utf8.count > maxSegmentLength {
            throw .segmentTooLong(String(segment))
        }
        for segment in segments.dropLast() {
            if segment.first == "-" || segment.last == "-" { throw .hyphenAtSegmentEdge(String(segment)) }
        }
        if let first = segments[0].utf8.first, isDigit(first) { throw .topLevelStartsWithDigit(String(segments[0])) }
        let name = segments[segments.count - 1]
        // The specification allows digits in the name after its first letter; older server builds
        // allowed letters only. The looser rule is kept (see the type's documentation).
        guard let head = name.utf8.first, isLetter(head), !name.utf8.contains(UInt8(ascii: "-")) else {
            throw .invalidName(String(name))
        }
    }

    /// Checks a DID against the AT Protocol's generic DID syntax (`did:<method>:<identifier>`): the
    /// method is lowercase letters; the identifier uses letters, digits and `._:%-` and "may not end
    /// in `:`", nor in `%`; at most 2048 characters. The method itself (plc, web, …) is not checked,
    /// as the server does not check it either.
    public static func validateDID(_ value: String) throws(IdentifierError) {
        let bytes = value.utf8
        if bytes.count > maxDIDLength { throw .didTooLong(bytes.count) }
        guard value.hasPrefix("did:") else { throw .didMissingPrefix }
        let afterPrefix = value.utf8.dropFirst(4)
        guard let colon = afterPrefix.firstIndex(of: UInt8(ascii: ":")),
              colon != afterPrefix.startIndex,
              afterPrefix[..<colon].allSatisfy({ $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") })
        else { throw .didInvalidMethod }
        let identifier = value[value.utf8.index(after: colon)...]
        guard let last = identifier.unicodeScalars.last else { throw .didEmptyIdentifier }
        for scalar in identifier.unicodeScalars where !isDIDCharacter(scalar) {
            throw .didInvalidCharacter(Character(scalar))
        }
        if last == ":" || last == "%" { throw .didBadEnding }
    }

    private static func checkCharacters(_ s: Substring) throws(IdentifierError) {
        for scalar in s.unicodeScalars {
            guard scalar.isASCII, isNSIDByte(UInt8(scalar.value)) else { throw .nsidInvalidCharacter(Character(scalar)) }
        }
    }

    private static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") }
    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
    private static func isNSIDByte(_ b: UInt8) -> Bool {
        isLetter(b) || isDigit(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
    }
    private static func isDIDCharacter(_ s: Unicode.Scalar) -> Bool {
        guard s.isASCII else { return false }
        let b = UInt8(s.value)
        return isLetter(b) || isDigit(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "_")
            || b == UInt8(ascii: ":") || b == UInt8(ascii: "%") || b == UInt8(ascii: "-")
    }
}

/// Why a collection filter or DID would be refused by the server (HTTP 400). Each description is the
/// reason part of a usage message, so it reads after "invalid value '…' for '--collection': ".
public enum IdentifierError: Error, Equatable, CustomStringConvertible {
    /// An empty string is not an NSID.
    case emptyNSID
    /// A lone `*` is not a filter the server accepts; no filter at all means every collection.
    case bareWildcard
    /// `*` may only stand as the whole last segment (`app.bsky.*`), never inside one (`app.bsky.fo*`).
    case misplacedWildcard
    /// NSIDs use ASCII letters, digits, hyphens and periods only.
    case nsidInvalidCharacter(Character)
    /// "the NSID must have at least 3 segments, and can have a maximum total length of 317 characters".
    case nsidTooLong(Int)
    /// Two periods in a row, or a leading or trailing period.
    case emptySegment
    /// "the NSID must have at least 3 segments".
    case tooFewSegments
    /// "Each segment must have at least 1 and at most 63 characters".
    case segmentTooLong(String)
    /// "Segments can not start or end with a hyphen."
    case hyphenAtSegmentEdge(String)
    /// "The first segment (the "top level domain") can not start with a numeric digit".
    case topLevelStartsWithDigit(String)
    /// The name segment starts with a letter and holds only letters and digits.
    case invalidName(String)
    /// "The URI starts with lowercase `did:`".
    case didMissingPrefix
    /// "The method segment is one or more lowercase letters (`a-z`), followed by `:`".
    case didInvalidMethod
    /// Nothing follows the method.
    case didEmptyIdentifier
    /// DIDs use letters, digits and `._:%-` only.
    case didInvalidCharacter(Character)
    /// "The URI (and thus the remaining identifier) may not end in `:`", nor in `%`.
    case didBadEnding
    /// "there is an initial hard limit of 2 KB".
    case didTooLong(Int)

    public var description: String {
        switch self {
        case .emptyNSID:
            return "expected an NSID such as app.bsky.feed.post"
        case .bareWildcard:
            return "'*' alone is not a filter; leave out --collection to receive every collection"
        case .misplacedWildcard:
            return "'*' may only be the whole last segment, as in app.bsky.*"
        case let .nsidInvalidCharacter(c):
            return "'\(c)' is not allowed in an NSID (letters, digits, '-' and '.' only)"
        case let .nsidTooLong(n):
            return "an NSID is at most 317 characters long, this is \(n)"
        case .emptySegment:
            return "an NSID has no empty segments (look for '..' or a '.' at either end)"
        case .tooFewSegments:
            return "an NSID has at least three segments, as in app.bsky.feed.post"
        case let .segmentTooLong(s):
            return "segment '\(s)' is longer than 63 characters"
        case let .hyphenAtSegmentEdge(s):
            return "segment '\(s)' starts or ends with '-'"
        case let .topLevelStartsWithDigit(s):
            return "the first segment '\(s)' starts with a digit"
        case let .invalidName(s):
            return "the last segment '\(s)' must be a letter followed by letters or digits"
        case .didMissingPrefix:
            return "a DID starts with 'did:', as in did:plc:z72i7hdynmk6r22z27h6tvur (for a handle such as bsky.app, use --handle)"
        case .didInvalidMethod:
            return "'did:' must be followed by a lowercase method name and ':', as in did:plc:"
        case .didEmptyIdentifier:
            return "nothing follows the DID method"
        case let .didInvalidCharacter(c):
            return "'\(c)' is not allowed in a DID (letters, digits and '._:%-' only)"
        case .didBadEnding:
            return "a DID cannot end with ':' or '%'"
        case let .didTooLong(n):
            return "a DID is at most 2048 characters long, this is \(n)"
        }
    }
}
