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
                // Point at the data line holding the offending token.
                var offset = 0, line = group.first!.line
                let position: Int? = {
                    switch error {
                    case .tokenOutOfVocabulary(let i, _, _), .positionOutOfRange(let i, _, _): return i
                    default: return nil
                    }
                }()
                if let position {
                    for (s, c) in zip(group, cut) {
                        if position < offset + c.inputIds.count { line = s.line; break }
                        offset += c.inputIds.count
                    }
                }
                throw PreTokenizedDataError(file: file, line: line, message: error.description)
            }
            result.lossSum += pass.lossSum
            result.tokens += pass.count
            result.sequences += group.count
            index += group.count
        }
        return result
    }
}
