/// What to do with an example longer than `cutoffLength` (the recipe's `overlong`).
public enum OverlongPolicy: String, Sendable {
    /// Keep the first `cutoffLength` tokens.
    case truncate
    /// Leave the example out.
    case drop
}

/// Counts for the run summary: every example not packed as-is is accounted for.
public struct PackingSummary: Sendable, Equatable {
    public var examplesIn = 0
    public var examplesPacked = 0
    public var truncated = 0
    public var droppedOverlong = 0
    /// Examples with no trained token left (after truncation, or from the start).
    public var droppedUntrained = 0
    public var windows = 0
    public var tokens = 0
    public var trainedTokens = 0
    /// Window slots left empty: windows * cutoffLength - tokens (only meaningful when packing).
    public var unusedSlots = 0

    public init() {}

    public var line: String {
        "\(examplesPacked)/\(examplesIn) examples in \(windows) sequences (\(tokens) tokens, \(trainedTokens) trained); "
            + "\(truncated) truncated, \(droppedOverlong) over-long dropped, \(droppedUntrained) without trained tokens dropped"
    }
}

/// Turns examples into `PackedSequence`s of at most `cutoffLength` tokens. With `packing`,
/// examples are concatenated in order into windows (next-fit: a window is closed when the next
/// example does not fit, which keeps the data order and needs no sorting pass); without it each
/// example is its own sequence.
public struct SequencePacker: Sendable {
    public var cutoffLength: Int
    public var packing: Bool
    public var overlong: OverlongPolicy

    public init(cutoffLength: Int, packing: Bool, overlong: OverlongPolicy = .truncate) {
        precondition(cutoffLength > 0, "SequencePacker: cutoffLength \(cutoffLength) must be positive")
        self.cutoffLength = cutoffLength
        self.packing = packing
        self.overlong = overlong
    }

    public func pack(_ examples: [LabeledExample]) -> (sequences: [PackedSequence], summary: PackingSummary) {
        var summary = PackingSummary()
        var batches: [PackedSequence] = []
        var current = PackedSequence()
        for var example in examples {
            summary.examplesIn += 1
            if example.count > cutoffLength {
                if overlong == .drop { summary.droppedOverlong += 1; continue }
                example = LabeledExample(inputIds: Array(example.inputIds.prefix(cutoffLength)),
                                         labels: Array(example.labels.prefix(cutoffLength)))
                summary.truncated += 1
            }
            // Position 0's label is never a target (nothing precedes it), so it does not count.
            guard example.labels.dropFirst().contains(where: { $0 != LabeledExample.ignoreLabel }) else {
                summary.droppedUntrained += 1
                continue
            }
            if current.count > 0 && (!packing || current.count + example.count > cutoffLength) {
                batches.append(current)
                current = PackedSequence()
            }
            current.append(example)
            summary.examplesPacked += 1
        }
        if current.count > 0 { batches.append(current) }
        summary.windows = batches.count
        summary.tokens = batches.reduce(0) { $0 + $1.count }
        summary.trainedTokens = batches.reduce(0) { $0 + $1.trainedTokenCount }
        summary.unusedSlots = packing ? batches.count * cutoffLength - summary.tokens : 0
        return (batches, summary)
    }
}
