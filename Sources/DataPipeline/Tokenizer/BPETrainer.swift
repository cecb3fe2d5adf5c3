/// Trains a byte-level BPE vocabulary: the 256 single bytes (ranks 0...255, in byte order), then
/// one token per merge of the most frequent adjacent pair inside pre-tokenized words, ranked in
/// merge order, until the target size is reached or no pair occurs `minimumPairCount` times.
/// Encoding by rank (`BytePairEncoder`) then reproduces these merges. Used by `kimi-sft init` to
/// give tiny and small models a real vocabulary trained on bundled sample text.
public struct BPETrainer: Sendable {
    /// Base vocabulary size wanted, including the 256 single bytes (special tokens come on top).
    public var targetVocabularySize: Int
    public var minimumPairCount: Int

    public init(targetVocabularySize: Int, minimumPairCount: Int = 2) {
        precondition(targetVocabularySize >= 256, "BPETrainer: target \(targetVocabularySize) < 256 single bytes")
        self.targetVocabularySize = targetVocabularySize
        self.minimumPairCount = max(1, minimumPairCount)
    }

    /// The token bytes in rank order (index = rank).
    public func train(text: String) -> [[UInt8]] {
        // Distinct words with their counts; each word is a sequence of token ids.
        var wordIndex: [ArraySlice<UInt8>: Int] = [:]
        var words: [[Int]] = []
        var frequency: [Int] = []
        for piece in KimiPreTokenizer.pieces(of: text) {
            if let w = wordIndex[piece] { frequency[w] += 1; continue }
            wordIndex[piece] = words.count
            words.append(piece.map { Int($0) })
            frequency.append(1)
        }
        var tokens: [[UInt8]] = (0..<256).map { [UInt8($0)] }
        var idOfBytes: [[UInt8]: Int] = [:]
        for (i, t) in tokens.enumerated() { idOfBytes[t] = i }

        var pairCount: [Pair: Int] = [:]
        var wordsWithPair: [Pair: [Int]] = [:]
        for (w, word) in words.enumerated() where word.count > 1 {
            for i in 0..<(word.count - 1) {
                let p = Pair(word[i], word[i + 1])
                pairCount[p, default: 0] += frequency[w]
                wordsWithPair[p, default: []].append(w)
            }
        }
        var heap = PairHeap()
        for (p, c) in pairCount { heap.push(c, p) }

        var lastVisit = [Int](repeating: -1, count: words.count)
        var step = 0
        while tokens.count < targetVocabularySize, let (count, pair) = heap.pop() {
            guard pairCount[pair] == count else { continue }  // stale entry
            if count < minimumPairCount { break }
            let merged = tokens[pair.left] + tokens[pair.right]
            let newID: Int
            if let existing = idOfBytes[merged] { newID = existing } else {
                newID = tokens.count
                tokens.append(merged)
                idOfBytes[merged] = newID
            }
            step += 1
            var touched: Set<Pair> = []
            for w in wordsWithPair.removeValue(forKey: pair) ?? [] where lastVisit[w] != step {
                lastVisit[w] = step
                let f = frequency[w]
                var word = words[w]
                for i in 0..<(word.count - 1) {
                    let p = Pair(word[i], word[i + 1])
                    pairCount[p, default: 0] -= f
                    touched.insert(p)
                }
                var out: [Int] = []
                out.reserveCapacity(word.count)
                var i = 0
                while i < word.count {
                    if i + 1 < word.count && word[i] == pair.left && word[i + 1] == pair.right {
                        out.append(newID); i += 2
                    } else {
                        out.append(word[i]); i += 1
                    }
                }
                word = out
                if word.count > 1 {
                    for i in 0..<(word.count - 1) {
                        let p = Pair(word[i], word[i + 1])
                        pairCount[p, default: 0] += f
                        touched.insert(p)
                        if p != pair { wordsWithPair[p, default: []].append(w) }
                    }
                }
                words[w] = word
            }
            for p in touched {
                let c = pairCount[p] ?? 0
                if c > 0 { heap.push(c, p) } else { pairCount[p] = nil }
            }
        }
        return tokens
    }
}

/// Two adjacent token ids.
struct Pair: Hashable, Comparable, Sendable {
    let left: Int, right: Int
    init(_ left: Int, _ right: Int) { self.left = left; self.right = right }
    static func < (a: Pair, b: Pair) -> Bool { (a.left, a.right) < (b.left, b.right) }
}

/// A max-heap of (count, pair): highest count first, then the smallest pair, so training is
/// deterministic whatever order the dictionaries iterate in.
struct PairHeap {
    private var items: [(count: Int, pair: Pair)] = []

    private static func before(_ a: (count: Int, pair: Pair), _ b: (count: Int, pair: Pair)) -> Bool {
        a.count != b.count ? a.count > b.count : a.pair < b.pair
    }

    mutating func push(_ count: Int, _ pair: Pair) {
        items.append((count, pair))
        var k = items.count - 1
        while k > 0 {
            let parent = (k - 1) / 2
            if !PairHeap.before(items[k], items[parent]) { break }
            items.swapAt(parent, k)
            k = parent
        }
    }

    mutating func pop() -> (count: Int, pair: Pair)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var k = 0
            while true {
                let l = 2 * k + 1, r = l + 1
                var m = k
                if l < items.count && PairHeap.before(items[l], items[m]) { m = l }
                if r < items.count && PairHeap.before(items[r], items[m]) { m = r }
                if m == k { break }
                items.swapAt(m, k)
                k = m
            }
        }
        return top
    }
}
