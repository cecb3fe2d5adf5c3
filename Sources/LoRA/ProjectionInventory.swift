import Storage

/// Every frozen projection a Kimi/DeepseekV3 config implies, with its checkpoint module path and
/// shape, derived from the config alone. The coverage audit compares adapters against this list,
/// so a projection the model failed to expose (or a target that matched nothing) cannot go unnoticed.
public struct ProjectionSpec: Sendable, Equatable {
    public let path: String            // "<prefix>model.layers.N.self_attn.q_a_proj"
    public let layer: Int
    public let moduleClass: LoRATargets.ModuleClass
    public let inFeatures: Int
    public let outFeatures: Int
}

public enum ProjectionInventory {
    public static func projections(of c: KimiConfig) -> [ProjectionSpec] {
        var specs: [ProjectionSpec] = []
        let H = c.numAttentionHeads
        for layer in 0..<c.numHiddenLayers {
            let base = "\(c.tensorPrefix)model.layers.\(layer)."
            func add(_ suffix: String, _ cls: LoRATargets.ModuleClass, _ inF: Int, _ outF: Int) {
                specs.append(ProjectionSpec(path: base + suffix, layer: layer, moduleClass: cls, inFeatures: inF, outFeatures: outF))
            }
            if let qRank = c.qLoraRank {
                add("self_attn.q_a_proj", .attention, c.hiddenSize, qRank)
                add("self_attn.q_b_proj", .attention, qRank, H * c.qHeadDim)
            } else {
                add("self_attn.q_proj", .attention, c.hiddenSize, H * c.qHeadDim)
            }
            add("self_attn.kv_a_proj_with_mqa", .attention, c.hiddenSize, c.kvLoraRank + c.qkRopeHeadDim)
            add("self_attn.kv_b_proj", .attention, c.kvLoraRank, H * (c.qkNopeHeadDim + c.vHeadDim))
            add("self_attn.o_proj", .attention, H * c.vHeadDim, c.hiddenSize)
            if c.isMoELayer(layer) {
                for e in 0..<c.nRoutedExperts {
                    add("mlp.experts.\(e).gate_proj", .routedExperts, c.hiddenSize, c.moeIntermediateSize)
                    add("mlp.experts.\(e).up_proj", .routedExperts, c.hiddenSize, c.moeIntermediateSize)
                    add("mlp.experts.\(e).down_proj", .routedExperts, c.moeIntermediateSize, c.hiddenSize)
                }
                if c.nSharedExperts > 0 {
                    let inter = c.moeIntermediateSize * c.nSharedExperts
                    add("mlp.shared_experts.gate_proj", .sharedExperts, c.hiddenSize, inter)
                    add("mlp.shared_experts.up_proj", .sharedExperts, c.hiddenSize, inter)
                    add("mlp.shared_experts.down_proj", .sharedExperts, inter, c.hiddenSize)
                }
            } else {
                add("mlp.gate_proj", .dense, c.hiddenSize, c.intermediateSize)
                add("mlp.up_proj", .dense, c.hiddenSize, c.intermediateSize)
                add("mlp.down_proj", .dense, c.intermediateSize, c.hiddenSize)
            }
        }
        return specs
    }
}
