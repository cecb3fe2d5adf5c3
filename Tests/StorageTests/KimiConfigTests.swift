import Foundation
import Testing
import TestSupport
@testable import Storage

@Suite("config.json")
struct KimiConfigTests {
    static let flat = """
    {"architectures":["DeepseekV3ForCausalLM"],"model_type":"kimi_k2","auto_map":{"AutoConfig":"configuration_deepseek.DeepseekV3Config"},
     "hidden_size":7168,"intermediate_size":18432,"moe_intermediate_size":2048,"num_hidden_layers":61,
     "num_attention_heads":64,"num_key_value_heads":64,"q_lora_rank":1536,"kv_lora_rank":512,"qk_nope_head_dim":128,
     "qk_rope_head_dim":64,"v_head_dim":128,"n_routed_experts":384,"n_shared_experts":1,"num_experts_per_tok":8,
     "first_k_dense_replace":1,"moe_layer_freq":1,"n_group":1,"topk_group":1,"topk_method":"noaux_tc","scoring_func":"sigmoid",
     "norm_topk_prob":true,"routed_scaling_factor":2.827,"rms_norm_eps":1e-06,"rope_theta":50000.0,
     "rope_scaling":{"beta_fast":1.0,"beta_slow":1.0,"factor":32.0,"mscale":1.0,"mscale_all_dim":1.0,"original_max_position_embeddings":4096,"type":"yarn"},
     "max_position_embeddings":131072,"vocab_size":163840,"tie_word_embeddings":false,"bos_token_id":163584,"eos_token_id":163585,
     "some_future_key":{"x":[1,2.5,"y"]}}
    """

    static let nested = """
    {"architectures":["KimiK25ForConditionalGeneration"],"model_type":"kimi_k25","vision_config":{"hidden_size":1152},
     "quantization_config":{"quant_method":"compressed-tensors","format":"pack-quantized","config_groups":{"group_0":{"targets":["Linear"],
       "weights":{"num_bits":4,"type":"int","symmetric":true,"strategy":"group","group_size":32}}},"ignore":["lm_head","re:.*self_attn.*"]},
     "text_config":{"model_type":"kimi_k2","hidden_size":64,"intermediate_size":128,"moe_intermediate_size":32,"num_hidden_layers":3,
       "num_attention_heads":4,"q_lora_rank":null,"kv_lora_rank":16,"qk_nope_head_dim":16,"qk_rope_head_dim":8,"v_head_dim":16,
       "n_routed_experts":8,"n_shared_experts":1,"num_experts_per_tok":2,"first_k_dense_replace":1,"routed_scaling_factor":2.5,
       "rms_norm_eps":1e-05,"rope_parameters":{"rope_type":"yarn","rope_theta":50000.0,"factor":64.0,"original_max_position_embeddings":4096,"beta_fast":32.0},
       "max_position_embeddings":262144,"vocab_size":768,"pad_token_id":163839}}
    """

    @Test("flat kimi_k2 layout: every field, rope_scaling, no prefix")
    func flatLayout() throws {
        let c = try KimiConfig(json: JSONParser.parse(Self.flat), source: "config.json")
        #expect(c.hiddenSize == 7168 && c.numHiddenLayers == 61 && c.nRoutedExperts == 384 && c.numExpertsPerTok == 8)
        #expect(c.qLoraRank == 1536 && c.kvLoraRank == 512 && c.qHeadDim == 192)
        #expect(c.routedScalingFactor == 2.827 && c.rmsNormEps == 1e-6 && c.ropeTheta == 50000)
        #expect(c.ropeScaling == RopeScaling(factor: 32, originalMaxPositionEmbeddings: 4096, betaFast: 1, betaSlow: 1, mscale: 1, mscaleAllDim: 1))
        #expect(c.tensorPrefix == "" && c.quantization == nil && c.bosTokenId == 163584)
        #expect(c.isMoELayer(1) && !c.isMoELayer(0))
    }

    @Test("nested kimi_k25 layout: text_config, rope_parameters, top-level quantization_config, prefix")
    func nestedLayout() throws {
        let c = try KimiConfig(json: JSONParser.parse(Self.nested), source: "config.json")
        #expect(c.tensorPrefix == "language_model.")
        #expect(c.hiddenSize == 64 && c.qLoraRank == nil && c.numKeyValueHeads == 4)
        #expect(c.ropeTheta == 50000 && c.ropeScaling?.factor == 64 && c.ropeScaling?.betaFast == 32 && c.ropeScaling?.mscaleAllDim == 0)
        #expect(c.quantization == QuantizationConfig(groupSize: 32, ignore: ["lm_head", "re:.*self_attn.*"]))
        #expect(c.padTokenId == 163839)
    }

    @Test("an FP8 (first K2-Instruct) quantization_config parses as 8-bit with 128 blocks")
    func fp8Config() throws {
        var text = Self.flat
        text.removeLast()
        text += #","quantization_config":{"activation_scheme":"dynamic","fmt":"e4m3","quant_method":"fp8","weight_block_size":[128,128]}}"#
        let c = try KimiConfig(json: JSONParser.parse(text), source: "config.json")
        #expect(c.quantization?.quantMethod == "fp8" && c.quantization?.numBits == 8 && c.quantization?.groupSize == 128)
    }

    @Test("unknown keys and spellings survive a rewrite; changed fields are updated in place")
    func writeBackKeepsUnknownKeys() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        for source in [Self.flat, Self.nested] {
            try Data(source.utf8).write(to: dir.file("config.json"))
            var file = try KimiConfigFile.load(directory: dir.url)
            #expect(file.updatedJSON() == file.raw)
            file.config.vocabSize = 1000
            try file.write(to: dir.url)
            let again = try KimiConfigFile.load(directory: dir.url)
            #expect(again.config == file.config)
            var expected = file.raw
            if case .object(var top) = expected {
                if case .object(var text)? = top["text_config"] {
                    text["vocab_size"] = .int(1000); top["text_config"] = .object(text)
                } else { top["vocab_size"] = .int(1000) }
                expected = .object(top)
            }
            #expect(again.raw == expected)
        }
    }

    @Test("missing or mistyped fields name the key and the file", arguments: [
        (#"{"hidden_size":64}"#, "'num_attention_heads' is missing"),
        (#"[]"#, "not a JSON object"),
        (#"{"text_config":{"num_attention_heads":4,"hidden_size":"big"}}"#, "'text_config.hidden_size' must be an integer"),
    ])
    func badConfig(source: String, fragment: String) throws {
        do {
            _ = try KimiConfig(json: JSONParser.parse(source), source: "/x/config.json")
            Issue.record("no error for \(source)")
        } catch let error as CheckpointError {
            #expect(error.description.contains("/x/config.json") && error.description.contains(fragment), "\(error)")
        }
    }

    @Test("malformed config.json reports line and column")
    func malformedJSON() throws {
        let dir = try TemporaryDirectory(); defer { dir.remove() }
        try Data("{\n  \"hidden_size\": 64,,\n}".utf8).write(to: dir.file("config.json"))
        #expect {
            try KimiConfigFile.load(directory: dir.url)
        } throws: { error in
            "\(error)".contains("config.json:2:")
        }
    }
}
