/// Mean next-token cross-entropy of a model over pre-tokenized sequences, in packed batches.
public struct EvaluationResult: Sendable, Equatable {
    public var lossSum: Double
    public var tokens: Int
    public var sequences: Int
    public var meanLoss: Double { tokens > 0 ? lossSum / Double(tokens) : 0 }
}

extension KimiModel {
    /// Evaluates `data`: each sequence cut to `cutoffLength` tokens (when given), `batchSize`
    /// sequences packed per forward pass. Errors name the data line of a bad sequence.
    public func evaluate(_ data: PreTokenizedData, cutoffLength: Int?, batchSize: Int, file: String) throws -> EvaluationResult {
        precondition(batchSize > 0, "batch size \(batchSize)")
        var result = EvaluationResult(lossSum: 0, tokens: 0, sequences: 0)
        var index = 0
        while index < data.sequences.count {
            let group = data.sequences[index..<min(index + batchSize, data.sequences.count)]
            let cut = group.map { s -> (inputIds: [Int32], labels: [Int32]?) in
                let n = cutoffLength.map { min($0, s.inputIds.count) } ?? s.inputIds.count
                return (Array(s.inputIds.prefix(n)), s.labels.map { Array($0.prefix(n)) })
            }
            let batch = TokenBatch(sequences: cut)
            let pass: PassResult
            do {
                pass = try forward(batch)
            } catch let error as ModelError {
                throw Self.locate(error, in: group, cut: cut, file: file)
            }
            result.lossSum += pass.lossSum
            result.tokens += pass.count
            result.sequences += group.count
            index += group.count
        }
        guard result.tokens > 0 else {
            throw PreTokenizedDataError(file: file, line: nil,
                                        message: "no label tokens to evaluate (every label is -100 or every sequence has one token)")
        }
        return result
    }

    /// Re-expresses a batch error against the data file: the line of the offending sequence and the
    /// token index within it.
    private static func locate(_ error: ModelError, in group: ArraySlice<PreTokenizedData.Sequence>,
                               cut: [(inputIds: [Int32], labels: [Int32]?)], file: String) -> PreTokenizedDataError {
        var flatIndex: Int?
        switch error {
        case .tokenOutOfVocabulary(let i, _, _), .positionOutOfRange(let i, _, _): flatIndex = i
        default: flatIndex = nil
        }
        guard let flatIndex else { return PreTokenizedDataError(file: file, line: group.first?.line, message: error.description) }
        var offset = 0
        for (sequence, c) in zip(group, cut) {
            if flatIndex < offset + c.inputIds.count {
                let local = flatIndex - offset
                let relocated: ModelError
                switch error {
                case .tokenOutOfVocabulary(_, let id, let size): relocated = .tokenOutOfVocabulary(index: local, id: id, vocabularySize: size)
                case .positionOutOfRange(_, let p, let max): relocated = .positionOutOfRange(index: local, position: p, maxPositions: max)
                default: relocated = error
                }
                return PreTokenizedDataError(file: file, line: sequence.line, message: relocated.description)
            }
            offset += c.inputIds.count
        }
        return PreTokenizedDataError(file: file, line: group.first?.line, message: error.description)
    }
}
