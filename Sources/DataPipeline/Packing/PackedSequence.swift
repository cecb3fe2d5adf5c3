/// One flattened sequence of tokens for the model (field for field KimiModel's `TokenBatch`,
/// which DataPipeline cannot import; the trainer converts with
/// `TokenBatch(inputIds:positions:segmentIds:labels:)`): several examples side by side, each with its
/// own positions (restarting at 0) and segment id, so attention never crosses examples.
/// All four arrays have one entry per token. `labels` is aligned to `inputIds` (-100 = ignored);
/// the model shifts by one when it computes the loss, and the first token of every example is
/// never a target, so no loss crosses an example boundary.
public struct PackedSequence: Sendable, Equatable {
    public var inputIds: [Int32] = []
    public var positions: [Int32] = []
    public var segmentIds: [Int32] = []
    public var labels: [Int32] = []

    public init() {}

    public var count: Int { inputIds.count }
    public var exampleCount: Int { segmentIds.last.map { Int($0) + 1 } ?? 0 }
    public var trainedTokenCount: Int { labels.reduce(0) { $0 + ($1 == LabeledExample.ignoreLabel ? 0 : 1) } }

    /// Appends one example as a new segment.
    public mutating func append(_ example: LabeledExample) {
        let segment = Int32(exampleCount)
        inputIds += example.inputIds
        positions += (0..<Int32(example.count)).map { $0 }
        segmentIds += [Int32](repeating: segment, count: example.count)
        labels += example.labels
        if example.count > 0 { labels[labels.count - example.count] = LabeledExample.ignoreLabel }
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
}
