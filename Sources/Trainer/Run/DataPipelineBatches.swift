import DataPipeline

// This file imports DataPipeline but not KimiModel, so `TokenBatch` here is the data pipeline's.

extension TrainingSequence {
    /// The trainer's copy of one packed data-pipeline row.
    init(_ batch: TokenBatch) {
        self.init(inputIds: batch.inputIds, positions: batch.positions, segmentIds: batch.segmentIds, labels: batch.labels)
    }
}

extension PreparedDataset {
    /// The packed rows as trainer sequences.
    var trainingSequences: [TrainingSequence] { batches.map(TrainingSequence.init) }
}
