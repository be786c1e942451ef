/// "Did you mean" for misspelt options: the closest known name by edit distance, or by unique prefix.
enum Suggestion {
    /// The candidate nearest to `input`, or nil when none is plausibly what was meant.
    ///
    /// A candidate qualifies if `input` is a prefix of it and of no other candidate (`--coll`), or if
    /// their edit distance is at most a third of the candidate's length, and at least 1 (`--colection`,
    /// `--limt`, `--hsot`). Comparison ignores case. Ties go to the earlier candidate, which keeps the
    /// answer stable as the flag table grows.
    static func closest(to input: String, among candidates: [String]) -> String? {
        let typed = Array(input.lowercased().unicodeScalars)
        guard !typed.isEmpty else { return nil }
        var best: (name: String, distance: Int)? = nil
        for candidate in candidates {
            let d = distance(typed, Array(candidate.lowercased().unicodeScalars))
            if d <= max(1, candidate.unicodeScalars.count / 3), d < (best?.distance ?? .max) {
                best = (candidate, d)
            }
        }
        if let best { return best.name }
        let prefixed = candidates.filter { $0.lowercased().hasPrefix(input.lowercased()) }
        return prefixed.count == 1 ? prefixed[0] : nil
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
    /// neighbouring characters each cost 1, so a transposition (`--hsot`) counts as one mistake.
    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        let width = b.count + 1
        var d = [Int](repeating: 0, count: (a.count + 1) * width)
        for i in 0...a.count { d[i * width] = i }
        for j in 0...b.count { d[j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var v = min(d[(i - 1) * width + j] + 1, d[i * width + j - 1] + 1, d[(i - 1) * width + j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    v = min(v, d[(i - 2) * width + j - 2] + 1)
                }
                d[i * width + j] = v
            }
        }
        return d[a.count * width + b.count]
    }
}
