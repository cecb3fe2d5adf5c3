/// Hyper-parameters of a LoRA adapter set, as PEFT's `LoraConfig` names them.
public struct LoRAConfig: Sendable, Equatable {
    public var rank: Int
    public var alpha: Double
    public var dropout: Double
    public var useRSLoRA: Bool
    public var targets: LoRATargets
    /// Only decoder layers in this range get adapters (nil: all), like PEFT's `layers_to_transform`.
    public var layers: ClosedRange<Int>?
    /// Seed for the adapter initialisation (A kaiming-uniform) and dropout masks.
    public var seed: UInt64

    public init(rank: Int = 8, alpha: Double? = nil, dropout: Double = 0, useRSLoRA: Bool = false,
                targets: LoRATargets = .all, layers: ClosedRange<Int>? = nil, seed: UInt64 = 42) {
        self.rank = rank
        // LLaMA-Factory's default: lora_alpha = 2 * lora_rank when unset.
        self.alpha = alpha ?? Double(rank * 2)
        self.dropout = dropout
        self.useRSLoRA = useRSLoRA
        self.targets = targets
        self.layers = layers
        self.seed = seed
    }

    /// s in y = W x + s B A x: alpha / r, or alpha / sqrt(r) with rsLoRA.
    public var scaling: Float {
        Float(useRSLoRA ? alpha / Double(rank).squareRoot() : alpha / Double(rank))
    }
}
