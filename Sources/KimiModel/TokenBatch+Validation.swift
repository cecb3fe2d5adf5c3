import DataPipeline

extension TokenBatch {
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
