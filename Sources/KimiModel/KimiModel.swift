import Autograd
import Storage

/// A Kimi K2.x / DeepseekV3 causal language model on a frozen base, fp32 throughout.
///
/// Forward and backward are explicit per layer (llm.c style). Only input gradients flow through the
/// frozen base; trainable parameters live in the adapters plugged into `projections`. With
/// activation checkpointing (the default) a forward keeps only each layer's input, and backward
/// recomputes the layer.
public final class KimiModel {
    public let config: KimiConfig
    /// [V, C] token embedding.
    public let embedding: TokenEmbedding
    /// Where the BF16 (non-expert) base weights live: expanded to Float32, or mapped.
    public let residency: DenseWeightResidency
    public let layers: [DecoderLayer]
    public let finalNorm: RMSNormWeight
    /// [V, C]; not listed in `projections` (not a LoRA target here).
    public let lmHead: FrozenProjection
    /// Every adaptable projection with its checkpoint module path (prefix included), e.g.
    /// "model.layers.3.mlp.experts.17.gate_proj" or "language_model.model.layers.0.self_attn.q_a_proj".
    public let projections: [(path: String, projection: FrozenProjection)]
    public let rotaryEmbedding: RotaryEmbedding
    /// Recompute each layer in backward (true) or keep its activations from forward (false).
    public var activationCheckpointing = true
    /// Rows of logits materialised at once, bounding [rows, vocab] memory for large vocabularies.
    public var logitsChunkRows = 256

    let rotary: RotaryCache
    let scratch: DequantizationScratch
    let projectionIndex: [String: FrozenProjection]

    /// - Parameter residency: where dense BF16 weights live; `.mappedBF16` needs a store that can map
    ///   them (a checkpoint on disk) and falls back to Float32 per tensor otherwise.
    public init(config: KimiConfig, weights: any WeightStore, residency: DenseWeightResidency = .float32) throws {
        try Self.validate(config)
        self.config = config
        self.residency = residency
        let scratch = DequantizationScratch()
        self.scratch = scratch
        let loader = WeightLoader(store: weights, scratch: scratch, residency: residency)
        let C = config.hiddenSize, V = config.vocabSize
        let prefix = config.tensorPrefix
        let embeddingName = prefix + "model.embed_tokens.weight"
        if residency == .mappedBF16, let view = try loader.mappedView(embeddingName, shape: [V, C]) {
            embedding = .bfloat16(view)
        } else {
            embedding = .float32(try loader.tensor(embeddingName, shape: [V, C]))
        }
        rotaryEmbedding = try RotaryEmbedding(config: config)
        rotary = RotaryCache(embedding: rotaryEmbedding)
        var projections: [(path: String, projection: FrozenProjection)] = []
        var layers: [DecoderLayer] = []
        for i in 0..<config.numHiddenLayers {
            layers.append(try Self.loadLayer(i, config: config, loader: loader, softmaxScale: rotaryEmbedding.softmaxScale,
                                             projections: &projections))
        }
        self.layers = layers
        self.projections = projections
        projectionIndex = Dictionary(projections.map { ($0.path, $0.projection) }, uniquingKeysWith: { first, _ in first })
        finalNorm = try loader.norm(prefix + "model.norm.weight", dim: C, eps: Float(config.rmsNormEps))
        if config.tieWordEmbeddings && !weights.contains(prefix + "lm_head.weight") {
            lmHead = FrozenProjection(base: embedding.projectionBase, scratch: scratch)
        } else {
            lmHead = try loader.projection(prefix + "lm_head", out: V, in: C)
        }
    }

    /// The result of a forward (+ backward) pass.
    public struct PassResult {
        /// Sum of token cross-entropies (Double), over `count` label tokens.
        public var lossSum: Double
        public var count: Int
        /// [T, C] d(loss * lossScale) / d(input embeddings), when requested.
        public var inputEmbeddingGradient: Tensor?
        public var meanLoss: Double { count > 0 ? lossSum / Double(count) : 0 }
    }

    // Legend: T = tokens in the batch, C = hidden size, V = vocabulary.

    /// Validates the batch and prepares the layer context (rotary tables grown to its positions).
    private func prepare(_ batch: TokenBatch) throws {
        try batch.validate(vocabularySize: config.vocabSize, maxPositions: config.maxPositionEmbeddings)
        rotary.ensure(positions: Int(batch.positions.max() ?? 0) + 1)
    }

    /// Runs the decoder stack on a validated batch; calls `body` with the final hidden states and
    /// (when `keepInputs`) every layer's input [L + 1 buffers: inputs of layer 0..L-1, then output].
    private func runLayers<R>(_ batch: TokenBatch, keepInputs: Bool,
                              _ body: (_ hidden: Tensor, _ inputs: [Tensor], _ saved: [DecoderLayer.Activations], _ context: LayerContext) throws -> R) rethrows -> R {
        let T = batch.count, C = config.hiddenSize
        return try batch.positions.withUnsafeBufferPointer { positions in
            try batch.segmentIds.withUnsafeBufferPointer { segments in
                let context = LayerContext(tokens: T, positions: positions.baseAddress!, segmentIds: segments.baseAddress!, rotary: rotary)
                var x = Tensor(shape: [T, C])
                batch.inputIds.withUnsafeBufferPointer { ids in
                    embedding.gather(ids.baseAddress!, count: T, columns: C, into: x.pointer)  // x [T, C]
                }
                var inputs: [Tensor] = []
                var saved: [DecoderLayer.Activations] = []
                for layer in layers {
                    if keepInputs { inputs.append(x) }
                    let y = Tensor(shape: [T, C])
                    let activations = layer.forward(x.pointer, context: context, into: y.pointer)
                    if keepInputs && !activationCheckpointing { saved.append(activations) }
                    x = y
                }
                return try body(x, inputs, saved, context)
            }
        }
    }

