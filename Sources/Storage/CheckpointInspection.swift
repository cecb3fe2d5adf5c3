/// What `kimi-sft inspect` reports about a checkpoint, computed from config.json and the shard
/// headers alone (no tensor data is read, so it takes seconds even on a 1T-parameter layout).
public struct CheckpointInspection: Sendable {
    public let config: KimiConfig
    public let tensorCount: Int
    public let shardCount: Int
    /// Parameters: INT4 modules count out x in (from weight_packed), quantization metadata
    /// (weight_scale, weight_shape, weight_scale_inv) counts nothing.
    public let totalParameters: Int
    public let routedExpertParameters: Int
    /// Parameters outside the text model (vision_tower, mm_projector) that a text LoRA skips.
    public let nonTextParameters: Int
    public let bytesPerDType: [SafetensorsDType: Int]
    public let int4ModuleCount: Int
    public let int4TensorCount: Int

    /// Parameters used per token: everything but the routed experts, plus top-k of n of those.
    public var activeParameters: Int {
        guard config.nRoutedExperts > 0 else { return totalParameters }
        let routedActive = Double(routedExpertParameters) * Double(config.numExpertsPerTok) / Double(config.nRoutedExperts)
        return totalParameters - nonTextParameters - routedExpertParameters + Int(routedActive.rounded())
    }

    public init(reader: CheckpointReader, config: KimiConfig) {
        self.config = config
        var total = 0, routed = 0, nonText = 0, modules = 0, int4Tensors = 0
        var bytes: [SafetensorsDType: Int] = [:]
        var count = 0
        for shard in reader.shards {
            for name in shard.names {
                count += 1
                let dtype = shard.dtype(of: name)!, shape = shard.shape(of: name)!
                bytes[dtype, default: 0] += shard.byteCount(of: name)!
                var parameters = shape.reduce(1, *)
                if name.hasSuffix(".weight_packed") {
                    parameters *= 8
                    modules += 1
                    int4Tensors += 1
                } else if name.hasSuffix(".weight_scale") || name.hasSuffix(".weight_shape") {
                    // Both suffixes are 13 characters long.
                    if reader.contains(String(name.dropLast(13)) + ".weight_packed") { int4Tensors += 1 }
                    parameters = 0
                } else if name.hasSuffix(".weight_scale_inv") {
                    parameters = 0
                }
                total += parameters
                if name.contains(".mlp.experts.") { routed += parameters }
                if !name.hasPrefix(config.tensorPrefix + "model.") && !name.hasPrefix(config.tensorPrefix + "lm_head.") { nonText += parameters }
            }
        }
        tensorCount = count
        shardCount = reader.shards.count
        totalParameters = total
        routedExpertParameters = routed
        nonTextParameters = nonText
        bytesPerDType = bytes
        int4ModuleCount = modules
        int4TensorCount = int4Tensors
    }

    /// What a LoRA of `rank` on a group of projections adds: A [r, in] and B [out, r] per module.
    public struct LoRASize: Sendable, Equatable {
        public let modules: Int
        public let tensors: Int
        public let parameters: Int
        public var float32Bytes: Int { parameters * 4 }
        public var bfloat16Bytes: Int { parameters * 2 }
    }

    public func loraSize(rank: Int, roles: Set<KimiTensorLayout.Role>) -> LoRASize {
        var modules = 0, parameters = 0
        for entry in KimiTensorLayout(config: config).entries where entry.isLinear && roles.contains(entry.role) {
            modules += 1
            parameters += rank * (entry.shape[0] + entry.shape[1])
        }
        return LoRASize(modules: modules, tensors: 2 * modules, parameters: parameters)
    }
}
