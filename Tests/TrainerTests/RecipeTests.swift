import Foundation
import Storage
import Testing
@testable import Trainer

@Suite("Recipe")
struct RecipeTests {
    private let folder = URL(fileURLWithPath: "/recipes/here")
    private let minimal = "model_name_or_path: m\ndataset: d.jsonl\n"

    private func parse(_ text: String, overrides: [String] = []) throws(RecipeError) -> Recipe {
        try Recipe.parse(text, file: "r.yaml", baseDirectory: folder, overrides: overrides,
                         workingDirectory: URL(fileURLWithPath: "/work/dir"))
    }

    private func failure(_ text: String, overrides: [String] = []) -> RecipeError? {
        do { _ = try parse(text, overrides: overrides); return nil } catch { return error }
    }

    private var recipesFolder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("recipes")
    }

    @Test func defaultsFollowLLaMAFactoryAndTransformers() throws {
        let r = try parse(minimal)
        #expect(r.modelPath == "/recipes/here/m")
        #expect(r.datasets == ["/recipes/here/d.jsonl"])
        #expect(r.outputDirectory == "/recipes/here/trainer_output")
        #expect(r.cutoffLength == 2048 && !r.packing && !r.trainOnPrompt && !r.maskHistory && r.validationSize == 0)
        #expect(r.loraRank == 8 && r.effectiveLoRAAlpha == 16 && r.loraDropout == 0 && r.loraTargets == ["all"] && !r.useRSLoRA)
        #expect(r.learningRate == 5e-5 && r.numberOfEpochs == 3 && r.maxSteps == -1)
        #expect(r.batchSize == 8 && r.gradientAccumulationSteps == 1 && r.scheduler == .linear)
        #expect(r.warmupRatio == 0 && r.warmupSteps == 0 && r.weightDecay == 0)
        #expect(r.adamBeta1 == 0.9 && r.adamBeta2 == 0.999 && r.adamEpsilon == 1e-8 && r.maxGradientNorm == 1)
        #expect(r.optimizer == .adamW && r.seed == 42)
        #expect(r.loggingSteps == .every(500) && r.saveSteps == .every(500) && r.saveTotalLimit == nil)
        #expect(r.effectiveEvalStrategy == .no && r.resumeFromCheckpoint == nil && !r.plotLoss)
        #expect(r.onBadRecord == .skip && r.loraLayers == .all && r.threads == 0 && r.memoryBudgetBytes == nil)
        #expect(r.notes.isEmpty)
    }

    @Test func everyKeyIsRead() throws {
        let r = try parse("""
        model_name_or_path: /abs/model
        adapter_name_or_path: adapters/start
        dataset: a.jsonl, b.jsonl.zst
        eval_dataset: [e.jsonl]
        cutoff_len: 1024
        max_samples: 100
        packing: true
        train_on_prompt: true
        mask_history: true
        lora_rank: 16
        lora_alpha: 32
        lora_dropout: 0.05
        lora_target: q_a_proj,kv_b_proj
        use_rslora: true
        lora_merge_aware: true
        lora_layers: 0-2, 5
        learning_rate: 1.0e-4
        num_train_epochs: 2
        max_steps: 50
        per_device_train_batch_size: 2
        gradient_accumulation_steps: 4
        lr_scheduler_type: constant_with_warmup
        warmup_ratio: 0.2
        warmup_steps: 3
        weight_decay: 0.01
        adam_beta1: 0.8
        adam_beta2: 0.95
        adam_epsilon: 1e-6
        max_grad_norm: 0
        optim: sgd
        sgd_momentum: 0.9
        seed: 7
        output_dir: ~/runs/x
        overwrite_output_dir: true
        logging_steps: 0.1
        save_steps: 25
        save_total_limit: 3
        eval_strategy: steps
        eval_steps: 10
        per_device_eval_batch_size: 4
        resume_from_checkpoint: true
        plot_loss: true
        on_bad_record: error
        chat_template: t.jinja
        threads: 2
        memory_budget: 48GiB
        """)
        #expect(r.modelPath == "/abs/model" && r.adapterPath == "/recipes/here/adapters/start")
        #expect(r.datasets == ["/recipes/here/a.jsonl", "/recipes/here/b.jsonl.zst"])
        #expect(r.evalDatasets == ["/recipes/here/e.jsonl"])
        #expect(r.cutoffLength == 1024 && r.maxSamples == 100 && r.packing && r.trainOnPrompt && r.maskHistory)
        #expect(r.loraRank == 16 && r.effectiveLoRAAlpha == 32 && r.loraDropout == 0.05 && r.useRSLoRA && r.loraMergeAware)
        #expect(r.loraTargets == ["q_a_proj", "kv_b_proj"] && r.loraLayers == .layers([0, 1, 2, 5]))
        #expect(r.learningRate == 1e-4 && r.numberOfEpochs == 2 && r.maxSteps == 50)
        #expect(r.batchSize == 2 && r.gradientAccumulationSteps == 4 && r.scheduler == .constantWithWarmup)
        #expect(r.warmupRatio == 0.2 && r.warmupSteps == 3 && r.warmupStepCount(totalSteps: 50) == 3)
        #expect(r.weightDecay == 0.01 && r.adamBeta1 == 0.8 && r.adamBeta2 == 0.95 && r.adamEpsilon == 1e-6)
        #expect(r.maxGradientNorm == 0 && r.optimizer == .sgd && r.sgdMomentum == 0.9 && r.seed == 7)
        #expect(r.outputDirectory.hasSuffix("/runs/x") && !r.outputDirectory.contains("~") && r.overwriteOutputDirectory)
        #expect(r.loggingSteps == .fraction(0.1) && r.loggingSteps.steps(totalSteps: 55) == 6)
        #expect(r.saveSteps == .every(25) && r.saveTotalLimit == 3)
        #expect(r.effectiveEvalStrategy == .steps && r.evalSteps == .every(10) && r.evalBatchSize == 4)
        #expect(r.resumeFromCheckpoint == .latest && r.plotLoss && r.onBadRecord == .error)
        #expect(r.chatTemplatePath == "/recipes/here/t.jinja" && r.threads == 2 && r.memoryBudgetBytes == 48 * 1_073_741_824)
        #expect(r.makeOptimizer([]) is SGD)
    }

    @Test func shippedRecipesParse() throws {
        let tiny = try Recipe.load(file: recipesFolder.appendingPathComponent("tiny-demo.yaml").path)
        #expect(tiny.modelPath.hasSuffix("/models/kimi-tiny") && !tiny.modelPath.contains(".."))
        #expect(tiny.datasets.count == 1 && tiny.datasets[0].hasSuffix("/recipes/data/sample-chat.jsonl"))
        #expect(tiny.outputDirectory.hasSuffix("/runs/tiny-demo") && tiny.plotLoss && tiny.loggingSteps == .every(1))
        #expect(tiny.notes.isEmpty, "\(tiny.notes)")

        let kimi = try Recipe.load(file: recipesFolder.appendingPathComponent("kimi-k2.5-lora.yaml").path)
        #expect(kimi.loraRank == 8 && kimi.loraTargets == ["all"] && kimi.cutoffLength == 2048)
        #expect(kimi.batchSize == 1 && kimi.gradientAccumulationSteps == 8 && kimi.learningRate == 1e-4)
        #expect(kimi.scheduler == .cosine && kimi.warmupRatio == 0.1 && kimi.numberOfEpochs == 3)
        #expect(kimi.resumeFromCheckpoint == nil && kimi.plotLoss)
        let noted = Set(kimi.notes.compactMap { $0.split(separator: "'").dropFirst().first.map(String.init) })
        #expect(noted == ["trust_remote_code", "template", "overwrite_cache", "preprocessing_num_workers", "report_to", "bf16", "ddp_timeout"],
                "\(kimi.notes)")
        #expect(kimi.notes.allSatisfy { $0.contains("kimi-k2.5-lora.yaml:") && $0.contains("has no effect") })
    }

    /// The effective settings read back as a recipe give the same settings (what a run saves can be
    /// re-run), and every key they list is one the parser knows.
    @Test func effectiveSettingsRoundTrip() throws {
        let original = try parse(minimal + "lora_layers: 0-1\nlogging_steps: 0.25\nresume_from_checkpoint: true\noptim: sgd\nmemory_budget: 1GiB\n")
        var lines: [String] = []
        for (key, value) in original.effectiveSettings.pairs where value != .null {
            lines.append("\(key): \(JSONSerializer().serialize(value))")
        }
        let again = try parse(lines.joined(separator: "\n") + "\n")
        #expect(again.effectiveSettings == original.effectiveSettings)
        #expect(again.loraLayers == .layers([0, 1]) && again.loggingSteps == .fraction(0.25) && again.memoryBudgetBytes == 1 << 30)
        #expect(Set(original.effectiveSettings.keys).isSubset(of: Set(RecipeKeys.all.map(\.name))))
    }

    @Test func overridesReplaceAndAddKeys() throws {
        let r = try parse(minimal + "lora_rank: 4\n", overrides: [
            "lora_rank=16", "dataset=[x.jsonl, /abs/y.jsonl]", "learning_rate=3e-4", "resume_from_checkpoint=ckpt/checkpoint-5",
            "lr_scheduler_type=cosine",
        ])
        #expect(r.loraRank == 16 && r.learningRate == 3e-4 && r.scheduler == .cosine)
        #expect(r.datasets == ["/work/dir/x.jsonl", "/abs/y.jsonl"])
        #expect(r.resumeFromCheckpoint == .path("/work/dir/ckpt/checkpoint-5"))
    }

    @Test func layerAndMemoryForms() throws {
        #expect(try parse(minimal + "lora_layers: 3\n").loraLayers == .layers([3]))
        #expect(try parse(minimal + "lora_layers: [4, 1, 1]\n").loraLayers == .layers([1, 4]))
        #expect(try parse(minimal + "lora_layers: all\n").loraLayers == .all)
        #expect(try parse(minimal + "memory_budget: 64GB\n").memoryBudgetBytes == 64_000_000_000)
        #expect(try parse(minimal + "memory_budget: 512MiB\n").memoryBudgetBytes == 512 * 1_048_576)
        #expect(try parse(minimal + "memory_budget: 2\n").memoryBudgetBytes == 2 * 1_073_741_824)
        #expect(try parse(minimal + "resume_from_checkpoint: false\n").resumeFromCheckpoint == nil)
        #expect(try parse(minimal + "val_size: 0.1\n").effectiveEvalStrategy == .epoch)
        #expect(try parse(minimal + "val_size: 20\neval_steps: 5\n").effectiveEvalStrategy == .steps)
        #expect(try parse(minimal + "use_dora: false\n").notes.count == 1)
    }

    @Test(arguments: [
        ("lora_rnak: 8\n", "r.yaml:3:1: unknown key 'lora_rnak' (did you mean 'lora_rank'?)"),
        ("learning_rat: 1e-4\n", "r.yaml:3:1: unknown key 'learning_rat' (did you mean 'learning_rate'?)"),
        ("zzzz_qqqq: 1\n", "r.yaml:3:1: unknown key 'zzzz_qqqq'"),
        ("lora_rank: abc\n", "r.yaml:3:1: 'lora_rank' must be an integer, got 'abc'"),
        ("lora_rank: 0\n", "r.yaml:3:1: 'lora_rank' must be at least 1, got 0"),
        ("packing: yes\n", "r.yaml:3:1: 'packing' must be true or false, got 'yes'"),
        ("learning_rate: fast\n", "r.yaml:3:1: 'learning_rate' must be a number, got 'fast'"),
        ("stage: pt\n", "r.yaml:3:1: 'stage' must be one of sft, got 'pt'"),
        ("finetuning_type: full\n", "r.yaml:3:1: 'finetuning_type' must be one of lora, got 'full'"),
        ("lr_scheduler_type: polynomial\n", "r.yaml:3:1: 'lr_scheduler_type' must be one of linear, cosine, constant, constant_with_warmup, got 'polynomial'"),
        ("optim: adafactor\n", "r.yaml:3:1: 'optim' must be one of adamw_torch, adamw_torch_fused, adamw_hf, sgd, got 'adafactor'"),
        ("use_dora: true\n", "r.yaml:3:1: 'use_dora' is set, but DoRA is not supported"),
        ("val_size: 0.1\neval_dataset: e.jsonl\n", "r.yaml:3:1: 'val_size' cannot be used together with eval_dataset (choose one eval split)"),
        ("eval_strategy: steps\n", "r.yaml:3:1: 'eval_strategy' needs an eval split: set eval_dataset or val_size"),
        ("lora_layers: 3-1\n", "r.yaml:3:1: 'lora_layers' has '3-1', expected a layer index or a range like 0-3"),
        ("memory_budget: lots\n", "r.yaml:3:1: 'memory_budget' must be a size like 64GB, 48GiB or 512MiB, got 'lots'"),
        ("logging_steps: 2.5\n", "r.yaml:3:1: 'logging_steps' must be a whole number of steps or a fraction in (0, 1), got 2.5"),
        ("eval_dataset: []\n", "r.yaml:3:1: 'eval_dataset' must name at least one entry"),
        ("lora_target: [1, 2]\n", "r.yaml:3:1: 'lora_target' must be a string or a list of strings, got a list"),
        ("lora_rank: 8\nlora_rank: 9\n", "r.yaml:4:1: duplicate key 'lora_rank' (first defined on line 3)"),
    ])
    func recipeErrorsNameTheLine(extra: String, message: String) {
        let error = failure(minimal + extra)
        #expect(error?.description == message)
    }

    @Test func structuralErrors() {
        #expect(failure("- a\n- b\n")?.description == "r.yaml:1:1: a recipe must be a mapping of 'key: value' lines")
        #expect(failure("dataset: d.jsonl\n")?.description == "r.yaml: missing required key 'model_name_or_path'")
        #expect(failure("model_name_or_path: m\n")?.description == "r.yaml: missing required key 'dataset'")
        #expect(failure(minimal, overrides: ["lora_rank"])?.description == "--set lora_rank: expected key=value")
        #expect(failure(minimal, overrides: ["lora_rnak=3"])?.description == "--set lora_rnak=3: unknown key 'lora_rnak' (did you mean 'lora_rank'?)")
        #expect(failure(minimal, overrides: ["lora_rank=x"])?.description == "--set lora_rank=x: 'lora_rank' must be an integer, got 'x'")
        #expect(failure(minimal, overrides: ["dataset=[a"])?.description == "--set dataset=[a:1:1: unclosed '[' (opened at --set dataset=[a:1:1)")
        let missing = "/nonexistent-\(UUID().uuidString)/r.yaml"
        if case .unreadable(let file, _)? = { () -> RecipeError? in
            do { _ = try Recipe.load(file: missing); return nil } catch { return error as? RecipeError }
        }() {
            #expect(file == missing)
        } else {
            Issue.record("expected an unreadable-file error")
        }
    }
}
