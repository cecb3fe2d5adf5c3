import KimiModel

// This file imports KimiModel but not DataPipeline, so `TokenBatch` here is the model's.

extension TrainingSequence {
    /// The model's batch for this row (labels unshifted, as the model expects).
    var modelBatch: TokenBatch {
        TokenBatch(inputIds: inputIds, positions: positions, segmentIds: segmentIds, labels: labels)
    }
}
