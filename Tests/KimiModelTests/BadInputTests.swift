import DataPipeline
import Foundation
import KimiModel
import Storage
import TestSupport
import Testing

/// Each kind of bad input is a typed error naming what is wrong, never a crash.
@Suite struct BadInputTests {
    static func model() throws -> KimiModel {
        try KimiModel.load(directory: try GoldenFixture.directory("qlora_yarn32"))
    }

    @Test func sequenceLongerThanMaxPositionEmbeddings() throws {
        let model = try Self.model()
        let tooLong = [Int32](repeating: 7, count: model.config.maxPositionEmbeddings + 1)
        #expect(throws: ModelError.positionOutOfRange(index: 64, position: 64, maxPositions: 64)) {
            try model.forward(TokenBatch(sequences: [(tooLong, nil)]))
        }
        // Exactly max_position_embeddings tokens is fine.
        _ = try model.forward(TokenBatch(sequences: [(Array(tooLong.dropLast()), nil)]))
    }

    @Test(arguments: [Int32(256), Int32(-1), Int32(100_000)])
    func tokenOutsideTheVocabulary(id: Int32) throws {
        let model = try Self.model()
        #expect(throws: ModelError.tokenOutOfVocabulary(index: 2, id: id, vocabularySize: 256)) {
            try model.forwardBackward(TokenBatch(sequences: [([1, 2, id, 4], nil)]), lossScale: 1)
        }
    }

    @Test func labelOutsideTheVocabulary() throws {
        let model = try Self.model()
        #expect(throws: ModelError.tokenOutOfVocabulary(index: 1, id: 999, vocabularySize: 256)) {
            try model.forward(TokenBatch(sequences: [([1, 2, 3], [1, 999, 3])]))
        }
    }

    @Test func batchArraysOfDifferentLengths() throws {
        let model = try Self.model()
        let batch = TokenBatch(inputIds: [1, 2, 3], positions: [0, 1], segmentIds: [0, 0, 0], labels: [1, 2, 3])
        #expect(throws: ModelError.self) { try model.forward(batch) }
        #expect(throws: ModelError.malformedBatch("no tokens")) { try model.forward(TokenBatch(sequences: [])) }
    }

    /// A copy of the golden checkpoint whose config.json has `edit` applied.
    static func editedCheckpoint(_ edit: (String) -> String) throws -> TemporaryDirectory {
        let source = try GoldenFixture.directory("qlora_yarn32")
        let dir = try TemporaryDirectory("kimi-model-bad-config")
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"), to: dir.file("model.safetensors"))
        let config = try String(contentsOf: source.appendingPathComponent("config.json"), encoding: .utf8)
        let edited = edit(config)
        #expect(edited != config, "the edit did not change config.json")
        try edited.write(to: dir.file("config.json"), atomically: true, encoding: .utf8)
        return dir
    }

    @Test func configDisagreesWithTensorShapes() throws {
        let dir = try Self.editedCheckpoint { $0.replacingOccurrences(of: "\"kv_lora_rank\": 32", with: "\"kv_lora_rank\": 16") }
        defer { dir.remove() }
        #expect(throws: ModelError.shapeMismatch(tensor: "model.layers.0.self_attn.kv_a_proj_with_mqa.weight", expected: [24, 64], actual: [40, 64])) {
            try KimiModel.load(directory: dir.url)
        }
    }

    @Test func configImpliesATensorTheCheckpointLacks() throws {
        let dir = try Self.editedCheckpoint { $0.replacingOccurrences(of: "\"q_lora_rank\": 32", with: "\"q_lora_rank\": null") }
        defer { dir.remove() }
        #expect(throws: ModelError.missingTensor("model.layers.0.self_attn.q_proj.weight")) {
            try KimiModel.load(directory: dir.url)
        }
    }

    @Test func configWithMoreLayersThanTheCheckpoint() throws {
        let dir = try Self.editedCheckpoint { $0.replacingOccurrences(of: "\"num_hidden_layers\": 2", with: "\"num_hidden_layers\": 3") }
        defer { dir.remove() }
        #expect(throws: ModelError.missingTensor("model.layers.2.self_attn.q_a_proj.weight")) {
            try KimiModel.load(directory: dir.url)
        }
    }

    @Test func expertSizeDisagreesWithTheINT4Tensors() throws {
        let dir = try Self.editedCheckpoint { $0.replacingOccurrences(of: "\"moe_intermediate_size\": 32", with: "\"moe_intermediate_size\": 40") }
        defer { dir.remove() }
        #expect(throws: ModelError.shapeMismatch(tensor: "model.layers.1.mlp.experts.0.gate_proj.weight_packed (unpacked)",
                                                 expected: [40, 64], actual: [32, 64])) {
            try KimiModel.load(directory: dir.url)
        }
    }

    @Test func inconsistentRouterGroups() throws {
        let dir = try Self.editedCheckpoint { $0.replacingOccurrences(of: "\"n_group\": 1", with: "\"n_group\": 3") }
        defer { dir.remove() }
        #expect(throws: ModelError.unsupportedConfig("n_routed_experts 8 is not divisible by n_group 3")) {
            try KimiModel.load(directory: dir.url)
        }
    }

    @Test func errorMessagesNameTheProblem() {
        #expect(ModelError.missingTensor("x.weight").description.contains("x.weight"))
        #expect(ModelError.positionOutOfRange(index: 3, position: 70, maxPositions: 64).description.contains("max_position_embeddings 64"))
        #expect(ModelError.tokenOutOfVocabulary(index: 0, id: 300, vocabularySize: 256).description.contains("300"))
    }
}
