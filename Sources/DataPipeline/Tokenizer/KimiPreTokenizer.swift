/// Kimi's pre-tokenizer regex (KIMI-FORMAT.md §6), hand-written over Unicode scalars with the
/// leftmost-first backtracking semantics of the regex engine tiktoken uses:
///
///     1 [\p{Han}]+
///     2 [^\r\n\p{L}\p{N}]? UPPER* LOWER+ CONTRACTION?
///     3 [^\r\n\p{L}\p{N}]? UPPER+ LOWER* CONTRACTION?
///     4 \p{N}{1,3}
///     5 ' '?[^\s\p{L}\p{N}]+[\r\n]*
///     6 \s*[\r\n]+
///     7 \s+(?!\S)
///     8 \s+
///
/// UPPER = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]], LOWER = [\p{Ll}\p{Lm}\p{Lo}\p{M}&&[^\p{Han}]],
/// CONTRACTION = (?i:'s|'t|'re|'ve|'m|'ll|'d). At each position the alternatives are tried in
/// order and the first that matches wins; inside one, greedy quantifiers give back one scalar at a
/// time, which is what the backtracking steps below reproduce without a regex engine.
struct KimiPreTokenizer {
    /// Appends the half-open scalar ranges of the pieces of `scalars[0..<count]` to `pieces`
    /// (as consecutive start/end pairs). Every scalar belongs to exactly one piece.
    static func split(scalars: UnsafeBufferPointer<UInt32>, classes: UnsafeBufferPointer<ScalarClass>,
                      into pieces: inout [Int]) {
        let n = scalars.count
        precondition(classes.count == n, "split: \(classes.count) classes for \(n) scalars")
        var i = 0
        while i < n {
            let end = matchEnd(at: i, scalars: scalars, classes: classes, count: n)
            if end > i {
                pieces.append(i)
                pieces.append(end)
                i = end
            } else {
                i += 1  // unreachable with this pattern (every scalar is matched); the engine would skip it
            }
        }
    }

    @inline(__always)
    private static func matchEnd(at i: Int, scalars: UnsafeBufferPointer<UInt32>,
                                 classes: UnsafeBufferPointer<ScalarClass>, count n: Int) -> Int {
        let c = classes[i]
        // 1: Han run.
        if c.contains(.han) {
            var e = i + 1
            while e < n && classes[e].contains(.han) { e += 1 }
            return e
        }
        // 2 and 3: words, first with the optional prefix taken, then without.
        if c.isWordPrefix, i + 1 < n, let e = lowerWord(from: i + 1, scalars, classes, n) { return e }
        if let e = lowerWord(from: i, scalars, classes, n) { return e }
        if c.isWordPrefix, i + 1 < n, let e = upperWord(from: i + 1, scalars, classes, n) { return e }
        if let e = upperWord(from: i, scalars, classes, n) { return e }
        // 4: up to three number scalars.
        if c.contains(.number) {
            var e = i + 1
            while e < n && e < i + 3 && classes[e].contains(.number) { e += 1 }
            return e
        }
        // 5: optional space, punctuation run, trailing newlines.
        var p = i
        if scalars[p] == 0x20 { p += 1 }
        if p < n && classes[p].isPunctuation {
            var e = p + 1
            while e < n && classes[e].isPunctuation { e += 1 }
            while e < n && classes[e].contains(.newline) { e += 1 }
            return e
        }
        guard c.contains(.whitespace) else { return i }
        var runEnd = i + 1
        while runEnd < n && classes[runEnd].contains(.whitespace) { runEnd += 1 }
        // 6: \s* gives back until [\r\n]+ can match: ends after the run's last newline.
        var k = runEnd - 1
        while k >= i {
            if classes[k].contains(.newline) { return k + 1 }
            k -= 1
        }
        // 7: \s+(?!\S) leaves the last space for the next word unless the run ends the text;
        // 8: a single space before a non-space falls through to \s+.
        if runEnd == n || runEnd - i == 1 { return runEnd }
        return runEnd - 1
    }

    /// UPPER* LOWER+ CONTRACTION? starting exactly at `s`, or nil.
    @inline(__always)
    private static func lowerWord(from s: Int, _ scalars: UnsafeBufferPointer<UInt32>,
                                  _ classes: UnsafeBufferPointer<ScalarClass>, _ n: Int) -> Int? {
        var k = s
        while k < n && classes[k].contains(.upperish) { k += 1 }
        if k < n && classes[k].contains(.lowerish) {
            var e = k + 1
            while e < n && classes[e].contains(.lowerish) { e += 1 }
            return contractionEnd(e, scalars, n)
        }
        // UPPER* gives back one scalar at a time; LOWER+ then matches exactly the given-back scalar
        // (the one after it already failed LOWER).
        var j = k - 1
        while j >= s {
            if classes[j].contains(.lowerish) { return contractionEnd(j + 1, scalars, n) }
            j -= 1
        }
        return nil
    }

    /// UPPER+ LOWER* CONTRACTION? starting exactly at `s`, or nil.
    @inline(__always)
    private static func upperWord(from s: Int, _ scalars: UnsafeBufferPointer<UInt32>,
                                  _ classes: UnsafeBufferPointer<ScalarClass>, _ n: Int) -> Int? {
        guard s < n, classes[s].contains(.upperish) else { return nil }
        var e = s + 1
        while e < n && classes[e].contains(.upperish) { e += 1 }
        while e < n && classes[e].contains(.lowerish) { e += 1 }
        return contractionEnd(e, scalars, n)
    }

    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)?` at `e`: the end after it, or `e`. Case-insensitive matching
    /// uses simple case folding, so U+017F (long s) matches `s` as it does in the regex engine.
    @inline(__always)
    private static func contractionEnd(_ e: Int, _ scalars: UnsafeBufferPointer<UInt32>, _ n: Int) -> Int {
        guard e + 1 < n, scalars[e] == 0x27 else { return e }
        let first = scalars[e + 1]
        switch first | (first < 128 ? 0x20 : 0) {
        case 0x73, 0x17F, 0x74, 0x6D, 0x64:  // s ſ t m d
            return e + 2
        case 0x72, 0x76:  // r v: need e
            if e + 2 < n, scalars[e + 2] | 0x20 == 0x65 { return e + 3 }
        case 0x6C:  // l: need l
            if e + 2 < n, scalars[e + 2] | 0x20 == 0x6C { return e + 3 }
        default:
            break
        }
        return e
    }
}

extension KimiPreTokenizer {
    /// The UTF-8 bytes of each piece of `text` (no special-token handling), for training.
    static func pieces(of text: String) -> [ArraySlice<UInt8>] {
        let scalars = text.unicodeScalars.map(\.value)
        let classes = scalars.map { ScalarClassifier.classify($0) }
        var bounds: [Int] = []
        scalars.withUnsafeBufferPointer { s in
            classes.withUnsafeBufferPointer { c in split(scalars: s, classes: c, into: &bounds) }
        }
        var byteStart = [Int](repeating: 0, count: scalars.count + 1)
        for (i, v) in scalars.enumerated() {
            byteStart[i + 1] = byteStart[i] + (v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4)
        }
        let utf8 = Array(text.utf8)
        return stride(from: 0, to: bounds.count, by: 2).map { k in utf8[byteStart[bounds[k]]..<byteStart[bounds[k + 1]]] }
    }
}
