import DataPipeline
import Foundation
import Testing
import TestSupport
import Autograd
import KimiModel
import Storage
@testable import LoRA

/// The experiment behind BENCHMARKS.md's merge section, at test size (`kimi-sft train` is not on
/// main yet): LoRA on the routed experts of the tiny INT4 model, trained with Adam on a fixed batch,
/// plain and merge-aware; then the loss of adapter-on-base against the INT4-merged checkpoint.
/// Prints one line per run; asserts only what must hold whatever the numbers are.
@Suite struct MergeAwareExperimentTests {
    struct Run {
        var base = 0.0, adapterPlain = 0.0, adapterMergeAware = 0.0, mergedInt4 = 0.0, mergedBF16 = 0.0
        var medianSurvival: Double?
    }

    static func train(mergeAware: Bool, learningRate: Float, steps: Int) throws -> Run {
        let s = try MergeScenario(targets: .names(["routed_experts"]), deltaScale: 0, seed: 3)
        defer { s.remove() }
        let model = try KimiModel.load(directory: s.model)
        let set = s.adapters
        MergeScenario.attach(set, to: model)
        if mergeAware {
            let reader = try CheckpointReader(directory: s.model, expectedGroupSize: s.config.quantization?.groupSize)
            _ = try set.enableMergeAwareQuantization(store: reader)
        }
        let data = MergeScenario.evaluationData(vocabulary: s.config.vocabSize, sequences: 4, length: 24)
        let batch = TokenBatch(sequences: data.sequences.map { ($0.inputIds, $0.labels) })
        let counted = batch.shiftedLabels.filter { $0 != TokenBatch.ignoreIndex }.count
        var run = Run()
        set.disableMergeAwareQuantization()
        for p in set.paths { model.projection(at: p)!.adapter = nil }
        run.base = try model.forward(batch).meanLoss
        for p in set.paths { model.projection(at: p)!.adapter = set[p]! }
        if mergeAware {
            let reader = try CheckpointReader(directory: s.model, expectedGroupSize: s.config.quantization?.groupSize)
            _ = try set.enableMergeAwareQuantization(store: reader)
        }
        // Adam (beta 0.9 / 0.999, eps 1e-8) over every A and B.
        let parameters = set.parameters
        let m = parameters.map { Tensor(shape: $0.value.shape) }, v = parameters.map { Tensor(shape: $0.value.shape) }
        for step in 1...steps {
            set.zeroGradients()
            _ = try model.forwardBackward(batch, lossScale: 1 / Float(counted))
            let c1 = 1 - pow(0.9, Float(step)), c2 = 1 - pow(0.999, Float(step))
            for (i, p) in parameters.enumerated() {
                let w = p.value.pointer, g = p.gradient.pointer, mp = m[i].pointer, vp = v[i].pointer
                for j in 0..<p.value.count {
                    mp[j] = 0.9 * mp[j] + 0.1 * g[j]
                    vp[j] = 0.999 * vp[j] + 0.001 * g[j] * g[j]
                    w[j] -= learningRate * (mp[j] / c1) / ((vp[j] / c2).squareRoot() + 1e-8)
                }
            }
        }
        if mergeAware { run.adapterMergeAware = try model.forward(batch).meanLoss }
        set.disableMergeAwareQuantization()
        run.adapterPlain = try model.forward(batch).meanLoss
        let adapterDirectory = s.root.file("trained")
        try PEFTAdapterFile.save(set, model: s.config, to: adapterDirectory, baseModelNameOrPath: nil)
        for format in [MergeFormat.int4, .bf16] {
            let out = s.root.file("merged-\(format.rawValue)")
            let summary = try CheckpointMerge.run(MergeOptions(model: s.model, adapter: adapterDirectory, output: out, format: format))
            let loss = try KimiModel.load(directory: out).forward(batch).meanLoss
            if format == .int4 { run.mergedInt4 = loss; run.medianSurvival = summary.medianInt4Survival } else { run.mergedBF16 = loss }
        }
        return run
    }

    @Test(arguments: [Float(2e-5), 1e-4, 1e-3])
    func mergeAwareTrainingCarriesIntoTheInt4Merge(learningRate: Float) throws {
        let steps = 30
        let plain = try Self.train(mergeAware: false, learningRate: learningRate, steps: steps)
        let aware = try Self.train(mergeAware: true, learningRate: learningRate, steps: steps)
        func f(_ x: Double) -> String { String(format: "%.4f", x) }
        print("merge experiment lr \(learningRate), \(steps) steps | base \(f(plain.base)) | plain LoRA: adapter-on-base \(f(plain.adapterPlain)), "
              + "int4 merge \(f(plain.mergedInt4)), bf16 merge \(f(plain.mergedBF16)), survival \(f(plain.medianSurvival ?? .nan)) | "
              + "merge-aware: adapter-on-base (merge-aware forward) \(f(aware.adapterMergeAware)), (plain forward) \(f(aware.adapterPlain)), "
              + "int4 merge \(f(aware.mergedInt4)), bf16 merge \(f(aware.mergedBF16)), survival \(f(aware.medianSurvival ?? .nan))")
        #expect(plain.base == aware.base)
        #expect(plain.adapterPlain < plain.base, "plain LoRA training must lower the loss")
        // What merge-aware training saw is what the INT4 checkpoint computes.
        let c = closeness([aware.mergedInt4], [aware.adapterMergeAware], absolute: 1e-5, relative: 1e-5)
        #expect(c.passes, "merge-aware forward vs INT4 merge: \(c)")
        // Plain LoRA's adapter-on-base loss overstates what its INT4 merge keeps; merge-aware's does not.
        // (Whether the merged loss is lower is the measurement, not an assertion: see BENCHMARKS.md.)
    }
}
