/// A batch as one flat token axis: several sequences (segments) laid end to end, positions
/// restarting at 0 in each segment, no attention across segments.
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

    public static let ignoreIndex: Int32 = -100

    public init(inputIds: [Int32], positions: [Int32], segmentIds: [Int32], labels: [Int32]) {
        self.inputIds = inputIds; self.positions = positions; self.segmentIds = segmentIds; self.labels = labels
    }

    /// Packs sequences (ids with optional per-token labels; nil labels mean every token counts).
    public init(sequences: [(inputIds: [Int32], labels: [Int32]?)]) {
        var ids: [Int32] = [], positions: [Int32] = [], segments: [Int32] = [], labels: [Int32] = []
        for (s, sequence) in sequences.enumerated() {
            ids += sequence.inputIds
            positions += (0..<sequence.inputIds.count).map { Int32($0) }
            segments += [Int32](repeating: Int32(s), count: sequence.inputIds.count)
            labels += sequence.labels ?? sequence.inputIds
        }
        self.init(inputIds: ids, positions: positions, segmentIds: segments, labels: labels)
    }

    public var count: Int { inputIds.count }

    /// The label each position predicts: labels[t + 1] within a segment, -100 at a segment's end.
    public var shiftedLabels: [Int32] {
        var shifted = [Int32](repeating: TokenBatch.ignoreIndex, count: count)
        if count > 1 {
            for t in 0..<(count - 1) where segmentIds[t + 1] == segmentIds[t] { shifted[t] = labels[t + 1] }
        }
        return shifted
    }

    /// Checks lengths, token ids and positions against the model's limits.
    public func validate(vocabularySize: Int, maxPositions: Int) throws {
        guard count > 0 else { throw ModelError.malformedBatch("no tokens") }
        guard positions.count == count, segmentIds.count == count, labels.count == count else {
            throw ModelError.malformedBatch("input_ids has \(count) entries but positions \(positions.count), segment ids \(segmentIds.count), labels \(labels.count)")
        }
        for (i, id) in inputIds.enumerated() where id < 0 || Int(id) >= vocabularySize {
            throw ModelError.tokenOutOfVocabulary(index: i, id: id, vocabularySize: vocabularySize)
        }
        for (i, label) in labels.enumerated() where label != TokenBatch.ignoreIndex && (label < 0 || Int(label) >= vocabularySize) {
            throw ModelError.tokenOutOfVocabulary(index: i, id: label, vocabularySize: vocabularySize)
        }
        for (i, p) in positions.enumerated() where p < 0 || Int(p) >= maxPositions {
            throw ModelError.positionOutOfRange(index: i, position: p, maxPositions: maxPositions)
        }
    }
}
