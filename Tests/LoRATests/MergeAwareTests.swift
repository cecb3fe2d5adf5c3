import DataPipeline
import Foundation
import Testing
import TestSupport
import Autograd
import KimiModel
import Storage
@testable import LoRA

@Suite struct MergeAwareTests {
    /// Logits of the base with merge-aware adapters equal the logits of the INT4-merged checkpoint.
    @Test(arguments: [false, true])
    func forwardEqualsTheInt4MergedCheckpoint(nested: Bool) throws {
        let s = try MergeScenario(nested: nested, targets: .names(["routed_experts"]), deltaScale: 0.05)
        defer { s.remove() }
        let summary = try CheckpointMerge.run(s.options("out"))
        let model = try KimiModel.load(directory: s.model)
        MergeScenario.attach(s.adapters, to: model)
        let reader = try CheckpointReader(directory: s.model, expectedGroupSize: s.config.quantization?.groupSize)
        let detection = try #require(try s.adapters.enableMergeAwareQuantization(store: reader))
        #expect(detection.convention == summary.convention?.convention)
        let batch = TokenBatch(sequences: MergeScenario.evaluationData(vocabulary: s.config.vocabSize).sequences.map { ($0.inputIds, $0.labels) })
        let mergeAware = try model.logits(batch).array
        s.adapters.disableMergeAwareQuantization()
        let plainLoRA = try model.logits(batch).array
        let merged = try KimiModel.load(directory: s.root.file("out")).logits(batch).array
        let c = closeness(mergeAware, merged.map(Double.init), absolute: 2e-5, relative: 1e-4)
        #expect(c.passes, "merge-aware vs INT4-merged logits: \(c)")
        let plain = closeness(plainLoRA, merged.map(Double.init), absolute: 2e-5, relative: 1e-4)
        #expect(!plain.passes, "plain LoRA should differ from the INT4 merge (else the test shows nothing): \(plain)")
    }

    /// Straight-through backward: dA and dB are plain LoRA's; dx uses the quantized delta.
    @Test func backwardIsStraightThrough() throws {
        var rng = SplitMix64(seed: 11)
        let rows = 3, inF = 64, outF = 16
        let w = Tensor(shape: [outF, inF], generator: { _ in Float(rng.nextGaussian() * 0.02) })
        let base = Int4Quantizer.quantize(w.pointer, rows: outF, columns: inF, groupSize: 32, convention: .absmax7)
        func adapter() -> LoRAAdapter {
            let a = LoRAAdapter(inFeatures: inF, outFeatures: outF, rank: 2, scaling: 2, initializationSeed: 5)
            var r = SplitMix64(seed: 6)
            for i in 0..<a.b.count { a.b.data[i] = Float(r.nextGaussian() * 0.05) }
            return a
        }
        let x = (0..<(rows * inF)).map { _ in Float(rng.nextGaussian()) }
        let dy = (0..<(rows * outF)).map { _ in Float(rng.nextGaussian()) }
        let plain = adapter(), aware = adapter()
        let transform = MergeAwareQuantization(base: base.matrix, convention: .absmax7)
        aware.deltaTransform = transform
        var dxPlain = [Float](repeating: 0, count: rows * inF), dxAware = dxPlain
        plain.backward(x, rows: rows, outputGradient: dy, inputGradient: &dxPlain)
        aware.backward(x, rows: rows, outputGradient: dy, inputGradient: &dxAware)
        #expect(plain.gradientA.array == aware.gradientA.array)
        #expect(plain.gradientB.array == aware.gradientB.array)
        // dx = dy D with D = deq(Q(W + sBA)) - deq(W).
        let d = transform.effectiveDelta(aware)
        var expected = [Double](repeating: 0, count: rows * inF)
        for r in 0..<rows { for o in 0..<outF { for i in 0..<inF { expected[r * inF + i] += Double(dy[r * outF + o]) * Double(d.data[o * inF + i]) } } }
        let c = closeness(dxAware, expected, absolute: 1e-6, relative: 1e-5)
        #expect(c.passes, "dx: \(c)")
        // Forward adds x D^T.
        var y = [Float](repeating: 0, count: rows * outF)
        aware.forward(x, rows: rows, into: &y)
        var yExpected = [Double](repeating: 0, count: rows * outF)
        for r in 0..<rows { for o in 0..<outF { for i in 0..<inF { yExpected[r * outF + o] += Double(x[r * inF + i]) * Double(d.data[o * inF + i]) } } }
        let cy = closeness(y, yExpected, absolute: 1e-6, relative: 1e-5)
        #expect(cy.passes, "forward: \(cy)")
    }

    @Test func onlyInt4ProjectionsBecomeMergeAware() throws {
        let s = try MergeScenario(targets: .all, deltaScale: 0.05)
        defer { s.remove() }
        let reader = try CheckpointReader(directory: s.model)
        _ = try s.adapters.enableMergeAwareQuantization(store: reader)
        for path in s.adapters.paths {
            let isExpert = path.contains(".mlp.experts.")
            #expect((s.adapters[path]!.deltaTransform != nil) == isExpert, "\(path)")
        }
    }
}
