/// Finding and replacing one string in another, for the command line, URLs and messages.
///
/// The standard library has `firstRange(of:)`, `contains(_:)` and `replacing(_:with:)` for
/// strings only in `_StringProcessing`, the module of the regex engine, which every Swift file
/// imports implicitly. Linked statically, that module adds about 1 MB resident to every run, so the
/// tool's targets are built without the implicit import (Package.swift) and use these instead.
/// Like `_StringProcessing`'s, they compare `Character`s: a match never splits a grapheme cluster.
extension StringProtocol {
    /// The first place `other` occurs; an empty `other` is found at the start.
    func firstRange(of other: some StringProtocol) -> Range<Index>? {
        guard let head = other.first else { return startIndex..<startIndex }
        var from = startIndex
        while let candidate = self[from...].firstIndex(of: head) {
            if self[candidate...].starts(with: other) { return candidate..<index(candidate, offsetBy: other.count) }
            from = index(after: candidate)
        }
        return nil
    }

    /// Whether `other` occurs.
    func contains(_ other: some StringProtocol) -> Bool {
        firstRange(of: other) != nil
    }

    /// A copy with every occurrence of `target` (not empty), left to right, replaced.
    func replacing(_ target: some StringProtocol, with replacement: some StringProtocol) -> String {
        precondition(!target.isEmpty, "replacing an empty string")
        var result = ""
        var rest = self[...]
        while let found = rest.firstRange(of: target) {
            result += rest[..<found.lowerBound]
            result += replacement
            rest = rest[found.upperBound...]
        }
        result += rest
        return result
    }
}
