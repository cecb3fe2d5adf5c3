/// A JSONL(.zst) file that cannot be streamed, naming the file and the line (and column) at fault.
public enum StreamingError: Error, CustomStringConvertible, Equatable, Sendable {
    case unreadable(file: String, reason: String)
    case lineTooLong(file: String, line: Int, limit: Int)
    case invalidRecord(file: String, line: Int, column: Int, message: String)
    case badResumeOffset(file: String, offset: Int64, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): return "\(file): cannot read: \(reason)"
        case .lineTooLong(let file, let line, let limit): return "\(file):\(line): line longer than \(limit) bytes"
        case .invalidRecord(let file, let line, let column, let message): return "\(file):\(line):\(column): invalid JSON: \(message)"
        case .badResumeOffset(let file, let offset, let reason): return "\(file): cannot resume at byte \(offset): \(reason)"
        }
    }
}
