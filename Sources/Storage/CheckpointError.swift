/// Everything that can be wrong with a checkpoint a user points kimi-sft at. Each case names the
/// file and, where there is one, the tensor, so the CLI can print one line that says where to look.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file or folder cannot be opened, mapped, written or renamed (`reason` from the system).
    case io(file: String, reason: String)
    /// The file is shorter than the 8-byte header length or the header it announces.
    case truncatedHeader(file: String, headerLength: UInt64, fileSize: Int)
    /// The header bytes are not the JSON object safetensors requires.
    case malformedHeader(file: String, reason: String)
    /// A tensor entry of the header is wrong (dtype, shape, offsets...).
    case invalidTensor(file: String, tensor: String, reason: String)
    /// Two tensors claim overlapping byte ranges.
    case overlappingTensors(file: String, first: String, second: String)
    /// A tensor's data ends past the end of the file (a truncated shard).
    case truncatedData(file: String, tensor: String, end: Int, dataSize: Int)
    /// model.safetensors.index.json is malformed.
    case malformedIndex(file: String, reason: String)
    /// The index names a shard that is not there.
    case missingShard(file: String, tensor: String, indexFile: String)
    /// A tensor the caller or the config requires is absent.
    case missingTensor(tensor: String, checkpoint: String)
    /// A tensor is present but has the wrong dtype or shape for how it is used.
    case unexpectedTensor(file: String, tensor: String, reason: String)
    /// config.json is missing a field or has a value of the wrong kind.
    case invalidConfig(file: String, reason: String)
    /// A folder holds neither model.safetensors nor model.safetensors.index.json.
    case noWeights(directory: String)

    public var description: String {
        switch self {
        case .io(let file, let reason):
            return "\(file): \(reason)"
        case .truncatedHeader(let file, let length, let size):
            return "\(file): header length \(length) runs past the end of the file (\(size) bytes); the file is truncated or not safetensors"
        case .malformedHeader(let file, let reason):
            return "\(file): malformed safetensors header: \(reason)"
        case .invalidTensor(let file, let tensor, let reason):
            return "\(file): tensor '\(tensor)': \(reason)"
        case .overlappingTensors(let file, let first, let second):
            return "\(file): tensors '\(first)' and '\(second)' have overlapping data_offsets"
        case .truncatedData(let file, let tensor, let end, let size):
            return "\(file): tensor '\(tensor)' ends at data byte \(end) but the data region holds only \(size) bytes; the shard is truncated"
        case .malformedIndex(let file, let reason):
            return "\(file): malformed index: \(reason)"
        case .missingShard(let file, let tensor, let index):
            return "\(file): shard named by \(index) for tensor '\(tensor)' does not exist"
        case .missingTensor(let tensor, let checkpoint):
            return "\(checkpoint): required tensor '\(tensor)' is absent"
        case .unexpectedTensor(let file, let tensor, let reason):
            return "\(file): tensor '\(tensor)': \(reason)"
        case .invalidConfig(let file, let reason):
            return "\(file): \(reason)"
        case .noWeights(let directory):
            return "\(directory): no model.safetensors or model.safetensors.index.json"
        }
    }
}
