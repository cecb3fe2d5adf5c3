import Foundation
import LoRA
import Storage

extension KimiModel {
    /// The projection at a checkpoint module path, if the model has one.
    public func projection(at path: String) -> FrozenProjection? {
        projectionIndex[path]
    }

    /// Plugs the PEFT LoRA adapter in `directory` (adapter_config.json + adapter_model.safetensors,
    /// keys `base_model.model.<module path>.lora_A.weight` [r, in] / `.lora_B.weight` [out, r]) into
    /// this model's projections. Every adapter tensor must match a projection and its shape: an
    /// adapter that silently leaves modules out is the failure this refuses.
    /// Returns the number of projections that received an adapter.
    @discardableResult
    public func attachPEFTAdapter(directory: URL) throws -> Int {
        let configURL = directory.appendingPathComponent("adapter_config.json")
        let weightsURL = directory.appendingPathComponent("adapter_model.safetensors")
        let configJSON = try JSONParser.parse([UInt8](try Data(contentsOf: configURL)), source: configURL.path)
        let peft = try PEFTAdapterConfig(json: configJSON, file: configURL.path)
        let file = try SafetensorsFile(path: weightsURL.path)
        var modules: [String: (a: TensorView?, b: TensorView?)] = [:]
        for name in file.names {
            guard let view = file.view(name) else { continue }
            let prefix = "base_model.model."
            guard name.hasPrefix(prefix) else { throw ModelError.adapterMismatch(file: weightsURL.path, tensor: name, reason: "name does not start with '\(prefix)'") }
            let body = name.dropFirst(prefix.count)
            if body.hasSuffix(".lora_A.weight") {
                modules[String(body.dropLast(".lora_A.weight".count)), default: (nil, nil)].a = view
            } else if body.hasSuffix(".lora_B.weight") {
                modules[String(body.dropLast(".lora_B.weight".count)), default: (nil, nil)].b = view
            } else {
                throw ModelError.adapterMismatch(file: weightsURL.path, tensor: name, reason: "not a lora_A/lora_B weight")
            }
        }
        guard !modules.isEmpty else {
            throw ModelError.adapterMismatch(file: weightsURL.path, tensor: "", reason: "the adapter holds no LoRA tensors")
        }
        for (path, pair) in modules.sorted(by: { $0.key < $1.key }) {
            guard let projection = projection(at: path) else {
                throw ModelError.adapterMismatch(file: weightsURL.path, tensor: path, reason: "no such projection in this model")
            }
            guard let a = pair.a, let b = pair.b else {
                throw ModelError.adapterMismatch(file: weightsURL.path, tensor: path, reason: "needs both lora_A and lora_B")
            }
            let (rank, alpha) = peft.rankAndAlpha(for: path)
            guard a.shape == [rank, projection.inFeatures], b.shape == [projection.outFeatures, rank] else {
                throw ModelError.adapterMismatch(file: weightsURL.path, tensor: path,
                    reason: "lora_A \(a.shape) / lora_B \(b.shape), expected [\(rank), \(projection.inFeatures)] / [\(projection.outFeatures), \(rank)]")
            }
            let adapter = LoRAAdapter(inFeatures: projection.inFeatures, outFeatures: projection.outFeatures, rank: rank,
                                      scaling: peft.scaling(rank: rank, alpha: alpha), initializationSeed: 0)
            try a.copyFloats(into: adapter.a.pointer)
            try b.copyFloats(into: adapter.b.pointer)
            adapter.isTraining = false
            projection.adapter = adapter
        }
        return modules.count
    }
}
