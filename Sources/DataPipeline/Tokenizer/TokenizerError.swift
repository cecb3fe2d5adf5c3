/// A tokenizer file or input that cannot be used, naming the file and line (or token id) at fault.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    case unreadable(file: String, reason: String)
    case unwritable(file: String, reason: String)
    case badRankLine(file: String, line: Int, reason: String)
    case duplicateToken(file: String, line: Int, firstLine: Int)
    case duplicateRank(file: String, line: Int, rank: Int, firstLine: Int)
    case ranksNotDense(file: String, rank: Int, count: Int)
    case missingByte(file: String, byte: UInt8)
    case badConfig(file: String, reason: String)
    case unknownTokenID(Int, vocabularySize: Int)
    case badInput(source: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            return "\(file): cannot read tokenizer file: \(reason)"
        case .unwritable(let file, let reason):
            return "\(file): cannot write tokenizer file: \(reason)"
        case .badRankLine(let file, let line, let reason):
            return "\(file):\(line): bad tiktoken rank line: \(reason)"
        case .duplicateToken(let file, let line, let firstLine):
            return "\(file):\(line): token bytes already given a rank on line \(firstLine)"
        case .duplicateRank(let file, let line, let rank, let firstLine):
            return "\(file):\(line): rank \(rank) already used on line \(firstLine)"
        case .ranksNotDense(let file, let rank, let count):
            return "\(file): rank \(rank) is outside 0..<\(count): ranks must number the \(count) tokens 0, 1, 2, ... without gaps (special tokens are placed right after them)"
        case .missingByte(let file, let byte):
            return "\(file): single byte 0x\(String(byte, radix: 16, uppercase: true)) has no rank; byte-level BPE needs all 256"
        case .badConfig(let file, let reason):
            return "\(file): \(reason)"
        case .unknownTokenID(let id, let size):
            return "token id \(id) is outside the vocabulary (0..<\(size))"
        case .badInput(let source, let reason):
            return "\(source): \(reason)"
        }
    }
}
