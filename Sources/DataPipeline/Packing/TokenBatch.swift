/// One flat token axis for the model: several examples (segments) laid end to end, positions
/// restarting at 0 in each segment, no attention across segments. What the packer produces, the
/// trainer concatenates into micro-batches, and the model consumes.
///
/// Labels follow Hugging Face semantics: `labels[t]` is the label *of token t* (usually its own id,
/// or -100 to mask it), and the model shifts internally: the loss at position t is
/// CE(logits[t], labels[t + 1]) when t + 1 is in the same segment. So a pre-tokenized
/// {"input_ids", "labels"} record is copied in unchanged.
public struct TokenBatch: Sendable, Equatable {
    public var inputIds: [Int32]
    public var positions: [Int32]
    public var segmentIds: [Int32]
    public var labels: [Int32]

    public static let ignoreIndex: Int32 = LabeledExample.ignoreLabel

    public init() {
        inputIds = []; positions = []; segmentIds = []; labels = []
    }

    public init(inputIds: [Int32], positions: [Int32], segmentIds: [Int32], labels: [Int32]) {
        self.inputIds = inputIds; self.positions = positions; self.segmentIds = segmentIds; self.labels = labels
    }

    /// Packs sequences (ids with optional per-token labels; nil labels mean every token counts).
    public init(sequences: [(inputIds: [Int32], labels: [Int32]?)]) {
        self.init()
        for (s, sequence) in sequences.enumerated() {
            inputIds += sequence.inputIds
            positions += (0..<sequence.inputIds.count).map { Int32($0) }
            segmentIds += [Int32](repeating: Int32(s), count: sequence.inputIds.count)
            labels += sequence.labels ?? sequence.inputIds
        }
    }

    public var count: Int { inputIds.count }
    public var exampleCount: Int { segmentIds.last.map { Int($0) + 1 } ?? 0 }
    public var trainedTokenCount: Int { labels.reduce(0) { $0 + ($1 == Self.ignoreIndex ? 0 : 1) } }

    /// Appends one example as a new segment. Its first label is masked: no loss crosses into it.
    public mutating func append(_ example: LabeledExample) {
        let segment = Int32(exampleCount)
        inputIds += example.inputIds
        positions += (0..<Int32(example.count)).map { $0 }
        segmentIds += [Int32](repeating: segment, count: example.count)
        labels += example.labels
        if example.count > 0 { labels[labels.count - example.count] = Self.ignoreIndex }
    }

    /// The half-open token range of each segment, in order.
    public var segmentRanges: [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        for t in 0..<count where t + 1 == count || segmentIds[t + 1] != segmentIds[t] {
            ranges.append(start..<(t + 1))
            start = t + 1
        }
        return ranges
    }

    /// The label each position predicts: labels[t + 1] within a segment, -100 at a segment's end.
    public var shiftedLabels: [Int32] {
        var shifted = [Int32](repeating: Self.ignoreIndex, count: count)
        if count > 1 {
            for t in 0..<(count - 1) where segmentIds[t + 1] == segmentIds[t] { shifted[t] = labels[t + 1] }
        }
        return shifted
    }

    /// Positions whose next-token loss counts: label t+1 is trained and in the same segment. This
    /// is the count the model's loss sum is over, so a loop can normalise before the pass.
    public var supervisedCount: Int {
        guard count > 1 else { return 0 }
        var n = 0
        for t in 1..<count where segmentIds[t] == segmentIds[t - 1] && labels[t] != Self.ignoreIndex { n += 1 }
        return n
    }

    /// Several rows laid end to end as one micro-batch, segment ids renumbered so no attention or
    /// loss crosses from one row into the next.
    public static func concatenate(_ rows: [TokenBatch]) -> TokenBatch {
        var result = TokenBatch()
        let total = rows.reduce(0) { $0 + $1.count }
        result.inputIds.reserveCapacity(total); result.positions.reserveCapacity(total)
        result.segmentIds.reserveCapacity(total); result.labels.reserveCapacity(total)
        var nextSegment: Int32 = 0
        for row in rows where row.count > 0 {
            var previous = row.segmentIds[0], current = nextSegment
            for s in row.segmentIds {
                if s != previous { current += 1; previous = s }
                result.segmentIds.append(current)
            }
            nextSegment = current + 1
            result.inputIds += row.inputIds
            result.positions += row.positions
            result.labels += row.labels
        }
        return result
    }
}
