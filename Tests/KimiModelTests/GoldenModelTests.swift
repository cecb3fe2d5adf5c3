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

    @Test func mappedBF16ResidencyGivesIdenticalResults() throws {
        for variant in Self.variants {
            let fixture = try GoldenFixture(variant)
            let expanded = try KimiModel.load(directory: fixture.directory, residency: .float32)
            let mapped = try KimiModel.load(directory: fixture.directory, residency: .mappedBF16)
            #expect(mapped.projections.contains { if case .bfloat16 = $0.projection.base { return true }; return false })
            if case .bfloat16 = mapped.embedding {} else { Issue.record("\(variant): embedding not mapped") }
            let batch = fixture.packedBatch
            let a = try expanded.forwardBackward(batch, lossScale: 1, captureInputGradient: true)
            let b = try mapped.forwardBackward(batch, lossScale: 1, captureInputGradient: true)
            #expect(a.lossSum == b.lossSum, "\(variant): float32 \(a.lossSum) vs mapped \(b.lossSum)")
            let c = closeness(try #require(b.inputEmbeddingGradient).array, try #require(a.inputEmbeddingGradient).array, absolute: 0, relative: 0)
            #expect(c.passes, "\(variant) float32 vs mapped gradient: \(c)")
        }
    }

    @Test func automaticResidencyMapsWhenDenseWeightsWouldNotFit() {
        #expect(DenseWeightResidency.automatic(denseBF16Bytes: 1 << 20, physicalMemory: 24 << 30) == .float32)
        // K2.5's ~30 GB of BF16 weights expand to ~60 GB: mapped on a 24 GiB host.
        #expect(DenseWeightResidency.automatic(denseBF16Bytes: 30_000_000_000, physicalMemory: 24 << 30) == .mappedBF16)
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

/// YaRN tables and the evaluation loop against the same fixtures.
@Suite struct GoldenRotaryAndEvaluationTests {
    @Test(arguments: GoldenModelTests.variants)
    func yarnMatchesTransformers(variant: String) throws {
        let fixture = try GoldenFixture(variant)
        let config = try KimiConfig.load(directory: fixture.directory)
        let rotary = try RotaryEmbedding(config: config)
        let c = closeness(rotary.inverseFrequencies, fixture.inverseFrequencies, absolute: 0, relative: 1e-6)
        #expect(c.passes, "\(variant) inverse frequencies: \(c)")
        #expect(abs(Double(rotary.attentionFactor) - fixture.attentionFactor) <= 1e-7 * fixture.attentionFactor)
        #expect(abs(Double(rotary.softmaxScale) - fixture.softmaxScale) <= 1e-7 * fixture.softmaxScale,
                "softmax scale \(rotary.softmaxScale) vs \(fixture.softmaxScale)")
    }

    @Test(arguments: [1, 2, 3])
    func evaluationOverPreTokenizedLinesGivesTheGoldenLoss(batchSize: Int) throws {
        let fixture = try GoldenFixture("qlora_yarn32")
        let model = try KimiModel.load(directory: fixture.directory)
        let data = PreTokenizedData(sequences: fixture.sequences.enumerated().map { i, s in
            PreTokenizedData.Sequence(inputIds: s.inputIds, labels: s.labels, line: i + 1)
        })
        let result = try model.evaluate(data, cutoffLength: nil, batchSize: batchSize, file: "golden")
        #expect(result.tokens == fixture.tokens && result.sequences == fixture.sequences.count)
        let c = closeness([result.meanLoss], [fixture.loss], absolute: 0, relative: 1e-6)
        #expect(c.passes, "eval loss with batch \(batchSize): \(c)")
    }

    @Test func cutoffShortensSequencesBeforeCounting() throws {
        let fixture = try GoldenFixture("qlora_yarn32")
        let model = try KimiModel.load(directory: fixture.directory)
        let first = fixture.sequences[0]
        let data = PreTokenizedData(sequences: [.init(inputIds: first.inputIds, labels: nil, line: 1)])
        let cut = try model.evaluate(data, cutoffLength: 5, batchSize: 1, file: "golden")
        #expect(cut.tokens == 4)
        let direct = try model.forward(TokenBatch(sequences: [(Array(first.inputIds.prefix(5)), nil)]))
        #expect(cut.lossSum == direct.lossSum)
    }

    @Test func badTokenInEvaluationNamesTheDataLine() throws {
        let model = try KimiModel.load(directory: try GoldenFixture.directory("qlora_yarn32"))
        let data = PreTokenizedData(sequences: [.init(inputIds: [1, 2, 3], labels: nil, line: 1),
                                                .init(inputIds: [4, 400], labels: nil, line: 7)])
        do {
            _ = try model.evaluate(data, cutoffLength: nil, batchSize: 2, file: "data.jsonl")
            Issue.record("expected an error")
        } catch let error as PreTokenizedDataError {
            #expect(error.line == 7, "\(error)")
            #expect(error.description == "data.jsonl:7: token id 400 at token index 1 is outside the vocabulary (vocab_size 256)", "\(error)")
        }
    }
}

extension GoldenRotaryAndEvaluationTests {
    @Test func dataWithoutLabelTokensIsAnError() throws {
        let model = try KimiModel.load(directory: try GoldenFixture.directory("qlora_yarn32"))
        let data = PreTokenizedData(sequences: [.init(inputIds: [1, 2, 3], labels: [-100, -100, -100], line: 1),
                                                .init(inputIds: [4], labels: nil, line: 2)])
        #expect(throws: PreTokenizedDataError(file: "d.jsonl", line: nil,
                                              message: "no label tokens to evaluate (every label is -100 or every sequence has one token)")) {
            try model.evaluate(data, cutoffLength: nil, batchSize: 2, file: "d.jsonl")
        }
    }
}
