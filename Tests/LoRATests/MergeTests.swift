import Foundation
import Testing
import TestSupport
import Autograd
import KimiModel
import Storage
@testable import LoRA

@Suite struct MergeTests {
    @Test(arguments: [false, true])
    func zeroDeltaInt4MergeKeepsEveryByte(nested: Bool) throws {
        let s = try MergeScenario(nested: nested, deltaScale: 0)
        defer { s.remove() }
        let summary = try CheckpointMerge.run(s.options("out", shardBytes: 150_000))
        #expect(summary.format == .int4)
        #expect(summary.convention?.convention == .absmax7 && summary.convention?.isExact == true, "\(String(describing: summary.convention))")
        #expect(summary.shardFiles.count > 1)
        let base = try CheckpointReader(directory: s.model), merged = try CheckpointReader(directory: s.root.file("out"))
        #expect(Set(base.tensorNames) == Set(merged.tensorNames))
        for name in base.tensorNames {
            #expect(try tensorBytes(base, name) == tensorBytes(merged, name), "\(name) changed")
        }
        let out = s.root.file("out")
        for file in ["config.json"] + MergeScenario.extraFiles.map(\.name) {
            #expect(try Data(contentsOf: out.appendingPathComponent(file)) == Data(contentsOf: s.model.appendingPathComponent(file)), "\(file)")
        }
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(CheckpointReader.indexFileName).path))
        #expect(s.entries() == ["adapter", "base", "out"])
    }

    @Test(arguments: [false, true])
    func zeroDeltaBF16MergeStoresTheDequantizedBase(nested: Bool) throws {
        let s = try MergeScenario(nested: nested, deltaScale: 0)
        defer { s.remove() }
        let summary = try CheckpointMerge.run(s.options("out", format: .bf16))
        #expect(summary.format == .bf16)
        let base = try CheckpointReader(directory: s.model), merged = try CheckpointReader(directory: s.root.file("out"))
        var experts = 0
        for name in base.tensorNames {
            if name.hasSuffix(".weight_packed") {
                let module = String(name.dropLast(".weight_packed".count))
                let exact = try #require(try base.packedInt4(module: module)).dequantized()
                let stored = try merged.view(module + ".weight")
                #expect(stored.dtype == .bfloat16 && stored.shape == exact.shape)
                let values = try stored.floats()
                // BF16 storage of deq(W) = q * scale: the value transformers computes in bf16.
                #expect(values.array == exact.array.map { BFloat16.round($0) }, "\(module)")
                experts += 1
            } else if !name.hasSuffix(".weight_scale") && !name.hasSuffix(".weight_shape") {
                #expect(try tensorBytes(base, name) == tensorBytes(merged, name), "\(name) changed")
            }
        }
        #expect(experts == s.config.nRoutedExperts * 3 * (s.config.numHiddenLayers - s.config.firstKDenseReplace))
        #expect(!merged.tensorNames.contains { $0.hasSuffix(".weight_packed") || $0.hasSuffix(".weight_scale") })
        let config = try KimiConfigFile.load(directory: s.root.file("out"))
        #expect(config.config.quantization == nil)
        #expect(config.raw["quantization_config"] == nil && config.raw["text_config"]?["quantization_config"] == nil)
        #expect(config.config.tensorPrefix == s.config.tensorPrefix)
    }

    @Test func bf16MergedEvalLossEqualsAdapterOnBase() throws {
        let s = try MergeScenario()
        defer { s.remove() }
        let summary = try CheckpointMerge.run(s.options("out", format: .bf16))
        #expect(summary.modules.count == s.adapters.count)
        let data = MergeScenario.evaluationData(vocabulary: s.config.vocabSize)
        let onBase = try KimiModel.load(directory: s.model)
        try onBase.attachPEFTAdapter(directory: s.adapterDirectory)
        let expected = try onBase.evaluate(data, cutoffLength: nil, batchSize: 1, file: "eval").meanLoss
        let plain = try KimiModel.load(directory: s.model).evaluate(data, cutoffLength: nil, batchSize: 1, file: "eval").meanLoss
        let merged = try KimiModel.load(directory: s.root.file("out")).evaluate(data, cutoffLength: nil, batchSize: 1, file: "eval").meanLoss
        // The merged weights differ from W + sBA only by BF16 rounding (relative 2^-9 per weight).
        let c = closeness([merged], [expected], absolute: 2e-3, relative: 0)
        #expect(c.passes, "merged vs adapter-on-base: \(c)")
        #expect(abs(expected - plain) > 20 * c.maxAbsoluteDifference, "the adapter must change the loss for this test to mean something: base \(plain), adapted \(expected)")
        for m in summary.modules {
            let survival = try #require(m.survival)
            #expect(abs(survival - 1) < 0.05 && m.residual! < 0.1, "\(m.line)")
        }
    }

    @Test func int4MergeRequantizesOnlyAdaptedExperts() throws {
        // Adapters on the routed experts of layer 1 only: layer 2's experts must keep their bytes.
        let s = try MergeScenario(targets: .names(["routed_experts"]), layers: 1...1)
        defer { s.remove() }
        var lines: [String] = []
        let summary = try CheckpointMerge.run(s.options("out")) { lines.append($0) }
        let base = try CheckpointReader(directory: s.model), merged = try CheckpointReader(directory: s.root.file("out"))
        var changed = 0
        for name in base.tensorNames {
            let same = try tensorBytes(base, name) == tensorBytes(merged, name)
            if name.contains("layers.1.mlp.experts.") && !name.hasSuffix(".weight_shape") { if !same { changed += 1 } }
            else { #expect(same, "\(name) changed") }
        }
        #expect(changed > 0)
        #expect(summary.modules.count == s.config.nRoutedExperts * 3)
        #expect(summary.modules.allSatisfy { $0.storage == "int4" && $0.survival != nil })
        #expect(lines.filter { $0.contains(" survival ") }.count == summary.modules.count)
        #expect(summary.table.count == 2 && summary.table[1].hasPrefix("routed_experts"), "\(summary.table)")
        let config = try KimiConfigFile.load(directory: s.root.file("out"))
        #expect(config.config.quantization == s.config.quantization)
    }

    @Test func int4MergeOfATinyDeltaWarnsItIsANoOp() throws {
        let s = try MergeScenario(targets: .names(["routed_experts"]), deltaScale: 1e-5)
        defer { s.remove() }
        let summary = try CheckpointMerge.run(s.options("out"))
        let median = try #require(summary.medianInt4Survival)
        #expect(median < MergeSummary.noOpThreshold)
        #expect(summary.warning?.hasPrefix("WARNING") == true)
        let bf16 = try CheckpointMerge.run(s.options("out-bf16", format: .bf16))
        #expect(bf16.warning == nil)
    }

    @Test func survivalMeasuresWhatLanded() {
        let before: [Float] = [1, 2, 3, 4], delta: [Float] = [0.5, 0, -0.5, 1]
        let full = zip(before, delta).map { $0 + $1 }
        let all = DeltaSurvival(module: "m", storage: "bf16", before: before, after: full, delta: delta, count: 4)
        #expect(all.survival == 1 && all.residual == 0)
        let none = DeltaSurvival(module: "m", storage: "int4", before: before, after: before, delta: delta, count: 4)
        #expect(none.survival == 0 && none.residual == 1)
        let zero = DeltaSurvival(module: "m", storage: "int4", before: before, after: before, delta: [0, 0, 0, 0], count: 4)
        #expect(zero.survival == nil && zero.residual == nil)
    }

    @Test func conventionDetectionFindsTheBaseConvention() throws {
        var rng = SplitMix64(seed: 3)
        let rows = 4, columns = 64
        let w = Tensor(shape: [rows, columns], generator: { _ in Float(rng.nextGaussian() * 0.02) })
        for convention in Int4Quantizer.ScaleConvention.allCases {
            let packed = Int4Quantizer.quantize(w.pointer, rows: rows, columns: columns, groupSize: 32, convention: convention)
            let store = OneModuleStore(module: "m", matrix: packed)
            let detection = try #require(try ScaleConventionDetection.detect(store: store, modules: ["m"]))
            if convention == .absmax7 {
                #expect(detection.convention == .absmax7 && detection.isExact, "\(detection)")
            } else {
                // absmax/7.5 is not a fixed point of itself; detection then reports the closest, not exact.
                #expect(detection.candidates.allSatisfy { $0.exactModules == 0 } || detection.convention == convention, "\(detection)")
            }
        }
    }

    @Test func writeOrderKeepsModulesTogetherOnlyWhenAligned() {
        let packed = TensorSpec(name: "m.weight_packed", dtype: .int32, shape: [2, 1])
        let shape = TensorSpec(name: "m.weight_shape", dtype: .int32, shape: [2])
        let evenScale = TensorSpec(name: "m.weight_scale", dtype: .bfloat16, shape: [2, 1])
        let oddScale = TensorSpec(name: "m.weight_scale", dtype: .bfloat16, shape: [3, 1])
        let next = TensorSpec(name: "n.weight_packed", dtype: .int32, shape: [2, 1])
        #expect(MergePlan.writeOrder([packed, shape, evenScale, next]) == [packed, shape, evenScale, next])
        #expect(MergePlan.writeOrder([packed, shape, oddScale, next]) == [packed, shape, next, oddScale])
    }

    @Test func shardSizesParse() {
        #expect(MergeOptions.parseShardSize("5GB") == 5_000_000_000)
        #expect(MergeOptions.parseShardSize("2GiB") == 2 << 30)
        #expect(MergeOptions.parseShardSize("500mb") == 500_000_000)
        #expect(MergeOptions.parseShardSize("4096") == 4096)
        #expect(MergeOptions.parseShardSize("1.5KB") == 1500)
        for bad in ["", "GB", "0", "-5GB", "5XB", "five", "5 G B", "1e3"] {
            #expect(MergeOptions.parseShardSize(bad) == nil, "'\(bad)' should be refused")
        }
    }
}

/// A WeightStore holding one INT4 module, for convention detection.
final class OneModuleStore: WeightStore, @unchecked Sendable {
    let module: String
    let matrix: OwnedPackedInt4
    init(module: String, matrix: OwnedPackedInt4) { self.module = module; self.matrix = matrix }
    func contains(_ name: String) -> Bool { name == module + ".weight_packed" }
    func shape(of name: String) throws -> [Int] { [matrix.rows, matrix.columns / 8] }
    func floats(_ name: String) throws -> Tensor { throw CheckpointError.missingTensor(tensor: name, checkpoint: "memory") }
    func packedInt4(module name: String) throws -> PackedInt4Matrix? { name == module ? matrix.matrix : nil }
}
