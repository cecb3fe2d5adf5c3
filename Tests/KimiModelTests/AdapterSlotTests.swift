import Autograd
import Foundation
import KimiModel
import LoRA
import Storage
import TestSupport
import Testing

/// The adapter slots: every projection the config implies is exposed under its module path, and an
/// adapter plugged in gets correct gradients through the whole frozen model (routing weights included).
@Suite struct AdapterSlotTests {
    @Test(arguments: ["qlora_yarn32", "qproj_yarn1_groups", "qlora_yarn32_nested"])
    func projectionsMatchTheInventoryTheLoRAModuleExpects(variant: String) throws {
        let model = try KimiModel.load(directory: try GoldenFixture.directory(variant))
        let inventory = ProjectionInventory.projections(of: model.config)
        #expect(model.projections.map(\.path) == inventory.map(\.path))
        for (spec, p) in zip(inventory, model.projections) {
            #expect(p.projection.inFeatures == spec.inFeatures && p.projection.outFeatures == spec.outFeatures,
                    "\(spec.path): \(p.projection.outFeatures)x\(p.projection.inFeatures) vs \(spec.outFeatures)x\(spec.inFeatures)")
            // Only routed experts are INT4 in Kimi checkpoints; everything else is BF16 -> fp32.
            #expect(p.projection.isQuantized == p.path.contains(".mlp.experts."), "\(p.path) quantized: \(p.projection.isQuantized)")
        }
    }

    /// Adapters on one projection of each kind, with B non-zero so every path carries gradient.
    static let adaptedPaths = [
        "model.layers.0.self_attn.q_a_proj", "model.layers.0.self_attn.kv_b_proj", "model.layers.0.mlp.down_proj",
        "model.layers.1.self_attn.q_b_proj", "model.layers.1.self_attn.kv_a_proj_with_mqa", "model.layers.1.self_attn.o_proj",
        "model.layers.1.mlp.shared_experts.up_proj", "model.layers.1.mlp.experts.3.gate_proj", "model.layers.1.mlp.experts.5.down_proj",
    ]

    static func modelWithAdapters() throws -> (KimiModel, [LoRAAdapter]) {
        let model = try KimiModel.load(directory: try GoldenFixture.directory("qlora_yarn32"))
        var rng = SplitMix64(seed: 42)
        let adapters = try adaptedPaths.enumerated().map { i, path -> LoRAAdapter in
            let projection = try #require(model.projection(at: path), "no projection \(path)")
            let adapter = LoRAAdapter(inFeatures: projection.inFeatures, outFeatures: projection.outFeatures, rank: 2,
                                      scaling: 2, initializationSeed: UInt64(i))
            for j in 0..<adapter.b.count { adapter.b.data[j] = Float(rng.nextGaussian() * 0.05) }
            projection.adapter = adapter
            return adapter
        }
        return (model, adapters)
    }

    @Test func adapterGradientsMatchFiniteDifferencesThroughTheModel() throws {
        let (model, adapters) = try Self.modelWithAdapters()
        let fixture = try GoldenFixture("qlora_yarn32")
        let batch = fixture.packedBatch
        let result = try model.forwardBackward(batch, lossScale: 1 / Float(fixture.tokens))
        let h: Float = 2e-3
        for (path, adapter) in zip(Self.adaptedPaths, adapters) {
            // Two entries of A and of B per adapter, at fixed spread-out indices.
            for (tensor, gradient, name) in [(adapter.a, adapter.gradientA, "A"), (adapter.b, adapter.gradientB, "B")] {
                for index in [0, tensor.count / 2 + 1] {
                    let original = tensor.data[index]
                    tensor.data[index] = original + h
                    let plus = try model.forward(batch).meanLoss
                    tensor.data[index] = original - h
                    let minus = try model.forward(batch).meanLoss
                    tensor.data[index] = original
                    let numeric = (plus - minus) / Double(2 * h)
                    let c = closeness([gradient.data[index]], [numeric], absolute: 3e-4, relative: 2e-2)
                    #expect(c.passes, "\(path) lora_\(name)[\(index)]: \(c)")
                }
            }
        }
        #expect(result.count == fixture.tokens)
    }

    @Test func peftAdapterDirectoryPlugsIntoTheNamedProjections() throws {
        let dir = try TemporaryDirectory("kimi-model-adapter")
        defer { dir.remove() }
        let path = "model.layers.1.mlp.experts.3.up_proj"
        let rank = 2, inFeatures = 64, outFeatures = 32
        var rng = SplitMix64(seed: 5)
        let a = (0..<(rank * inFeatures)).map { _ in Float(rng.nextGaussian() * 0.1) }
        let b = (0..<(outFeatures * rank)).map { _ in Float(rng.nextGaussian() * 0.1) }
        try writeSafetensors([("base_model.model.\(path).lora_A.weight", [rank, inFeatures], a),
                              ("base_model.model.\(path).lora_B.weight", [outFeatures, rank], b)],
                             to: dir.file("adapter_model.safetensors"))
        try #"{"peft_type": "LORA", "r": 2, "lora_alpha": 8, "target_modules": ["up_proj"]}"#
            .write(to: dir.file("adapter_config.json"), atomically: true, encoding: .utf8)

        let fixtureDirectory = try GoldenFixture.directory("qlora_yarn32")
        let batch = try GoldenFixture("qlora_yarn32").packedBatch
        let loaded = try KimiModel.load(directory: fixtureDirectory)
        #expect(try loaded.attachPEFTAdapter(directory: dir.url) == 1)
        let manual = try KimiModel.load(directory: fixtureDirectory)
        let adapter = LoRAAdapter(inFeatures: inFeatures, outFeatures: outFeatures, rank: rank, scaling: 4, initializationSeed: 0)
        _ = adapter.a.data.update(fromContentsOf: a)
        _ = adapter.b.data.update(fromContentsOf: b)
        try #require(manual.projection(at: path)).adapter = adapter
        let base = try KimiModel.load(directory: fixtureDirectory).forward(batch).lossSum
        let viaFile = try loaded.forward(batch).lossSum
        #expect(viaFile == (try manual.forward(batch).lossSum))
        #expect(viaFile != base, "the adapter changed nothing (expert 3 must be routed to)")
    }

    @Test func adapterForAModuleTheModelLacksIsAnError() throws {
        let dir = try TemporaryDirectory("kimi-model-adapter-bad")
        defer { dir.remove() }
        let path = "model.layers.1.mlp.experts.9.up_proj"   // the model has 8 experts
        try writeSafetensors([("base_model.model.\(path).lora_A.weight", [2, 64], [Float](repeating: 0, count: 128)),
                              ("base_model.model.\(path).lora_B.weight", [32, 2], [Float](repeating: 0, count: 64))],
                             to: dir.file("adapter_model.safetensors"))
        try #"{"peft_type": "LORA", "r": 2, "lora_alpha": 8}"#.write(to: dir.file("adapter_config.json"), atomically: true, encoding: .utf8)
        let model = try KimiModel.load(directory: try GoldenFixture.directory("qlora_yarn32"))
        #expect(throws: LoRAError.unknownModule(file: dir.file("adapter_model.safetensors").path, module: path)) {
            try model.attachPEFTAdapter(directory: dir.url)
        }
    }
}

