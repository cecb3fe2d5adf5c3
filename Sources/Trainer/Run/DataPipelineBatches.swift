import DataPipeline

// This file imports DataPipeline but not KimiModel, so the packed rows are the data pipeline's `PackedSequence`.

extension TrainingSequence {
    /// The trainer's copy of one packed data-pipeline row.
    init(_ batch: PackedSequence) {
        self.init(inputIds: batch.inputIds, positions: batch.positions, segmentIds: batch.segmentIds, labels: batch.labels)
    }
}

extension PreparedDataset {
    /// The packed rows as trainer sequences.
    var trainingSequences: [TrainingSequence] { sequences.map(TrainingSequence.init) }
}
