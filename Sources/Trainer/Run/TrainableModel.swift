import DataPipeline
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
    /// With lora_merge_aware: which adapters train through the INT4 merge quantizer, and its convention.
    public private(set) var mergeAwareNote: String?

    public var config: KimiConfig { model.config }

    /// Loads the model folder and attaches fresh adapters from the recipe's LoRA keys (or the
    /// `adapter_name_or_path` adapter, to continue training it). With `planOnly` (train --dry-run)
    /// no adapter is allocated: the audit counts what the targets would create, so a plan for a
    /// 1T checkpoint (billions of LoRA parameters) runs on a machine that could not hold them.
    public init(recipe: Recipe, planOnly: Bool = false) throws {
        let directory = URL(fileURLWithPath: recipe.modelPath)
        do {
            model = try KimiModel.load(directory: directory)
        } catch {
            throw TrainingError.model(path: recipe.modelPath, reason: "\(error)")
        }
        let lora = try Self.loraConfig(recipe, layerCount: model.config.numHiddenLayers)
        do {
            if planOnly && recipe.adapterPath == nil {
                adapters = LoRAAdapterSet(config: lora)
                var implied: [String: (rank: Int, parameters: Int)] = [:]
                for spec in ProjectionInventory.projections(of: model.config)
                where lora.targets.matches(spec.path) && (lora.layers?.contains(spec.layer) ?? true) {
                    implied[spec.path] = (lora.rank, lora.rank * (spec.inFeatures + spec.outFeatures))
                }
                audit = try CoverageAudit(config: model.config, lora: lora, adapted: implied)
                try audit.requireComplete()
                parameters = []
                mappedBaseBytes = Self.safetensorsBytes(in: directory)
                return
            }
            if let adapterPath = recipe.adapterPath {
                adapters = try PEFTAdapterFile.load(from: URL(fileURLWithPath: adapterPath), projections: model.projectionShapes, seed: lora.seed)
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
        do { try model.attach(adapters) } catch {
            throw TrainingError.model(path: recipe.modelPath, reason: "\(error)")
        }
        if recipe.loraMergeAware {
            do {
                let store = try CheckpointReader(directory: directory, expectedGroupSize: model.config.quantization?.groupSize)
                let set = adapters
                if let detection = try set.enableMergeAwareQuantization(store: store) {
                    let count = set.paths.filter { set[$0]!.deltaTransform != nil }.count
                    mergeAwareNote = "lora_merge_aware: \(count) adapters on INT4 projections train through the merge's quantizer (\(detection.convention.rawValue) scales)"
                } else {
                    mergeAwareNote = "lora_merge_aware: the base has no INT4 projection under an adapter; plain LoRA"
                }
            } catch {
                throw TrainingError.model(path: recipe.modelPath, reason: "lora_merge_aware: \(error)")
            }
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
    func forwardBackward(_ sequence: TokenBatch, lossScale: Float, dropoutSeed: UInt64) throws -> (lossSum: Double, count: Int) {
        adapters.setDropoutSeed(dropoutSeed)
        let result = try model.forwardBackward(sequence, lossScale: lossScale)
        return (result.lossSum, result.count)
    }

    /// Loss sum, supervised positions and correct argmax predictions of one micro-batch, without
    /// dropout (the model computes them in bounded logits chunks).
    func evaluate(_ batch: TokenBatch) throws -> (lossSum: Double, count: Int, correct: Int) {
        let result = try model.forward(batch)
        return (result.lossSum, result.count, result.correct)
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
        let saved: LoRAAdapterSet
        do {
            saved = try PEFTAdapterFile.load(from: directory, projections: model.projectionShapes)
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
