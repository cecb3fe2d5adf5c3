/// The model sizes `kimi-sft init` can write. `tiny` trains in seconds, `small` is the benchmark
/// size, `k2.5` is the real Kimi-K2.5 text model (KIMI-FORMAT.md §1), written sparse.
public enum CheckpointPreset: String, Sendable, CaseIterable {
    case tiny
    case small
    case k25 = "k2.5"

    /// Special tokens sit right after the base ranks, as in Kimi (163584 + 256 = 163840).
    public static let specialTokenCount = 256

    /// The number of ordinary (BPE) tokens; the vocabulary is this plus the 256 specials.
    public var baseTokenCount: Int {
        switch self {
        case .tiny: return 512
        case .small: return 32_512
        case .k25: return 163_584
        }
    }

    /// The layout the real model of this size uses when `--layout` is not given.
    public var defaultNested: Bool { self == .k25 }

    /// The INT4 group size (group_size 32 needs every expert in-feature count divisible by 32).
    public static let groupSize = 32

    /// The preset's config. `baseTokens` overrides the base vocabulary size (a trained BPE
    /// vocabulary may come out smaller than asked when its sample text runs out of pairs); the
    /// special-token ids follow it.
    public func config(nested: Bool, baseTokens: Int? = nil) -> KimiConfig {
        let base = baseTokens ?? baseTokenCount
        let vocab = base + Self.specialTokenCount
        let quantization = QuantizationConfig(groupSize: Self.groupSize, ignore: [
            "lm_head", "re:.*self_attn.*", "re:.*shared_experts.*", "re:.*mlp\\.(gate|up|gate_up|down)_proj.*",
        ])
        var c: KimiConfig
        switch self {
        case .tiny:
            c = KimiConfig(hiddenSize: 64, intermediateSize: 128, moeIntermediateSize: 32, numHiddenLayers: 3,
                           numAttentionHeads: 4, numKeyValueHeads: 4, qLoraRank: 32, kvLoraRank: 16,
                           qkNopeHeadDim: 16, qkRopeHeadDim: 8, vHeadDim: 16, nRoutedExperts: 8, nSharedExperts: 1,
                           numExpertsPerTok: 2, firstKDenseReplace: 1, routedScalingFactor: 2.827, rmsNormEps: 1e-5,
                           ropeTheta: 50000,
                           ropeScaling: RopeScaling(factor: 4, originalMaxPositionEmbeddings: 1024, betaFast: 32, betaSlow: 1, mscale: 1, mscaleAllDim: 1),
                           maxPositionEmbeddings: 4096, vocabSize: vocab)
        case .small:
            c = KimiConfig(hiddenSize: 1024, intermediateSize: 2816, moeIntermediateSize: 512, numHiddenLayers: 8,
                           numAttentionHeads: 16, numKeyValueHeads: 16, qLoraRank: 512, kvLoraRank: 256,
                           qkNopeHeadDim: 64, qkRopeHeadDim: 32, vHeadDim: 64, nRoutedExperts: 64, nSharedExperts: 1,
                           numExpertsPerTok: 6, firstKDenseReplace: 1, routedScalingFactor: 2.827, rmsNormEps: 1e-5,
                           ropeTheta: 50000,
                           ropeScaling: RopeScaling(factor: 8, originalMaxPositionEmbeddings: 4096, betaFast: 32, betaSlow: 1, mscale: 1, mscaleAllDim: 1),
                           maxPositionEmbeddings: 32768, vocabSize: vocab)
        case .k25:
            c = KimiConfig(hiddenSize: 7168, intermediateSize: 18432, moeIntermediateSize: 2048, numHiddenLayers: 61,
                           numAttentionHeads: 64, numKeyValueHeads: 64, qLoraRank: 1536, kvLoraRank: 512,
                           qkNopeHeadDim: 128, qkRopeHeadDim: 64, vHeadDim: 128, nRoutedExperts: 384, nSharedExperts: 1,
                           numExpertsPerTok: 8, firstKDenseReplace: 1, routedScalingFactor: 2.827, rmsNormEps: 1e-5,
                           ropeTheta: 50000,
                           ropeScaling: RopeScaling(factor: 64, originalMaxPositionEmbeddings: 4096, betaFast: 32, betaSlow: 1, mscale: 1, mscaleAllDim: 1),
                           maxPositionEmbeddings: 262_144, vocabSize: vocab)
        }
        c.bosTokenId = base
        c.eosTokenId = base + 1
        c.padTokenId = base + 255
        c.quantization = quantization
        c.tensorPrefix = nested ? "language_model." : ""
        return c
    }

    /// How the preset's weights are split into shards (the real K2.5 has 64).
    public var sharding: ShardedCheckpointWriter.Sharding {
        switch self {
        case .tiny: return .shardCount(2)
        case .small: return .maximumShardBytes(128 << 20)
        case .k25: return .shardCount(64)
        }
    }
}

extension KimiConfig {
    /// A complete config.json for a generated checkpoint, in the layout the prefix implies: flat
    /// DeepseekV3 / kimi_k2, or nested kimi_k25 with `text_config` and quantization_config at both
    /// levels, as the released models have them.
    public func generatedJSON() -> JSONValue {
        var text = JSONObject()
        let nested = !tensorPrefix.isEmpty
        if !nested {
            text["architectures"] = .array([.string("DeepseekV3ForCausalLM")])
            text["auto_map"] = .object(JSONObject([
                ("AutoConfig", .string("configuration_deepseek.DeepseekV3Config")),
                ("AutoModel", .string("modeling_deepseek.DeepseekV3Model")),
                ("AutoModelForCausalLM", .string("modeling_deepseek.DeepseekV3ForCausalLM")),
            ]))
        }
        text["model_type"] = .string("kimi_k2")
        text["attention_bias"] = .bool(false)
        text["attention_dropout"] = .double(0)
        text["hidden_act"] = .string("silu")
        text["initializer_range"] = .double(0.02)
        for (key, value) in textFields() { text[key] = value }
        text["torch_dtype"] = .string("bfloat16")
        text["use_cache"] = .bool(true)
        if let q = quantization { text["quantization_config"] = q.jsonValue(updating: nil) }
        guard nested else { return .object(text) }
        var top = JSONObject()
        top["architectures"] = .array([.string("KimiK25ForConditionalGeneration")])
        top["model_type"] = .string("kimi_k25")
        top["text_config"] = .object(text)
        top["vision_config"] = .object(JSONObject([("model_type", .string("moonvit")), ("hidden_size", .int(1152))]))
        top["tie_word_embeddings"] = .bool(tieWordEmbeddings)
        top["torch_dtype"] = .string("bfloat16")
        if let q = quantization { top["quantization_config"] = q.jsonValue(updating: nil) }
        return .object(top)
    }
}
