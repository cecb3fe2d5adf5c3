import Autograd
import Foundation
import KimiModel
import LoRA
import Storage

/// The frozen Kimi model with the run's LoRA adapters plugged into every targeted projection:
/// what the loop trains and evaluates, and what checkpoints save and restore.
public final class TrainableModel {
    public let model: KimiModel
    public let adapters: LoRAAdapterSet
    /// The adapters' A and B with their gradients, in inventory order (optimizer state follows it).
    public let parameters: [TrainableParameter]
    /// Printed at the start of a run; complete, or loading failed.
    public let audit: CoverageAudit
    /// Bytes of the checkpoint's safetensors files (mapped, not read, at load).
    public let mappedBaseBytes: Int

    public var config: KimiConfig { model.config }

    /// Loads the model folder and attaches fresh adapters from the recipe's LoRA keys (or the
    /// `adapter_name_or_path` adapter, to continue training it).
    public init(recipe: Recipe) throws {
        let directory = URL(fileURLWithPath: recipe.modelPath)
        do {
            model = try KimiModel.load(directory: directory)
        } catch {
            throw TrainingError.model(path: recipe.modelPath, reason: "\(error)")
        }
        let lora = try Self.loraConfig(recipe, layerCount: model.config.numHiddenLayers)
        if recipe.loraMergeAware {
            throw TrainingError.unsupported(key: "lora_merge_aware", reason: "merge-aware training is not wired into 'train' yet; set it to false")
        }
        do {
            if let adapterPath = recipe.adapterPath {
                var shapes: [String: (inFeatures: Int, outFeatures: Int)] = [:]
                for (path, projection) in model.projections { shapes[path] = (projection.inFeatures, projection.outFeatures) }
                adapters = try PEFTAdapterFile.load(from: URL(fileURLWithPath: adapterPath), projections: shapes, seed: lora.seed)
            } else {
                adapters = try LoRAAdapterSet.create(for: model.config, config: lora)
            }
            audit = try adapters.audit(model: model.config)
            try audit.requireComplete()
        } catch let error as TrainingError {
            throw error
        } catch {
            throw TrainingError.model(path: recipe.adapterPath ?? recipe.modelPath, reason: "LoRA adapters: \(error)")
        }
        for path in adapters.paths {
            guard let projection = model.projection(at: path) else {
                throw TrainingError.model(path: recipe.modelPath, reason: "adapter module '\(path)' has no projection in this model")
            }
            projection.adapter = adapters[path]
        }
        adapters.setTraining(true)
        parameters = adapters.parameters.map { TrainableParameter(name: $0.name, value: $0.value, gradient: $0.gradient) }
        mappedBaseBytes = Self.safetensorsBytes(in: directory)
    }

    /// The recipe's LoRA keys as the LoRA module's config. lora_layers must be one contiguous
    /// range (PEFT's layers_to_transform as a range), which is what the adapter set supports.
    static func loraConfig(_ recipe: Recipe, layerCount: Int) throws -> LoRAConfig {
        var layers: ClosedRange<Int>?
        if case .layers(let list) = recipe.loraLayers {
            let sorted = Array(Set(list)).sorted()
            guard let first = sorted.first, let last = sorted.last, last - first + 1 == sorted.count else {
                throw TrainingError.unsupported(key: "lora_layers", reason: "must be one contiguous range of layers (e.g. 0-3), got \(list)")
            }
            guard first >= 0, last < layerCount else {
                throw TrainingError.unsupported(key: "lora_layers", reason: "layers \(first)-\(last) are outside the model's 0-\(layerCount - 1)")
            }
            layers = first...last
        }
        let targets: LoRATargets = recipe.loraTargets == ["all"] ? .all : .names(recipe.loraTargets)
        return LoRAConfig(rank: recipe.loraRank, alpha: recipe.effectiveLoRAAlpha, dropout: recipe.loraDropout,
                          useRSLoRA: recipe.useRSLoRA, targets: targets, layers: layers, seed: UInt64(bitPattern: Int64(recipe.seed)))
    }

