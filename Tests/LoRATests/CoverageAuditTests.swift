import Testing
import Storage
@testable import LoRA

/// Real Kimi K2.5 text dimensions (KIMI-FORMAT.md §1).
let kimiK25 = KimiConfig(
    hiddenSize: 7168, intermediateSize: 18432, moeIntermediateSize: 2048, numHiddenLayers: 61,
    numAttentionHeads: 64, numKeyValueHeads: 64, qLoraRank: 1536, kvLoraRank: 512, qkNopeHeadDim: 128,
    qkRopeHeadDim: 64, vHeadDim: 128, nRoutedExperts: 384, nSharedExperts: 1, numExpertsPerTok: 8,
    firstKDenseReplace: 1, routedScalingFactor: 2.827, rmsNormEps: 1e-5, ropeTheta: 50000,
    ropeScaling: RopeScaling(factor: 64, originalMaxPositionEmbeddings: 4096),
    maxPositionEmbeddings: 262144, vocabSize: 163840, tensorPrefix: "language_model.")

let tinyConfig = KimiConfig(
    hiddenSize: 64, intermediateSize: 96, moeIntermediateSize: 32, numHiddenLayers: 3,
    numAttentionHeads: 4, numKeyValueHeads: 4, qLoraRank: 32, kvLoraRank: 16, qkNopeHeadDim: 16,
    qkRopeHeadDim: 8, vHeadDim: 16, nRoutedExperts: 4, nSharedExperts: 1, numExpertsPerTok: 2,
    firstKDenseReplace: 1, routedScalingFactor: 2.5, rmsNormEps: 1e-6, ropeTheta: 50000,
    ropeScaling: nil, maxPositionEmbeddings: 256, vocabSize: 512)

@Suite struct CoverageAuditTests {
    @Test func realKimiWithAllTargetsImpliesEveryExpert() throws {
        let audit = try CoverageAudit(config: kimiK25, lora: LoRAConfig(rank: 8, targets: .all), adapted: [:])
        let implied = Dictionary(uniqueKeysWithValues: audit.rows.map { ($0.moduleClass, $0.impliedTensors) })
        #expect(implied[.attention] == 61 * 5 * 2)
        #expect(implied[.routedExperts] == 60 * 384 * 3 * 2)
        #expect(implied[.sharedExperts] == 60 * 3 * 2)
        #expect(implied[.dense] == 1 * 3 * 2)
        #expect(audit.missing.count == 61 * 5 + 60 * 384 * 3 + 60 * 3 + 3)
        #expect(throws: LoRAError.self) { try audit.requireComplete() }
    }

    @Test func completeSetPassesAndCountsParameters() throws {
        let set = try LoRAAdapterSet.create(for: tinyConfig, config: LoRAConfig(rank: 4, targets: .all))
        let audit = try set.audit(model: tinyConfig)
        try audit.requireComplete()
        #expect(audit.totalTensors == 2 * set.count)
        #expect(audit.totalParameters == set.parameterCount)
        #expect(set.count == 3 * 5 + 3 + 2 * (4 * 3 + 3))
        #expect(audit.description.contains("routed_experts"))
    }

    @Test func droppingOneExpertAdapterIsAnError() throws {
        let set = try LoRAAdapterSet.create(for: tinyConfig, config: LoRAConfig(rank: 2, targets: .parse("experts")))
        var adapted: [String: (rank: Int, parameters: Int)] = [:]
        for p in set.paths where p != "model.layers.2.mlp.experts.3.up_proj" { adapted[p] = (2, set[p]!.parameterCount) }
        let audit = try CoverageAudit(config: tinyConfig, lora: set.config, adapted: adapted)
        #expect(audit.missing == ["model.layers.2.mlp.experts.3.up_proj"])
        #expect(throws: LoRAError.untrainedTargets(count: 1, examples: ["model.layers.2.mlp.experts.3.up_proj"])) {
            try audit.requireComplete()
        }
    }

    @Test func targetMatchingNothingIsAnErrorWithSuggestion() {
        #expect(throws: LoRAError.targetMatchesNothing("q_a_prj", suggestion: "q_a_proj")) {
            _ = try LoRAAdapterSet.create(for: tinyConfig, config: LoRAConfig(targets: .parse("q_a_prj")))
        }
    }

    @Test func layerRangeRestrictsAdapters() throws {
        let set = try LoRAAdapterSet.create(for: tinyConfig, config: LoRAConfig(rank: 2, targets: .parse("attention"), layers: 1...1))
        #expect(set.paths.allSatisfy { $0.hasPrefix("model.layers.1.self_attn.") })
        #expect(set.count == 5)
    }
}

