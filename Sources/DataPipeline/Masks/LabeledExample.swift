/// One tokenized training example. `labels` is aligned to input positions as in Hugging Face:
/// `labels[t] == inputIds[t]` where position t is trained and `ignoreLabel` elsewhere; the model
/// shifts by one internally when it computes next-token loss.
public struct LabeledExample: Sendable, Equatable {
    /// The label of a position that does not count towards the loss (PyTorch's ignore_index).
    public static let ignoreLabel: Int32 = -100

    public var inputIds: [Int32]
    public var labels: [Int32]

    public init(inputIds: [Int32], labels: [Int32]) {
        precondition(inputIds.count == labels.count, "LabeledExample: \(inputIds.count) ids but \(labels.count) labels")
        self.inputIds = inputIds
        self.labels = labels
    }

    /// An example where nothing is trained yet.
    public init(untrained inputIds: [Int32]) {
        self.init(inputIds: inputIds, labels: [Int32](repeating: Self.ignoreLabel, count: inputIds.count))
    }

    public var count: Int { inputIds.count }

    /// Positions whose label counts towards the loss.
    public var trainedTokenCount: Int { labels.reduce(0) { $0 + ($1 == Self.ignoreLabel ? 0 : 1) } }

    /// Marks `range` as trained (labels copy the input ids there).
    public mutating func train(_ range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "train: \(range) outside 0..<\(count)")
        for t in range { labels[t] = inputIds[t] }
    }
}

/// The examples of one conversation and what the template left out of them.
public struct MaskedConversation: Sendable, Equatable {
    public var examples: [LabeledExample]
    /// Assistant turns with reasoning that the template does not render (see
    /// `AssistantMaskBuilder.templateDropsReasoning`).
    public var turnsWithReasoningDropped: Int
}