    /// Mean-loss ingredients for a batch (no gradients).
    public func forward(_ batch: TokenBatch) throws -> PassResult {
        try prepare(batch)
        return runLayers(batch, keepInputs: false) { hidden, _, _, _ in
            let (normed, _) = normalize(hidden, rows: batch.count)
            let (lossSum, count) = lossChunks(normed: normed, labels: batch.shiftedLabels, gradientScale: 0, normedGradient: nil)
            return PassResult(lossSum: lossSum, count: count, inputEmbeddingGradient: nil)
        }
    }

    /// Logits [T, V] for a batch (tests and evaluation of small models).
    public func logits(_ batch: TokenBatch) throws -> Tensor {
        try prepare(batch)
        return runLayers(batch, keepInputs: false) { hidden, _, _, _ in
            let (normed, _) = normalize(hidden, rows: batch.count)
            let logits = Tensor(shape: [batch.count, config.vocabSize])
            lmHead.forward(normed.pointer, rows: batch.count, into: logits.pointer)
            return logits
        }
    }

    /// Forward and backward: gradients of (lossSum * lossScale) flow into every adapter. Pass
    /// lossScale = 1 / count for the gradient of the mean loss. `captureInputGradient` returns
    /// d/d(input embeddings) as well.
    public func forwardBackward(_ batch: TokenBatch, lossScale: Float, captureInputGradient: Bool = false) throws -> PassResult {
        try prepare(batch)
        let T = batch.count, C = config.hiddenSize
        return runLayers(batch, keepInputs: true) { hidden, inputs, saved, context in
            let (normed, inverseRMS) = normalize(hidden, rows: T)
            let dNormed = Tensor(shape: [T, C])
            let (lossSum, count) = lossChunks(normed: normed, labels: batch.shiftedLabels, gradientScale: lossScale,
                                              normedGradient: dNormed.pointer)
            var dx = Tensor(shape: [T, C])
            finalNorm.backward(hidden.pointer, rows: T, inverseRMS: inverseRMS.pointer, outputGradient: dNormed.pointer, inputGradient: dx.pointer)
            for l in layers.indices.reversed() {
                let dInput = Tensor(shape: [T, C])
                layers[l].backward(inputs[l].pointer, context: context, saved: saved.isEmpty ? nil : saved[l],
                                   outputGradient: dx.pointer, inputGradient: dInput.pointer)
                dx = dInput
            }
            return PassResult(lossSum: lossSum, count: count, inputEmbeddingGradient: captureInputGradient ? dx : nil)
        }
    }

    /// Final RMSNorm: normed [T, C] and inverse RMS [T].
    private func normalize(_ hidden: Tensor, rows T: Int) -> (Tensor, Tensor) {
        let normed = Tensor(shape: [T, config.hiddenSize]), inverse = Tensor(shape: [T])
        finalNorm.forward(hidden.pointer, rows: T, output: normed.pointer, inverseRMS: inverse.pointer)
        return (normed, inverse)
    }

    /// Cross-entropy of lm_head(normed) against `labels` (already shifted), in row chunks so only
    /// [chunk, V] logits exist at once. With `normedGradient`, also d(lossSum * gradientScale)/d normed.
    private func lossChunks(normed: Tensor, labels: [Int32], gradientScale: Float,
                            normedGradient: UnsafeMutablePointer<Float>?) -> (Double, Int) {
        let T = labels.count, C = config.hiddenSize, V = config.vocabSize
        let chunk = max(1, min(logitsChunkRows, T))
        let logits = Tensor(shape: [chunk, V])
        let dLogits = normedGradient == nil ? nil : Tensor(shape: [chunk, V])
        var lossSum = 0.0, count = 0
        labels.withUnsafeBufferPointer { labelBuffer in
            var start = 0
            while start < T {
                let rows = min(chunk, T - start)
                let x = normed.pointer + start * C
                let labelRows = labelBuffer.baseAddress! + start
                // Skip chunks without a counted label: nothing to add, no gradient.
                if (0..<rows).contains(where: { labelRows[$0] != TokenBatch.ignoreIndex }) {
                    lmHead.forward(x, rows: rows, into: logits.pointer)                                   // logits [rows, V]
                    let result = Kernels.crossEntropyForward(logits: logits.pointer, labels: labelRows, rows: rows, vocabulary: V,
                                                             logitsGradient: dLogits?.pointer,
                                                             gradientScale: gradientScale)
                    lossSum += result.lossSum
                    count += result.count
                    if let dNormed = normedGradient, let dLogits {
                        lmHead.backward(x, rows: rows, outputGradient: dLogits.pointer, inputGradient: dNormed + start * C)
                    }
                }
                start += rows
            }
        }
        return (lossSum, count)
    }
}
