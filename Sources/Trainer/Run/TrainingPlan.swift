import Storage

/// What a run will do, computed before any update: data sizes, the step schedule, and a memory
/// estimate. `train --dry-run` prints it; `train` prints it before starting.
public struct TrainingPlan: Sendable {
    public var trainRows: Int
    public var evalRows: Int
    public var trainTokens: Int
    public var trainSupervisedTokens: Int
    public var microBatchesPerEpoch: Int
    public var stepCount: TrainingStepCount
    public var warmupSteps: Int
    /// Tokens of the longest micro-batch (what sizes the activations).
    public var longestMicroBatchTokens: Int
    public var memory: MemoryEstimate

    /// The memory a run needs, in bytes, by kind.
    public struct MemoryEstimate: Sendable {
        /// safetensors bytes mapped from the model folder (paged in as used; INT4 experts stay packed).
        public var mappedBaseBytes: Int
        /// Trainable LoRA parameters and their gradients (Float32).
        public var adapterBytes: Int
        /// Optimizer buffers (AdamW: two moments; SGD with momentum: one).
        public var optimizerBytes: Int
        /// Peak activations of one micro-batch under activation checkpointing (an estimate:
        /// every layer's input kept, one layer's intermediates, one chunk of logits).
        public var activationBytes: Int

        public var totalBytes: Int { mappedBaseBytes + adapterBytes + optimizerBytes + activationBytes }
    }

    init(recipe: Recipe, data: TrainingData, config: KimiConfig, adapterParameters: Int, mappedBaseBytes: Int) {
        trainRows = data.train.count
        evalRows = data.eval.count
        trainTokens = data.trainTokens
        trainSupervisedTokens = data.trainSupervisedTokens
        let batchSize = max(1, recipe.batchSize)
        microBatchesPerEpoch = (data.train.count + batchSize - 1) / batchSize
        stepCount = TrainingStepCount(batchesPerEpoch: microBatchesPerEpoch, gradientAccumulationSteps: recipe.gradientAccumulationSteps,
                                      epochs: recipe.numberOfEpochs, maxSteps: recipe.maxSteps)
        warmupSteps = recipe.warmupStepCount(totalSteps: stepCount.totalSteps)
        let rowLengths = data.train.map(\.count).sorted(by: >)
        longestMicroBatchTokens = rowLengths.prefix(batchSize).reduce(0, +)
        let optimizerCopies = recipe.optimizer == .adamW ? 2 : (recipe.sgdMomentum > 0 ? 1 : 0)
        memory = MemoryEstimate(mappedBaseBytes: mappedBaseBytes, adapterBytes: adapterParameters * 4 * 2,
                                optimizerBytes: adapterParameters * 4 * optimizerCopies,
                                activationBytes: Self.activationBytes(config: config, tokens: longestMicroBatchTokens))
    }

    /// Float32 activations of one micro-batch of T tokens: L + 1 saved layer inputs [T, C]; one
    /// layer recomputed in backward (attention q/k/v/output per head, the MoE's routed copies,
    /// a dense or expert MLP's intermediates, about 16 [T, max(C, H*D)] buffers in all); one
    /// [chunk, V] logits block and its gradient; one expert matrix dequantized.
    static func activationBytes(config c: KimiConfig, tokens T: Int) -> Int {
        let C = c.hiddenSize, L = c.numHiddenLayers
        let attentionWidth = c.numAttentionHeads * max(c.qHeadDim, c.vHeadDim)
        let mlpWidth = max(c.intermediateSize, c.moeIntermediateSize * max(1, c.numExpertsPerTok + c.nSharedExperts))
        let layerInputs = (L + 1) * T * C
        let oneLayer = T * (16 * max(C, attentionWidth) + 3 * mlpWidth)
        let logits = 2 * min(256, T) * c.vocabSize
        let dequantized = max(c.intermediateSize, c.moeIntermediateSize) * C
        return 4 * (layerInputs + oneLayer + logits + dequantized)
    }

    /// The plan as the lines `train` prints.
    public var lines: [String] {
        [
            "plan: \(trainRows) training sequences (\(trainTokens) tokens, \(trainSupervisedTokens) supervised), \(evalRows) eval sequences",
            "      \(microBatchesPerEpoch) micro-batches/epoch, \(stepCount.updatesPerEpoch) updates/epoch, \(stepCount.totalSteps) updates in all, \(warmupSteps) warmup",
            "memory: base \(formatBytes(memory.mappedBaseBytes)) mapped, adapter+gradients \(formatBytes(memory.adapterBytes)), "
                + "optimizer \(formatBytes(memory.optimizerBytes)), activations ~\(formatBytes(memory.activationBytes)) "
                + "(longest micro-batch \(longestMicroBatchTokens) tokens); total ~\(formatBytes(memory.totalBytes))",
        ]
    }
}
