/// A training run that cannot start or continue, with the file, folder or step at fault, so the
/// CLI's one printed line says what to fix.
public enum TrainingError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The model folder cannot be used (config, weights, tokenizer or chat template).
    case model(path: String, reason: String)
    /// The data files cannot be turned into training sequences.
    case data(reason: String)
    /// Nothing left to train on (every record skipped, or the eval split took everything).
    case emptyDataset(String)
    /// output_dir already holds checkpoints of another run (transformers' overwrite_output_dir rule).
    case outputDirectoryNotEmpty(path: String, checkpoints: [String])
    /// resume_from_checkpoint names nothing usable.
    case noCheckpoint(path: String, reason: String)
    /// A checkpoint that does not fit this recipe or data (different adapters, data size, ...).
    case checkpointMismatch(path: String, reason: String)
    /// A checkpoint or output file that cannot be written.
    case io(path: String, reason: String)
    /// The recipe asks for something this trainer does not do (named by key).
    case unsupported(key: String, reason: String)
    /// The loss or gradient norm became NaN/inf at an update.
    case nonFinite(step: Int, loss: Double, gradientNorm: Double)

    public var description: String {
        switch self {
        case .model(let path, let reason):
            "\(path): cannot use the model: \(reason)"
        case .data(let reason):
            reason
        case .emptyDataset(let message):
            message
        case .outputDirectoryNotEmpty(let path, let checkpoints):
            "\(path): output_dir already holds \(checkpoints.joined(separator: ", ")); set overwrite_output_dir: true to "
                + "start over, or resume_from_checkpoint: true to continue"
        case .noCheckpoint(let path, let reason):
            "\(path): cannot resume: \(reason)"
        case .checkpointMismatch(let path, let reason):
            "\(path): checkpoint does not fit this run: \(reason)"
        case .io(let path, let reason):
            "\(path): \(reason)"
        case .unsupported(let key, let reason):
            "'\(key)': \(reason)"
        case .nonFinite(let step, let loss, let norm):
            "update \(step): the loss (\(loss)) or gradient norm (\(norm)) is not finite; lower learning_rate or set max_grad_norm"
        }
    }
}
