import Foundation
import Autograd
import Storage

/// The PEFT adapter directory: `adapter_config.json` + `adapter_model.safetensors` with keys
/// `base_model.model.<module path>.lora_A.weight` [r, in] and `.lora_B.weight` [out, r].
/// Weights are saved as F32 (kimi-sft trains in fp32), so save/load round-trips exactly.
public enum PEFTAdapterFile {
    public static let configName = "adapter_config.json"
    public static let weightsName = "adapter_model.safetensors"
    static let keyPrefix = "base_model.model."

    /// Writes the adapter. The weights are written first and the config last, each atomically, so a
    /// directory with an adapter_config.json always holds a complete adapter.
    public static func save(_ set: LoRAAdapterSet, model: KimiConfig, to directory: URL, baseModelNameOrPath: String?) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.io(file: directory.path, reason: "cannot create the adapter folder: \(error.localizedDescription)")
        }
        var specs: [TensorSpec] = []
        for path in set.paths {
            let a = set[path]!
            specs.append(TensorSpec(name: keyPrefix + path + ".lora_A.weight", dtype: .float32, shape: [a.rank, a.inFeatures]))
            specs.append(TensorSpec(name: keyPrefix + path + ".lora_B.weight", dtype: .float32, shape: [a.outFeatures, a.rank]))
        }
        let writer = try SafetensorsWriter(destination: directory.appendingPathComponent(weightsName), tensors: specs)
        for path in set.paths {
            let a = set[path]!
            try writer.append(UnsafeRawBufferPointer(start: a.a.pointer, count: a.a.count * 4))
            try writer.append(UnsafeRawBufferPointer(start: a.b.pointer, count: a.b.count * 4))
        }
        try writer.finish()
        let config = PEFTAdapterConfig(lora: set.config, model: model, baseModelNameOrPath: baseModelNameOrPath)
        try AtomicFile.write(JSONSerializer(indent: 2).serialize(config.json) + "\n", to: directory.appendingPathComponent(configName))
    }

    /// Reads an adapter made by kimi-sft or PEFT for a base whose projections are `projections`
    /// (module path -> (in, out)). Refuses, naming the module, anything made for another base:
    /// unknown modules, shape mismatches, a rank that differs from r without a rank_pattern entry.
    /// Reads and checks `adapter_config.json` of an adapter folder.
    public static func readConfig(from directory: URL) throws -> PEFTAdapterConfig {
        let configURL = directory.appendingPathComponent(configName)
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw LoRAError.invalidConfig(file: configURL.path, message: "missing (is \(directory.path) a PEFT adapter folder?)")
        }
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: configURL)) } catch {
            throw LoRAError.invalidConfig(file: configURL.path, message: "cannot be read: \(error.localizedDescription)")
        }
        return try PEFTAdapterConfig(json: try JSONParser.parse(bytes, source: configURL.path), file: configURL.path)
    }

    public static func load(from directory: URL, projections: [String: (inFeatures: Int, outFeatures: Int)],
                            seed: UInt64 = 42) throws -> LoRAAdapterSet {
        let weightsURL = directory.appendingPathComponent(weightsName)
        let peft = try readConfig(from: directory)
        let file = try SafetensorsFile(path: weightsURL.path)
        var pairs: [String: (a: TensorView?, b: TensorView?)] = [:]
        var order: [String] = []
        for name in file.names {
            guard name.hasPrefix(keyPrefix), let view = file.view(name) else {
                throw LoRAError.unexpectedTensor(file: weightsURL.path, tensor: name)
            }
            let body = String(name.dropFirst(keyPrefix.count))
            let module: String
            let isA: Bool
            if body.hasSuffix(".lora_A.weight") { module = String(body.dropLast(".lora_A.weight".count)); isA = true }
            else if body.hasSuffix(".lora_B.weight") { module = String(body.dropLast(".lora_B.weight".count)); isA = false }
            else { throw LoRAError.unexpectedTensor(file: weightsURL.path, tensor: name) }
            guard projections[module] != nil else { throw LoRAError.unknownModule(file: weightsURL.path, module: module) }
            if pairs[module] == nil { order.append(module); pairs[module] = (nil, nil) }
            if isA { pairs[module]!.a = view } else { pairs[module]!.b = view }
        }
        let lora = LoRAConfig(rank: peft.rank, alpha: peft.alpha, dropout: peft.dropout, useRSLoRA: peft.useRSLoRA,
                              targets: .names(order), seed: seed)
        let set = LoRAAdapterSet(config: lora)
        // Inventory order when the modules follow it (kimi-sft's own files), else file order.
        for module in order {
            let (inF, outF) = projections[module]!
            guard let a = pairs[module]!.a else { throw LoRAError.missingTensor(file: weightsURL.path, tensor: keyPrefix + module + ".lora_A.weight") }
            guard let b = pairs[module]!.b else { throw LoRAError.missingTensor(file: weightsURL.path, tensor: keyPrefix + module + ".lora_B.weight") }
            let (rank, alpha) = peft.rankAndAlpha(for: module)
            if a.shape.count == 2, a.shape[1] == inF, b.shape == [outF, a.shape[0]], a.shape[0] != rank {
                throw LoRAError.rankMismatch(file: weightsURL.path, module: module, expected: rank, found: a.shape[0])
            }
            guard a.shape == [rank, inF] else { throw LoRAError.shapeMismatch(file: weightsURL.path, tensor: a.name, expected: [rank, inF], found: a.shape) }
            guard b.shape == [outF, rank] else { throw LoRAError.shapeMismatch(file: weightsURL.path, tensor: b.name, expected: [outF, rank], found: b.shape) }
            let adapter = LoRAAdapter(inFeatures: inF, outFeatures: outF, rank: rank, scaling: peft.scaling(rank: rank, alpha: alpha),
                                      dropout: Float(peft.dropout), initializationSeed: 0)
            try a.copyFloats(into: adapter.a.pointer)
            try b.copyFloats(into: adapter.b.pointer)
            set.insert(adapter, at: module)
        }
        if set.count == 0 { throw LoRAError.invalidConfig(file: weightsURL.path, message: "the adapter holds no LoRA tensors") }
        return set
    }
}
