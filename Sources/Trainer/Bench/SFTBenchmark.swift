import Autograd
import Foundation

/// SFT training throughput as LLaMA-Factory and KTransformers report it: one optimizer step of
/// `accumulation` micro-batches of one `sequenceLength`-token sequence each, and
/// tokens/s = accumulation x sequence length / wall time of that step (forward, backward, clipping
/// and the AdamW update all inside). The data is synthetic (seeded random ids) with the first half
/// of each sequence masked as a prompt, so supervised tokens/s is reported beside processed.
public enum SFTBenchmark {
    public struct Settings: Sendable {
        public var modelPath: String
        public var sequenceLength = 512
        public var accumulation = 16
        public var steps = 3
        public var rank = 8
        public var targets = ["all"]
        public var seed = 0

        public init(modelPath: String) { self.modelPath = modelPath }
    }

    public struct Step: Sendable {
        public var seconds: Double
        public var tokens: Int
        public var supervisedTokens: Int
        public var loss: Double
    }

    public struct Result: Sendable {
        public var settings: Settings
        public var loadSeconds: Double
        public var adapterParameters: Int
        public var steps: [Step]
        public var peakResidentBytes: Int?

        /// The median step (the first one also pays page faults of the mapped base).
        public var medianStep: Step { steps.sorted { $0.seconds < $1.seconds }[steps.count / 2] }
        public var tokensPerSecond: Double { Double(medianStep.tokens) / medianStep.seconds }
        public var supervisedTokensPerSecond: Double { Double(medianStep.supervisedTokens) / medianStep.seconds }

        public var lines: [String] {
            var out = ["SFT bench: \(settings.modelPath), seq-len \(settings.sequenceLength), accumulation \(settings.accumulation), "
                       + "rank \(settings.rank), targets \(settings.targets.joined(separator: ",")), \(adapterParameters) LoRA parameters; "
                       + String(format: "model load %.2f s", loadSeconds)]
            for (k, step) in steps.enumerated() {
                out.append(String(format: "  step %d: %.3f s, %.1f tokens/s (%.1f supervised/s), loss %.4f",
                                  k + 1, step.seconds, Double(step.tokens) / step.seconds, Double(step.supervisedTokens) / step.seconds, step.loss))
            }
            out.append(String(format: "median step %.3f s: %.1f tokens/s processed, %.1f supervised tokens/s", medianStep.seconds,
                              tokensPerSecond, supervisedTokensPerSecond)
                       + (peakResidentBytes.map { "; peak RSS \(formatBytes($0))" } ?? ""))
            return out
        }
    }

    /// Loads the model, attaches adapters and times `settings.steps` optimizer steps; `progress`
    /// gets one line per step as it finishes.
    public static func run(_ settings: Settings, progress: (String) -> Void = { _ in }) throws -> Result {
        precondition(settings.sequenceLength >= 2 && settings.accumulation >= 1 && settings.steps >= 1 && settings.rank >= 1,
                     "bench settings \(settings)")
        var recipe = Recipe()
        recipe.modelPath = settings.modelPath
        recipe.loraRank = settings.rank
        recipe.loraTargets = settings.targets
        recipe.seed = settings.seed
        recipe.learningRate = 1e-4
        let clock = ContinuousClock()
        let loadStart = clock.now
        let model = try TrainableModel(recipe: recipe)
        let loadSeconds = (clock.now - loadStart).seconds
        guard settings.sequenceLength <= model.config.maxPositionEmbeddings else {
            throw TrainingError.unsupported(key: "seq-len", reason: "\(settings.sequenceLength) exceeds max_position_embeddings \(model.config.maxPositionEmbeddings)")
        }
        let optimizer = recipe.makeOptimizer(model.parameters)
        var generator = SplitMix64(seed: UInt64(settings.seed) ^ 0xBE4C_4BE4)
        let vocabulary = UInt64(model.config.vocabSize)
        func sequence() -> TrainingSequence {
            let n = settings.sequenceLength
            let ids = (0..<n).map { _ in Int32(generator.next() % vocabulary) }
            let labels = ids.enumerated().map { t, id in t < n / 2 ? TrainingSequence.ignoreLabel : id }
            return TrainingSequence(inputIds: ids, positions: (0..<n).map { Int32($0) },
                                    segmentIds: [Int32](repeating: 0, count: n), labels: labels)
        }
        var steps: [Step] = []
        for k in 0..<settings.steps {
            let rows = (0..<settings.accumulation).map { _ in sequence() }
            let supervised = rows.reduce(0) { $0 + $1.supervisedCount }
            let start = clock.now
            var lossSum = 0.0
            for row in rows {
                lossSum += try model.forwardBackward(row, lossScale: 1 / Float(supervised), dropoutSeed: 0).lossSum
            }
            clipGradientNorm(model.parameters, maxNorm: 1)
            optimizer.step(learningRate: recipe.learningRate)
            zeroGradients(model.parameters)
            let step = Step(seconds: (clock.now - start).seconds, tokens: rows.reduce(0) { $0 + $1.count },
                            supervisedTokens: supervised, loss: lossSum / Double(supervised))
            steps.append(step)
            progress(String(format: "step %d/%d: %.3f s, %.1f tokens/s", k + 1, settings.steps, step.seconds, Double(step.tokens) / step.seconds))
        }
        return Result(settings: settings, loadSeconds: loadSeconds, adapterParameters: model.audit.totalParameters,
                      steps: steps, peakResidentBytes: ProcessMemory.current()?.peakResidentBytes)
    }
}
