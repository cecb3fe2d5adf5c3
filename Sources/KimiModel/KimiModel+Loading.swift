import Foundation
import Autograd
import Storage

extension KimiModel {
    /// Checks the parts of the config this implementation relies on.
    static func validate(_ config: KimiConfig) throws {
        func require(_ condition: Bool, _ message: String) throws {
            if !condition { throw ModelError.unsupportedConfig(message) }
        }
        try require(config.hiddenSize > 0 && config.numHiddenLayers > 0 && config.vocabSize > 0,
                    "hidden_size, num_hidden_layers and vocab_size must be positive")
        try require(config.numAttentionHeads > 0, "num_attention_heads must be positive")
        try require(config.numKeyValueHeads == config.numAttentionHeads,
                    "num_key_value_heads \(config.numKeyValueHeads) must equal num_attention_heads \(config.numAttentionHeads) for MLA")
        if config.nRoutedExperts > 0 {
            try require(config.scoringFunc == "sigmoid", "scoring_func '\(config.scoringFunc)' is not supported (only sigmoid)")
            try require(config.nGroup > 0 && config.nRoutedExperts % config.nGroup == 0,
                        "n_routed_experts \(config.nRoutedExperts) is not divisible by n_group \(config.nGroup)")
            try require(config.topkGroup >= 1 && config.topkGroup <= config.nGroup,
                        "topk_group \(config.topkGroup) must be in 1...n_group (\(config.nGroup))")
            try require(config.numExpertsPerTok >= 1 && config.numExpertsPerTok <= config.nRoutedExperts,
                        "num_experts_per_tok \(config.numExpertsPerTok) must be in 1...n_routed_experts")
            try require(config.numExpertsPerTok <= config.topkGroup * (config.nRoutedExperts / config.nGroup),
                        "num_experts_per_tok \(config.numExpertsPerTok) exceeds the experts in topk_group groups")
        }
    }

    /// Builds one decoder layer and appends its projections (with checkpoint module paths) to `projections`.
    static func loadLayer(_ i: Int, config c: KimiConfig, loader: WeightLoader, softmaxScale: Float,
                          projections: inout [(path: String, projection: FrozenProjection)]) throws -> DecoderLayer {
        let eps = Float(c.rmsNormEps)
        // transformers (and DeepSeek's reference code) build q_a_layernorm and kv_a_layernorm with
        // RMSNorm's default eps 1e-6, not rms_norm_eps.
        let latentEps: Float = 1e-6
        let base = "\(c.tensorPrefix)model.layers.\(i)."
        func projection(_ module: String, out: Int, in inFeatures: Int) throws -> FrozenProjection {
            let p = try loader.projection(base + module, out: out, in: inFeatures)
            projections.append((base + module, p))
            return p
        }
        func mlp(_ module: String, intermediate: Int) throws -> SwiGLUMLP {
            SwiGLUMLP(gate: try projection(module + ".gate_proj", out: intermediate, in: c.hiddenSize),
                      up: try projection(module + ".up_proj", out: intermediate, in: c.hiddenSize),
                      down: try projection(module + ".down_proj", out: c.hiddenSize, in: intermediate))
        }
        let H = c.numAttentionHeads, D = c.qHeadDim
        var qA: FrozenProjection?, qNorm: RMSNormWeight?, qB: FrozenProjection?, q: FrozenProjection?
        if let rank = c.qLoraRank {
            qA = try projection("self_attn.q_a_proj", out: rank, in: c.hiddenSize)
            qNorm = try loader.norm(base + "self_attn.q_a_layernorm.weight", dim: rank, eps: latentEps)
            qB = try projection("self_attn.q_b_proj", out: H * D, in: rank)
        } else {
            q = try projection("self_attn.q_proj", out: H * D, in: c.hiddenSize)
        }
        let kvA = try projection("self_attn.kv_a_proj_with_mqa", out: c.kvLoraRank + c.qkRopeHeadDim, in: c.hiddenSize)
        let kvNorm = try loader.norm(base + "self_attn.kv_a_layernorm.weight", dim: c.kvLoraRank, eps: latentEps)
        let kvB = try projection("self_attn.kv_b_proj", out: H * (c.qkNopeHeadDim + c.vHeadDim), in: c.kvLoraRank)
        let o = try projection("self_attn.o_proj", out: c.hiddenSize, in: H * c.vHeadDim)
        let attention = MLAttention(config: c, qAProjection: qA, qANorm: qNorm, qBProjection: qB, qProjection: q,
                                    kvAProjection: kvA, kvANorm: kvNorm, kvBProjection: kvB, oProjection: o,
                                    softmaxScale: softmaxScale)
        let feedForward: FeedForward
        if c.isMoELayer(i) {
            let E = c.nRoutedExperts
            let router = Router(weight: try loader.tensor(base + "mlp.gate.weight", shape: [E, c.hiddenSize]),
                                correctionBias: try loader.store.contains(base + "mlp.gate.e_score_correction_bias")
                                    ? loader.tensor(base + "mlp.gate.e_score_correction_bias", shape: [E]).array
                                    : [Float](repeating: 0, count: E),
                                topK: c.numExpertsPerTok, groupCount: c.nGroup, topKGroups: c.topkGroup,
                                normalize: c.normTopkProb, scalingFactor: Float(c.routedScalingFactor))
            var experts: [SwiGLUMLP] = []
            experts.reserveCapacity(E)
            for e in 0..<E { experts.append(try mlp("mlp.experts.\(e)", intermediate: c.moeIntermediateSize)) }
            let shared = c.nSharedExperts > 0
                ? try mlp("mlp.shared_experts", intermediate: c.moeIntermediateSize * c.nSharedExperts) : nil
            feedForward = .moe(MoEBlock(router: router, experts: experts, sharedExperts: shared))
        } else {
            feedForward = .dense(try mlp("mlp", intermediate: c.intermediateSize))
        }
        return DecoderLayer(index: i,
                            inputNorm: try loader.norm(base + "input_layernorm.weight", dim: c.hiddenSize, eps: eps),
                            attention: attention,
                            postAttentionNorm: try loader.norm(base + "post_attention_layernorm.weight", dim: c.hiddenSize, eps: eps),
                            feedForward: feedForward)
    }
}

extension KimiModel {
    /// Loads config.json and the safetensors shards of a checkpoint directory (flat or nested layout).
    /// Without a `residency`, dense weights are expanded to Float32 when that takes at most 40% of
    /// physical memory, else left BF16 in the mapped shards (a real 1T checkpoint).
    public static func load(directory: URL, residency: DenseWeightResidency? = nil) throws -> KimiModel {
        let config = try KimiConfig.load(directory: directory)
        let reader = try CheckpointReader(directory: directory, expectedGroupSize: config.quantization?.groupSize)
        let chosen = residency ?? .automatic(denseBF16Bytes: denseBF16Bytes(reader))
        return try KimiModel(config: config, weights: reader, residency: chosen)
    }

    /// Bytes of the checkpoint's BF16 tensors (the weights the residency decides about).
    static func denseBF16Bytes(_ reader: CheckpointReader) -> Int {
        var total = 0
        for shard in reader.shards {
            for name in shard.names where shard.dtype(of: name) == .bfloat16 && !name.hasSuffix(".weight_scale") {
                total += shard.byteCount(of: name) ?? 0
            }
        }
        return total
    }
}
