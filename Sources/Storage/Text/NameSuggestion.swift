/// "Did you mean …?" for every user-typed name kimi-sft checks (CLI options, recipe keys, LoRA
/// targets): the closest candidate by edit distance, when close enough to be a plausible typo.
public enum NameSuggestion {
    public static func nearest(_ word: String, in candidates: [String]) -> String? {
        var best: (name: String, distance: Int)?
        for candidate in candidates.sorted() {
            let d = editDistance(Array(word.unicodeScalars), Array(candidate.unicodeScalars))
            if d <= max(2, word.unicodeScalars.count / 3), best == nil || d < best!.distance { best = (candidate, d) }
        }
        return best?.name
    }

    /// Levenshtein distance over Unicode scalars.
    public static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
