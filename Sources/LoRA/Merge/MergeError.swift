/// What can stop `kimi-sft merge` before or while it writes; each names the path, module or value.
/// Any of these leaves no output folder behind.
public enum MergeError: Error, CustomStringConvertible, Equatable {
    case outputExists(path: String)
    case outputIsModel(path: String)
    case invalidShardSize(String)
    case noQuantizedModules(model: String)
    case adaptedModuleMissing(module: String, model: String)
    case unsupportedDType(tensor: String, dtype: String)

    public var description: String {
        switch self {
        case .outputExists(let p):
            return "\(p): output folder exists and is not empty (pass --overwrite to replace it)"
        case .outputIsModel(let p):
            return "\(p): the output folder is the model folder itself; choose another --out"
        case .invalidShardSize(let s):
            return "invalid shard size '\(s)': expected a positive size like 5GB, 500MB, 2GiB or a byte count"
        case .noQuantizedModules(let m):
            return "\(m): --format int4 needs an INT4 (pack-quantized) base, but this checkpoint has no weight_packed tensors; use --format bf16"
        case .adaptedModuleMissing(let module, let m):
            return "\(m): the adapter has module '\(module)' but the checkpoint holds neither '\(module).weight' nor '\(module).weight_packed'"
        case .unsupportedDType(let t, let d):
            return "tensor '\(t)' is \(d); merging supports BF16, F16, F32 and INT4 pack-quantized projections"
        }
    }
}
