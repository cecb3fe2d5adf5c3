/// Why a conversation could not be turned into masked training examples. `record` names the
/// source as file:line.
public enum MaskError: Error, CustomStringConvertible, Equatable {
    /// The conversation has no assistant message to train on.
    case noAssistantTurn(record: String)
    /// The render of the prompt before assistant message `turn` is not a token prefix of the
    /// render through that message, even with earlier reasoning removed, so the tokens the
    /// assistant produced cannot be located exactly.
    case notAppendOnly(record: String, turn: Int)
    /// Rendering through assistant message `turn` adds no tokens after its prompt.
    case emptyTurn(record: String, turn: Int)
    /// The chat template failed on this record.
    case renderFailed(record: String, message: String)

    public var description: String {
        switch self {
        case .noAssistantTurn(let record):
            return "\(record): conversation has no assistant message to train on"
        case let .notAppendOnly(record, turn):
            return "\(record): message \(turn) (assistant): the template's prompt render is not a token prefix of its render through this message; cannot derive an exact loss mask"
        case let .emptyTurn(record, turn):
            return "\(record): message \(turn) (assistant) renders to no tokens after its prompt"
        case let .renderFailed(record, message):
            return "\(record): chat template failed: \(message)"
        }
    }
}
