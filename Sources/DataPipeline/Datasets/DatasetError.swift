/// A dataset file or record that cannot be used. `record` is `file:line` (or `file:line:column`
/// for JSON syntax errors) so the user can open the exact spot.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, message: String)
    case unknownFormat(record: String, keys: [String])
    case badRecord(record: String, message: String)
    case emptyDataset(path: String)

    public var description: String {
        switch self {
        case let .unreadable(path, message): return "\(path): cannot read dataset: \(message)"
        case let .unknownFormat(record, keys):
            return "\(record): cannot tell the dataset format from keys [\(keys.joined(separator: ", "))]; expected messages (OpenAI), conversations (ShareGPT), instruction (alpaca) or input_ids (pre-tokenized), or set the format explicitly"
        case let .badRecord(record, message): return "\(record): \(message)"
        case let .emptyDataset(path): return "\(path): dataset has no records"
        }
    }
}
