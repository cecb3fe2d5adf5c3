import Autograd
import Storage

/// All adapters of one fine-tune, keyed by checkpoint module path ("<prefix>model.layers.3.mlp.experts.17.gate_proj").
/// The order is the inventory order, so parameter lists, optimizer state and saved files are deterministic.
public final class LoRAAdapterSet: @unchecked Sendable {
    public let config: LoRAConfig
    public private(set) var paths: [String] = []
    public private(set) var adapters: [String: LoRAAdapter] = [:]

    public init(config: LoRAConfig) { self.config = config }

    /// Fresh adapters on every projection the targets (and layer range) select, seeded per module so
    /// adding a target never changes another module's initialisation.
    public static func create(for model: KimiConfig, config: LoRAConfig) throws -> LoRAAdapterSet {
        let set = LoRAAdapterSet(config: config)
        let all = ProjectionInventory.projections(of: model)
        for entry in config.targets.unmatchedEntries(in: all.map(\.path)) {
            throw LoRAError.targetMatchesNothing(entry, suggestion: LoRAError.suggestion(for: entry, paths: all.map(\.path)))
        }
        for spec in all where config.targets.matches(spec.path) && (config.layers?.contains(spec.layer) ?? true) {
            let adapter = LoRAAdapter(inFeatures: spec.inFeatures, outFeatures: spec.outFeatures, rank: config.rank,
                                      scaling: config.scaling, dropout: Float(config.dropout),
                                      initializationSeed: config.seed ^ stableHash(spec.path))
            set.insert(adapter, at: spec.path)
        }
        return set
    }

    public func insert(_ adapter: LoRAAdapter, at path: String) {
        if adapters[path] == nil { paths.append(path) }
        adapters[path] = adapter
    }

    public subscript(path: String) -> LoRAAdapter? { adapters[path] }
    public var count: Int { paths.count }
    public var parameterCount: Int { paths.reduce(0) { $0 + adapters[$1]!.parameterCount } }

    /// Named parameter/gradient pairs in a fixed order: "<path>.lora_A.weight", "<path>.lora_B.weight".
    public var parameters: [(name: String, value: Tensor, gradient: Tensor)] {
        paths.flatMap { path -> [(name: String, value: Tensor, gradient: Tensor)] in
            let a = adapters[path]!
            return [("\(path).lora_A.weight", a.a, a.gradientA), ("\(path).lora_B.weight", a.b, a.gradientB)]
        }
    }

    public func zeroGradients() { for p in paths { adapters[p]!.zeroGradients() } }

    public func setTraining(_ training: Bool) { for p in paths { adapters[p]!.isTraining = training } }

    /// Gives every adapter a distinct dropout seed for this micro-batch.
    public func setDropoutSeed(_ seed: UInt64) {
        for p in paths { adapters[p]!.dropoutSeed = seed ^ stableHash(p) }
    }

    /// The audit of this set against what the targets imply for `model`.
    public func audit(model: KimiConfig) throws -> CoverageAudit {
        var adapted: [String: (rank: Int, parameters: Int)] = [:]
        for p in paths { adapted[p] = (adapters[p]!.rank, adapters[p]!.parameterCount) }
        return try CoverageAudit(config: model, lora: config, adapted: adapted)
    }
}

/// FNV-1a over the UTF-8 of a string: a hash that is stable across runs and platforms
/// (Swift's `hashValue` is randomly seeded per process).
public func stableHash(_ s: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
}