    private static func safetensorsBytes(in directory: URL) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".safetensors") }.reduce(0) { total, name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path)
            return total + ((attributes?[.size] as? NSNumber)?.intValue ?? 0)
        }
    }

    // MARK: Passes

    /// Forward and backward of one micro-batch; gradients of (loss sum * lossScale) accumulate
    /// into the adapters. Returns the loss sum and the number of supervised positions.
    func forwardBackward(_ sequence: TrainingSequence, lossScale: Float, dropoutSeed: UInt64) throws -> (lossSum: Double, count: Int) {
        adapters.setDropoutSeed(dropoutSeed)
        let result = try model.forwardBackward(sequence.modelBatch, lossScale: lossScale)
        return (result.lossSum, result.count)
    }

    /// Loss sum, supervised positions and correct argmax predictions of one micro-batch, without
    /// dropout. Uses the model's public `logits` (the whole [T, V] at once; the caller bounds T).
    func evaluate(_ sequence: TrainingSequence) throws -> (lossSum: Double, count: Int, correct: Int) {
        let batch = sequence.modelBatch
        let logits = try model.logits(batch)
        let labels = batch.shiftedLabels
        return labels.withUnsafeBufferPointer { labels in
            scoreLogits(logits.pointer, labels: labels.baseAddress!, rows: batch.count, vocabulary: model.config.vocabSize)
        }
    }

    public func setTraining(_ training: Bool) { adapters.setTraining(training) }

    // MARK: Adapter files

    /// Writes the PEFT adapter (adapter_config.json + adapter_model.safetensors) into `directory`.
    func saveAdapter(to directory: URL, baseModelPath: String) throws {
        do {
            try PEFTAdapterFile.save(adapters, model: model.config, to: directory, baseModelNameOrPath: baseModelPath)
        } catch {
            throw TrainingError.io(path: directory.path, reason: "cannot save the adapter: \(error)")
        }
    }

    /// Copies a checkpoint's adapter weights into the live adapters; the module set and shapes
    /// must be the same.
    func restoreAdapter(from directory: URL) throws {
        var shapes: [String: (inFeatures: Int, outFeatures: Int)] = [:]
        for (path, projection) in model.projections { shapes[path] = (projection.inFeatures, projection.outFeatures) }
        let saved: LoRAAdapterSet
        do {
            saved = try PEFTAdapterFile.load(from: directory, projections: shapes)
        } catch {
            throw TrainingError.noCheckpoint(path: directory.path, reason: "adapter: \(error)")
        }
        guard Set(saved.paths) == Set(adapters.paths) else {
            throw TrainingError.checkpointMismatch(path: directory.path,
                reason: "it adapts \(saved.count) projections, this recipe \(adapters.count) (lora_target or lora_layers changed?)")
        }
        for path in adapters.paths {
            let live = adapters[path]!, stored = saved[path]!
            guard live.a.count == stored.a.count, live.b.count == stored.b.count else {
                throw TrainingError.checkpointMismatch(path: directory.path, reason: "'\(path)' has rank \(stored.rank), this recipe \(live.rank)")
            }
            live.a.pointer.update(from: stored.a.pointer, count: live.a.count)
            live.b.pointer.update(from: stored.b.pointer, count: live.b.count)
        }
    }
}

/// Cross-entropy (Double, log-sum-exp) and argmax accuracy of logits [rows, V] against labels
/// already shifted (-100 skipped).
func scoreLogits(_ logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, rows: Int, vocabulary V: Int)
    -> (lossSum: Double, count: Int, correct: Int) {
    var lossSum = 0.0, count = 0, correct = 0
    for t in 0..<rows where labels[t] != TrainingSequence.ignoreLabel {
        let row = logits + t * V
        var best = 0
        var maximum = row[0]
        for v in 1..<V where row[v] > maximum { maximum = row[v]; best = v }
        var sum = 0.0
        for v in 0..<V { sum += exp(Double(row[v] - maximum)) }
        lossSum += (Double(maximum) + log(sum)) - Double(row[Int(labels[t])])
        count += 1
        if best == Int(labels[t]) { correct += 1 }
    }
    return (lossSum, count, correct)
}
