/// Extends a trained BPE vocabulary to an exact size when its training text runs out of pairs
/// (the bundled corpus gives about a thousand merges; the `small` benchmark model needs 32k ranks
/// so its embedding and lm_head have the benchmark's cost). Filler ranks are concatenations of
/// earlier tokens, in a fixed order: valid tiktoken entries that the trained merges rarely or
/// never produce, so encoding stays the trained BPE.
public enum VocabularyPadding {
    public static func padded(_ tokens: [[UInt8]], to size: Int) -> (tokens: [[UInt8]], filler: Int) {
        guard tokens.count < size else { return (tokens, 0) }
        var result = tokens
        var seen = Set(tokens)
        let trained = tokens.count
        var i = 256, j = 0
        if trained <= 256 { i = 0 }
        while result.count < size {
            let candidate = result[i] + result[j]
            if seen.insert(candidate).inserted { result.append(candidate) }
            j += 1
            if j > i { i += 1; j = 0 }
        }
        return (result, size - trained)
    }
}
