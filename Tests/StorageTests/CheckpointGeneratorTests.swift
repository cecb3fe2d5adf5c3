import Autograd
import Foundation
import Testing
import TestSupport
@testable import Storage

@Suite("init generator and inspection")
struct CheckpointGeneratorTests {
    static func generateTiny(nested: Bool = false, seed: UInt64 = 5) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        try CheckpointGenerator.generate(.init(preset: .tiny, nested: nested, seed: seed,
                                               extraFiles: [("tiktoken.model", Array("AA== 0\n".utf8))]),
                                         into: dir.url.appendingPathComponent("ckpt"))
        return dir
    }

    @Test("a generated tiny checkpoint loads, validates against its config, and has the real dtypes", arguments: [false, true])
    func tinyLoads(nested: Bool) throws {
        let dir = try Self.generateTiny(nested: nested); defer { dir.remove() }
        let path = dir.url.appendingPathComponent("ckpt")
        let config = try KimiConfig.load(directory: path)
        #expect(config == CheckpointPreset.tiny.config(nested: nested))
        let reader = try CheckpointReader(directory: path, expectedGroupSize: config.quantization?.groupSize)
        try reader.validate(against: KimiTensorLayout(config: config))
        #expect(reader.shards.count == 2)
        let p = config.tensorPrefix + "model.layers.1.mlp."
        #expect(reader.shard(of: p + "gate.e_score_correction_bias")?.dtype(of: p + "gate.e_score_correction_bias") == .float32)
        #expect(reader.shard(of: p + "experts.3.down_proj.weight_packed")?.dtype(of: p + "experts.3.down_proj.weight_packed") == .int32)
        #expect(reader.shard(of: p + "shared_experts.up_proj.weight")?.dtype(of: p + "shared_experts.up_proj.weight") == .bfloat16)
        #expect(try reader.packedInt4(module: p + "shared_experts.up_proj") == nil)
        #expect(try reader.floats(config.tensorPrefix + "model.norm.weight").array.allSatisfy { $0 == 1 })
        #expect(FileManager.default.fileExists(atPath: path.appendingPathComponent("tiktoken.model").path))
    }

    @Test("experts on disk are the quantized generator weights; re-quantizing them is bit-exact")
    func expertsMatchGenerator() throws {
        let dir = try Self.generateTiny(); defer { dir.remove() }
        let reader = try CheckpointReader(directory: dir.url.appendingPathComponent("ckpt"))
        let layout = KimiTensorLayout(config: CheckpointPreset.tiny.config(nested: false))
        let source = WeightSource(layout: layout, seed: 5)
        for module in ["model.layers.1.mlp.experts.0.gate_proj", "model.layers.2.mlp.experts.7.down_proj"] {
            let stored = try #require(try reader.packedInt4(module: module))
            let expected = source.quantizedExpert(module, rows: stored.rows, columns: stored.columns)
            let a = stored.dequantized(), b = expected.matrix.dequantized()
            let check = closeness(a.array, b.array, absolute: 0, relative: 0)
            #expect(check.passes, "\(module): \(check)")
            let again = Int4Quantizer.quantize(a.pointer, rows: stored.rows, columns: stored.columns, groupSize: stored.groupSize, convention: .absmax7)
            #expect(Array(UnsafeBufferPointer(start: again.packed, count: stored.rows * stored.wordsPerRow))
                    == Array(UnsafeBufferPointer(start: stored.packed, count: stored.rows * stored.wordsPerRow)))
            #expect(Array(UnsafeBufferPointer(start: again.scales, count: stored.rows * stored.groupsPerRow))
                    == Array(UnsafeBufferPointer(start: stored.scales, count: stored.rows * stored.groupsPerRow)))
        }
    }

    @Test("a sparse checkpoint keeps its layout and INT4 weight_shape, with zero data elsewhere")
    func sparseTiny() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        let path = dir.url.appendingPathComponent("ckpt")
        try CheckpointGenerator.generate(.init(preset: .tiny, nested: true, sparse: true), into: path)
        let config = try KimiConfig.load(directory: path)
        let reader = try CheckpointReader(directory: path)
        try reader.validate(against: KimiTensorLayout(config: config))
        let m = try #require(try reader.packedInt4(module: "language_model.model.layers.2.mlp.experts.1.down_proj"))
        #expect(m.rows == config.hiddenSize && m.columns == config.moeIntermediateSize)
        #expect(m.dequantized().array.allSatisfy { $0 == 0 })
        #expect(try reader.floats("language_model.lm_head.weight").array.allSatisfy { $0 == 0 })
    }

    @Test("a trained vocabulary size overrides the preset's; special-token ids follow it")
    func vocabularyOverride() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        var options = CheckpointGenerator.Options(preset: .tiny)
        options.baseTokenCount = 300
        let summary = try CheckpointGenerator.generate(options, into: dir.url)
        let config = try KimiConfig.load(directory: dir.url)
        #expect(config == summary.config)
        #expect(config.vocabSize == 300 + CheckpointPreset.specialTokenCount && config.bosTokenId == 300 && config.padTokenId == 555)
        #expect(try CheckpointReader(directory: dir.url).shape(of: "model.embed_tokens.weight") == [config.vocabSize, config.hiddenSize])
    }

    @Test("the same seed writes identical shards; another seed does not")
    func deterministic() throws {
        let a = try Self.generateTiny(seed: 9), b = try Self.generateTiny(seed: 9), c = try Self.generateTiny(seed: 10)
        defer { a.remove(); b.remove(); c.remove() }
        let name = "ckpt/model-00002-of-00002.safetensors"
        let da = try Data(contentsOf: a.file(name)), db = try Data(contentsOf: b.file(name)), dc = try Data(contentsOf: c.file(name))
        #expect(da == db)
        #expect(da != dc)
    }

    @Test("init refuses a folder that already holds a checkpoint")
    func refusesExisting() throws {
        let dir = try Self.generateTiny(); defer { dir.remove() }
        #expect(throws: CheckpointError.self) {
            try CheckpointGenerator.generate(.init(preset: .tiny), into: dir.url.appendingPathComponent("ckpt"))
        }
    }

    @Test("a tensor the config requires but the checkpoint lacks is named")
    func requiredTensorAbsent() throws {
        let dir = try Self.generateTiny(); defer { dir.remove() }
        let path = dir.url.appendingPathComponent("ckpt")
        var file = try KimiConfigFile.load(directory: path)
        file.config.numHiddenLayers = 4
        try file.write(to: path)
        let config = try KimiConfig.load(directory: path)
        let reader = try CheckpointReader(directory: path)
        #expect { try reader.validate(against: KimiTensorLayout(config: config)) } throws: {
            "\($0)".contains("model.layers.3.") && "\($0)".contains("absent")
        }
    }

    @Test("inspection counts parameters from headers the same way the layout does")
    func inspectionMatchesLayout() throws {
        let dir = try Self.generateTiny(); defer { dir.remove() }
        let path = dir.url.appendingPathComponent("ckpt")
        let config = try KimiConfig.load(directory: path)
        let info = CheckpointInspection(reader: try CheckpointReader(directory: path), config: config)
        let layout = KimiTensorLayout(config: config)
        let total = layout.entries.reduce(0) { $0 + $1.shape.reduce(1, *) }
        let routed = layout.entries.filter { $0.role == .routedExpert }.reduce(0) { $0 + $1.shape.reduce(1, *) }
        #expect(info.totalParameters == total)
        #expect(info.routedExpertParameters == routed)
        #expect(info.activeParameters == total - routed + routed * config.numExpertsPerTok / config.nRoutedExperts)
        #expect(info.int4ModuleCount == layout.entries.filter { $0.role == .routedExpert }.count)
        #expect(info.int4TensorCount == 3 * info.int4ModuleCount)
        let lora = info.loraSize(rank: 4, roles: [.attention])
        let attention = layout.entries.filter { $0.role == .attention }
        #expect(lora.modules == attention.count && lora.tensors == 2 * attention.count)
        #expect(lora.parameters == attention.reduce(0) { $0 + 4 * ($1.shape[0] + $1.shape[1]) })
    }

    @Test("the k2.5 preset has the real layout: about 1.0T total and 32B active parameters")
    func k25Scale() {
        let config = CheckpointPreset.k25.config(nested: true)
        let layout = KimiTensorLayout(config: config)
        let total = layout.entries.reduce(0) { $0 + $1.shape.reduce(1, *) }
        let routed = layout.entries.filter { $0.role == .routedExpert }.reduce(0) { $0 + $1.shape.reduce(1, *) }
        let active = total - routed + routed / config.nRoutedExperts * config.numExpertsPerTok
        #expect(total > 1_000_000_000_000 && total < 1_050_000_000_000, "total \(total)")
        #expect(active > 31_000_000_000 && active < 34_000_000_000, "active \(active)")
        #expect(layout.entries.first?.name == "language_model.model.embed_tokens.weight")
        #expect(layout.entries.contains { $0.name == "language_model.model.layers.60.mlp.experts.383.down_proj" && $0.shape == [7168, 2048] })
    }

    @Test("the bundled chat template equals recipes/templates/kimi-k2.5.jinja")
    func bundledTemplate() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try String(contentsOf: root.appendingPathComponent("recipes/templates/kimi-k2.5.jinja"), encoding: .utf8)
        #expect(BundledChatTemplate.kimiK25 == file)
    }
}
