/// Byte-level BPE by rank, exactly as tiktoken merges: repeatedly merge the adjacent pair whose
/// concatenation has the lowest rank, the leftmost on ties, until no pair is in the vocabulary.
/// Short pieces use tiktoken's own linear rescan (fastest for the usual < 64-byte word); long
/// pieces (runs of spaces, base64, minified code) use a min-heap over a linked list, O(n log n).
enum BytePairEncoder {
    /// Above this many bytes a piece is merged with the heap.
    static let linearLimit = 96

    /// Appends the ranks of `piece` to `output`. Every single byte must have a rank (checked when
    /// the vocabulary is loaded).
    static func encode(_ piece: UnsafeBufferPointer<UInt8>, ranks: ByteRankTable, into output: inout [Int]) {
        let n = piece.count
        guard n > 0 else { return }
        let base = piece.baseAddress!
        let whole = ranks.rank(base, n)
        if whole >= 0 { output.append(whole); return }
        if n <= linearLimit {
            encodeLinear(base, n, ranks, &output)
        } else {
            encodeWithHeap(base, n, ranks, &output)
        }
    }

    private static func encodeLinear(_ base: UnsafePointer<UInt8>, _ n: Int, _ ranks: ByteRankTable, _ output: inout [Int]) {
        let none = Int.max
        // parts[i] = (start of part i, rank of part i merged with part i+1)
        withUnsafeTemporaryAllocation(of: (start: Int, rank: Int).self, capacity: n + 1) { parts in
            var count = 0
            for i in 0..<(n - 1) {
                let r = ranks.rank(base + i, 2)
                parts[count] = (i, r < 0 ? none : r)
                count += 1
            }
            parts[count] = (n - 1, none); count += 1
            parts[count] = (n, none); count += 1
            @inline(__always) func pairRank(_ i: Int) -> Int {
                guard i + 3 < count else { return none }
                let r = ranks.rank(base + parts[i].start, parts[i + 3].start - parts[i].start)
                return r < 0 ? none : r
            }
            while true {
                var best = none, at = -1
                for i in 0..<(count - 1) where parts[i].rank < best { best = parts[i].rank; at = i }
                if at < 0 { break }
                if at > 0 { parts[at - 1].rank = pairRank(at - 1) }
                parts[at].rank = pairRank(at)
                for k in (at + 1)..<(count - 1) { parts[k] = parts[k + 1] }
                count -= 1
            }
            for i in 0..<(count - 1) {
                output.append(ranks.rank(base + parts[i].start, parts[i + 1].start - parts[i].start))
            }
        }
    }

    private static func encodeWithHeap(_ base: UnsafePointer<UInt8>, _ n: Int, _ ranks: ByteRankTable, _ output: inout [Int]) {
        // Nodes are indexed by their first byte; `end[i]` is one past their last byte, `next/prev`
        // link the live nodes, `pairRank[i]` is the rank of node i merged with its successor.
        var end = [Int](unsafeUninitializedCapacity: n) { b, c in for i in 0..<n { b[i] = i + 1 }; c = n }
        var prev = [Int](unsafeUninitializedCapacity: n) { b, c in for i in 0..<n { b[i] = i - 1 }; c = n }
        var pairRank = [Int](repeating: -1, count: n)
        var alive = [Bool](repeating: true, count: n)
        var heap = MinHeap()
        heap.reserve(n)
        func lookup(_ i: Int) -> Int {
            let j = end[i]
            guard j < n else { return -1 }
            return ranks.rank(base + i, end[j] - i)
        }
        for i in 0..<(n - 1) {
            pairRank[i] = lookup(i)
            if pairRank[i] >= 0 { heap.push(rank: pairRank[i], position: i) }
        }
        while let (rank, i) = heap.pop() {
            guard alive[i], pairRank[i] == rank else { continue }  // stale entry
            let j = end[i]
            alive[j] = false
            end[i] = end[j]
            if end[i] < n { prev[end[i]] = i }
            pairRank[i] = lookup(i)
            if pairRank[i] >= 0 { heap.push(rank: pairRank[i], position: i) }
            let p = prev[i]
            if p >= 0 {
                pairRank[p] = lookup(p)
                if pairRank[p] >= 0 { heap.push(rank: pairRank[p], position: p) }
            }
        }
        var i = 0
        while i < n {
            output.append(ranks.rank(base + i, end[i] - i))
            i = end[i]
        }
    }
}

extension BytePairEncoder {
    static func encodeLinearForTesting(_ piece: UnsafeBufferPointer<UInt8>, _ ranks: ByteRankTable, _ output: inout [Int]) {
        if piece.count == 1 { output.append(ranks.rank(piece.baseAddress!, 1)) } else { encodeLinear(piece.baseAddress!, piece.count, ranks, &output) }
    }
    static func encodeHeapForTesting(_ piece: UnsafeBufferPointer<UInt8>, _ ranks: ByteRankTable, _ output: inout [Int]) {
        encodeWithHeap(piece.baseAddress!, piece.count, ranks, &output)
    }
}

/// A binary min-heap of (rank, position) packed into one UInt64 so ties break on the leftmost
/// position, as tiktoken's leftmost-minimum scan does.
struct MinHeap {
    private var items: [UInt64] = []

    mutating func reserve(_ n: Int) { items.reserveCapacity(n) }

    mutating func push(rank: Int, position: Int) {
        var k = items.count
        items.append(UInt64(rank) << 32 | UInt64(position))
        while k > 0 {
            let parent = (k - 1) / 2
            if items[parent] <= items[k] { break }
            items.swapAt(parent, k)
            k = parent
        }
    }

    mutating func pop() -> (rank: Int, position: Int)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var k = 0
            let n = items.count
            while true {
                let l = 2 * k + 1, r = l + 1
                var m = k
                if l < n && items[l] < items[m] { m = l }
                if r < n && items[r] < items[m] { m = r }
                if m == k { break }
                items.swapAt(m, k)
                k = m
            }
        }
        return (Int(top >> 32), Int(top & 0xFFFF_FFFF))
    }
}
