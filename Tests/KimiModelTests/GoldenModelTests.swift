import Autograd
import Foundation
import KimiModel
import Storage
import TestSupport
import Testing

/// The Swift model against transformers 5 on tiny DeepseekV3 checkpoints in the Kimi format
/// (INT4 routed experts, YaRN with beta_fast 32 and 1, with and without q_lora_rank, n_group 2).
@Suite struct GoldenModelTests {
    static let variants = ["qlora_yarn32", "qproj_yarn1_groups"]

    @Test(arguments: variants)
    func lossAndLogitsMatchTransformers(variant: String) throws {
        let fixture = try GoldenFixture(variant)
        let model = try KimiModel.load(directory: fixture.directory)
        let batch = fixture.packedBatch
        let result = try model.forward(batch)
        #expect(result.count == fixture.tokens)
        let loss = closeness([result.meanLoss], [fixture.loss], absolute: 0, relative: 1e-4)
        #expect(loss.passes, "loss: \(loss)")

        let logits = try model.logits(batch).array
        let V = model.config.vocabSize
        for (s, range) in zip(fixture.sequences, fixture.segmentRanges) {
            let actual = Array(logits[(range.lowerBound * V)..<(range.upperBound * V)])
            let c = closeness(actual, s.logits, absolute: scaledTolerance(s.logits), relative: 1e-4)
            #expect(c.passes, "\(variant) logits of sequence \(s.inputIds.prefix(3)): \(c)")
        }
    }

    @Test(arguments: variants)
    func inputEmbeddingGradientMatchesTransformers(variant: String) throws {
        let fixture = try GoldenFixture(variant)
        let model = try KimiModel.load(directory: fixture.directory)
        let batch = fixture.packedBatch
        let result = try model.forwardBackward(batch, lossScale: 1 / Float(fixture.tokens), captureInputGradient: true)
        let loss = closeness([result.meanLoss], [fixture.loss], absolute: 0, relative: 1e-4)
        #expect(loss.passes, "loss: \(loss)")
        let gradient = try #require(result.inputEmbeddingGradient).array
        let C = model.config.hiddenSize
        for (s, range) in zip(fixture.sequences, fixture.segmentRanges) {
            let actual = Array(gradient[(range.lowerBound * C)..<(range.upperBound * C)])
            let c = closeness(actual, s.inputEmbeddingGradient, absolute: scaledTolerance(s.inputEmbeddingGradient), relative: 1e-4)
            #expect(c.passes, "\(variant) d loss / d embeddings of sequence \(s.inputIds.prefix(3)): \(c)")
        }
    }

    @Test func checkpointingOffGivesTheSameGradient() throws {
        let fixture = try GoldenFixture("qlora_yarn32")
        let model = try KimiModel.load(directory: fixture.directory)
        let batch = fixture.packedBatch
        let checkpointed = try #require(try model.forwardBackward(batch, lossScale: 1, captureInputGradient: true).inputEmbeddingGradient)
        model.activationCheckpointing = false
        let kept = try #require(try model.forwardBackward(batch, lossScale: 1, captureInputGradient: true).inputEmbeddingGradient)
        let c = closeness(kept.array, checkpointed.array, absolute: 0, relative: 0)
        #expect(c.passes, "checkpointing on vs off: \(c)")
    }

    @Test func nestedLayoutGivesIdenticalResults() throws {
        let flat = try GoldenFixture("qlora_yarn32")
        let nested = try GoldenFixture("qlora_yarn32_nested", expectedFrom: "qlora_yarn32")
        let flatModel = try KimiModel.load(directory: flat.directory)
        let nestedModel = try KimiModel.load(directory: nested.directory)
        #expect(nestedModel.config.tensorPrefix == "language_model.")
        #expect(nestedModel.projections.allSatisfy { $0.path.hasPrefix("language_model.model.layers.") })
        let batch = flat.packedBatch
        let a = try flatModel.forwardBackward(batch, lossScale: 1, captureInputGradient: true)
        let b = try nestedModel.forwardBackward(batch, lossScale: 1, captureInputGradient: true)
        #expect(a.lossSum == b.lossSum, "flat \(a.lossSum) vs nested \(b.lossSum)")
        let c = closeness(try #require(b.inputEmbeddingGradient).array, try #require(a.inputEmbeddingGradient).array, absolute: 0, relative: 0)
        #expect(c.passes, "flat vs nested gradient: \(c)")
    }
}
