/// Every tensor a Kimi K2.x text model has, derived from its config (KIMI-FORMAT.md §2): names
/// with the layout's prefix, shapes, dtypes, and which projections are routed experts. `init`
/// writes exactly this list, the reader checks a checkpoint holds it, and `inspect` uses the
/// linear modules for LoRA sizing.
public struct KimiTensorLayout: Sendable {
    /// What a tensor is for, so callers can count and target groups of them.
    public enum Role: String, Sendable, CaseIterable {
        case embedding, norm, attention, denseMLP, router, routerBias, sharedExpert, routedExpert, lmHead
    }

    /// A plain tensor (norm, embedding, router bias) or a linear projection (`module` + ".weight",
    /// or `module` + ".weight_packed/_scale/_shape" when INT4).
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let role: Role
        /// [out, in] for linear modules; the tensor shape otherwise.
        public let shape: [Int]
        public let isLinear: Bool
        public let layer: Int?

        /// The stored tensor names (for a linear module: `.weight`, or the INT4 triple).
        public func tensorNames(quantized: Bool) -> [String] {
            guard isLinear else { return [name] }
            return quantized ? [name + ".weight_packed", name + ".weight_scale", name + ".weight_shape"] : [name + ".weight"]
        }
    }

    public let config: KimiConfig
    public let entries: [Entry]

    public init(config c: KimiConfig) {
        self.config = c
        let p = c.tensorPrefix + "model."
        var e: [Entry] = []
        func linear(_ name: String, _ role: Role, _ out: Int, _ inp: Int, _ layer: Int?) {
            e.append(Entry(name: name, role: role, shape: [out, inp], isLinear: true, layer: layer))
        }
        func plain(_ name: String, _ role: Role, _ shape: [Int], _ layer: Int?) {
            e.append(Entry(name: name, role: role, shape: shape, isLinear: false, layer: layer))
        }
        let h = c.hiddenSize, heads = c.numAttentionHeads
        plain(p + "embed_tokens.weight", .embedding, [c.vocabSize, h], nil)
        for l in 0..<c.numHiddenLayers {
            let lp = p + "layers.\(l)."
            plain(lp + "input_layernorm.weight", .norm, [h], l)
            let a = lp + "self_attn."
            if let q = c.qLoraRank {
                linear(a + "q_a_proj", .attention, q, h, l)
                plain(a + "q_a_layernorm.weight", .norm, [q], l)
                linear(a + "q_b_proj", .attention, heads * c.qHeadDim, q, l)
            } else {
                linear(a + "q_proj", .attention, heads * c.qHeadDim, h, l)
            }
            linear(a + "kv_a_proj_with_mqa", .attention, c.kvLoraRank + c.qkRopeHeadDim, h, l)
            plain(a + "kv_a_layernorm.weight", .norm, [c.kvLoraRank], l)
            linear(a + "kv_b_proj", .attention, heads * (c.qkNopeHeadDim + c.vHeadDim), c.kvLoraRank, l)
            linear(a + "o_proj", .attention, h, heads * c.vHeadDim, l)
            plain(lp + "post_attention_layernorm.weight", .norm, [h], l)
            let m = lp + "mlp."
            if c.isMoELayer(l) {
                plain(m + "gate.weight", .router, [c.nRoutedExperts, h], l)
                if c.topkMethod == "noaux_tc" { plain(m + "gate.e_score_correction_bias", .routerBias, [c.nRoutedExperts], l) }
                if c.nSharedExperts > 0 {
                    let s = c.moeIntermediateSize * c.nSharedExperts
                    linear(m + "shared_experts.gate_proj", .sharedExpert, s, h, l)
                    linear(m + "shared_experts.up_proj", .sharedExpert, s, h, l)
                    linear(m + "shared_experts.down_proj", .sharedExpert, h, s, l)
                }
                for x in 0..<c.nRoutedExperts {
                    let ep = m + "experts.\(x)."
                    linear(ep + "gate_proj", .routedExpert, c.moeIntermediateSize, h, l)
                    linear(ep + "up_proj", .routedExpert, c.moeIntermediateSize, h, l)
                    linear(ep + "down_proj", .routedExpert, h, c.moeIntermediateSize, l)
                }
            } else {
                linear(m + "gate_proj", .denseMLP, c.intermediateSize, h, l)
                linear(m + "up_proj", .denseMLP, c.intermediateSize, h, l)
                linear(m + "down_proj", .denseMLP, h, c.intermediateSize, l)
            }
        }
        plain(p + "norm.weight", .norm, [h], nil)
        if !c.tieWordEmbeddings { linear(c.tensorPrefix + "lm_head", .lmHead, c.vocabSize, h, nil) }
        entries = e
    }

    /// Whether a linear module is stored INT4 when the checkpoint is written by `init`: the routed
    /// experts when the config has a quantization_config (what Kimi's ignore list yields).
    public func isQuantized(_ entry: Entry) -> Bool {
        entry.isLinear && entry.role == .routedExpert && config.quantization != nil
    }

    /// The safetensors specs `init` writes: INT4 routed experts, F32 router bias, BF16 otherwise.
    public func tensorSpecs() -> [TensorSpec] {
        let groupSize = config.quantization?.groupSize ?? 32
        return entries.flatMap { entry -> [TensorSpec] in
            if isQuantized(entry) {
                return OwnedPackedInt4.specs(module: entry.name, rows: entry.shape[0], columns: entry.shape[1], groupSize: groupSize)
            }
            let name = entry.isLinear ? entry.name + ".weight" : entry.name
            return [TensorSpec(name: name, dtype: entry.role == .routerBias ? .float32 : .bfloat16, shape: entry.shape)]
        }
    }
}

extension CheckpointReader {
    /// Checks that every tensor the config implies is present with the right shape: a linear
    /// module as `.weight` [out, in] or as an INT4 triple whose weight_packed is [out, in / 8].
    public func validate(against layout: KimiTensorLayout) throws {
        for entry in layout.entries {
            if entry.isLinear {
                if contains(entry.name + ".weight_packed") {
                    for name in entry.tensorNames(quantized: true) where !contains(name) {
                        throw CheckpointError.missingTensor(tensor: name, checkpoint: directory.path)
                    }
                    let v = try view(entry.name + ".weight_packed")
                    guard v.shape == [entry.shape[0], entry.shape[1] / 8] else {
                        throw CheckpointError.unexpectedTensor(file: v.file, tensor: v.name,
                            reason: "shape \(v.shape), the config implies [\(entry.shape[0]), \(entry.shape[1] / 8)]")
                    }
                    continue
                }
                try checkShape(entry.name + ".weight", entry.shape)
            } else {
                try checkShape(entry.name, entry.shape)
            }
        }
    }

    private func checkShape(_ name: String, _ shape: [Int]) throws {
        guard let file = shard(of: name), let actual = file.shape(of: name) else {
            throw CheckpointError.missingTensor(tensor: name, checkpoint: directory.path)
        }
        guard actual == shape else {
            throw CheckpointError.unexpectedTensor(file: file.path, tensor: name, reason: "shape \(actual), the config implies \(shape)")
        }
    }
}
