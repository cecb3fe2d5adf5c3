/// Errors a user can cause through the checkpoint or the data: each message names the tensor, the
/// sequence or the file, and what is wrong, so the CLI can print it as one line.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    /// A tensor the config implies is absent from the checkpoint.
    case missingTensor(String)
    /// A tensor's stored shape disagrees with the shape the config implies.
    case shapeMismatch(tensor: String, expected: [Int], actual: [Int])
    /// The config itself is inconsistent or uses a feature this model does not implement.
    case unsupportedConfig(String)
    /// A token id at flat batch index `index` is negative or >= vocab_size.
    case tokenOutOfVocabulary(index: Int, id: Int32, vocabularySize: Int)
    /// A position id is at or beyond max_position_embeddings.
    case positionOutOfRange(index: Int, position: Int32, maxPositions: Int)
    /// The batch's arrays disagree in length, or it has no tokens.
    case malformedBatch(String)
    /// An adapter names a projection this model does not have.
    case unknownProjection(String)

    public var description: String {
        switch self {
        case .missingTensor(let name):
            return "checkpoint is missing tensor '\(name)' that config.json implies"
        case .shapeMismatch(let name, let expected, let actual):
            return "tensor '\(name)' has shape \(actual) but config.json implies \(expected)"
        case .unsupportedConfig(let message):
            return "config.json: \(message)"
        case .tokenOutOfVocabulary(let index, let id, let vocabularySize):
            return "token id \(id) at token index \(index) is outside the vocabulary (vocab_size \(vocabularySize))"
        case .positionOutOfRange(let index, let position, let maxPositions):
            return "position \(position) at token index \(index) is beyond max_position_embeddings \(maxPositions) (sequence too long)"
        case .malformedBatch(let message):
            return "malformed batch: \(message)"
        case .unknownProjection(let path):
            return "this model has no projection '\(path)' to attach an adapter to"
        }
    }
}