extension AdapterSlotTests {
    @Test func attachingASetWithAPathTheModelLacksIsAnError() throws {
        let model = try KimiModel.load(directory: try GoldenFixture.directory("qproj_yarn1_groups"))
        let set = LoRAAdapterSet(config: LoRAConfig(rank: 2))
        set.insert(LoRAAdapter(inFeatures: 64, outFeatures: 32, rank: 2, scaling: 1, initializationSeed: 1),
                   at: "model.layers.0.self_attn.q_a_proj")   // this variant has q_proj, not q_a_proj
        #expect(throws: ModelError.unknownProjection("model.layers.0.self_attn.q_a_proj")) { try model.attach(set) }
    }
}

/// A minimal F32 safetensors file (8-byte header length, JSON header padded to 8, raw data).
func writeSafetensors(_ tensors: [(name: String, shape: [Int], values: [Float])], to url: URL) throws {
    var header: [String] = []
    var offset = 0
    for t in tensors {
        let end = offset + t.values.count * 4
        header.append("\"\(t.name)\": {\"dtype\": \"F32\", \"shape\": \(t.shape), \"data_offsets\": [\(offset), \(end)]}")
        offset = end
    }
    var json = Array(("{" + header.joined(separator: ", ") + "}").utf8)
    while json.count % 8 != 0 { json.append(0x20) }
    var bytes: [UInt8] = []
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes += $0 }
    bytes += json
    for t in tensors { t.values.withUnsafeBytes { bytes += $0 } }
    try Data(bytes).write(to: url)
}