@Suite struct PEFTAdapterConfigTests {
    @Test func allTargetsWriteANameList() {
        let c = PEFTAdapterConfig(lora: LoRAConfig(rank: 8, targets: .all), model: tinyConfig, baseModelNameOrPath: "m")
        #expect(c.targetModules == .array(["down_proj", "gate_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj", "q_a_proj", "q_b_proj", "up_proj"].map { .string($0) }))
    }

    @Test func expertGroupWritesARegexThatExcludesTheDenseMLP() throws {
        let c = PEFTAdapterConfig(lora: LoRAConfig(rank: 8, targets: .parse("experts")), model: tinyConfig, baseModelNameOrPath: nil)
        let pattern = try #require(c.targetModules.stringValue)
        let regex = try Regex(pattern)
        let selected = ProjectionInventory.projections(of: tinyConfig).map(\.path).filter { (try? regex.wholeMatch(in: $0)) != nil }
        let expected = ProjectionInventory.projections(of: tinyConfig).filter { $0.moduleClass == .routedExperts || $0.moduleClass == .sharedExperts }.map(\.path)
        #expect(selected == expected)
    }

    @Test func roundTripsThroughJSON() throws {
        let c = PEFTAdapterConfig(lora: LoRAConfig(rank: 4, alpha: 8, dropout: 0.05, useRSLoRA: true, targets: .parse("attention"), layers: 1...2), model: tinyConfig, baseModelNameOrPath: "/m")
        let text = JSONSerializer(indent: 2).serialize(c.json)
        let back = try PEFTAdapterConfig(json: try JSONParser.parse(text), file: "adapter_config.json")
        #expect(back == c)
        #expect(back.scaling(rank: 4, alpha: 8) == 4)
    }

    @Test(arguments: [
        (#"[1]"#, "not a JSON object"),
        (#"{"peft_type": "IA3", "r": 8}"#, "LORA adapters only"),
        (#"{"r": 0}"#, "positive integer"),
        (#"{"r": 8, "use_dora": true}"#, "DoRA"),
        (#"{"r": 8, "bias": "all"}"#, "bias"),
        (#"{"r": 8, "lora_alpha": "x"}"#, "lora_alpha"),
    ])
    func rejectsWhatItCannotHonour(_ c: (String, String)) throws {
        do {
            _ = try PEFTAdapterConfig(json: try JSONParser.parse(c.0), file: "a/adapter_config.json")
            Issue.record("accepted \(c.0)")
        } catch let e as LoRAError {
            #expect(e.description.hasPrefix("a/adapter_config.json: "), "\(e)")
            #expect(e.description.contains(c.1), "\(e)")
        }
    }

    @Test func rankPatternOverridesPerModule() throws {
        let json = try JSONParser.parse(#"{"r": 8, "lora_alpha": 16, "rank_pattern": {"o_proj": 4}, "alpha_pattern": {"o_proj": 4}}"#)
        let c = try PEFTAdapterConfig(json: json, file: "x")
        #expect(c.rankAndAlpha(for: "model.layers.0.self_attn.o_proj") == (4, 4))
        #expect(c.rankAndAlpha(for: "model.layers.0.self_attn.q_a_proj") == (8, 16))
    }
}
