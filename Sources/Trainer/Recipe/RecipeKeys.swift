import Storage

/// How one recipe key is read into a `Recipe`.
struct RecipeKey {
    let name: String
    let apply: (inout Recipe, RecipeValue) throws(RecipeError) -> Void
}

/// Every key kimi-sft reads, by LLaMA-Factory / transformers name (and kimi-sft's own).
enum RecipeKeys {
    static var all: [RecipeKey] {
        [
            // Model
            RecipeKey(name: "model_name_or_path") { r, v throws(RecipeError) in r.modelPath = try v.path() },
            RecipeKey(name: "adapter_name_or_path") { r, v throws(RecipeError) in r.adapterPath = try v.path() },
            // Data
            RecipeKey(name: "dataset") { r, v throws(RecipeError) in r.datasets = try v.pathList() },
            RecipeKey(name: "eval_dataset") { r, v throws(RecipeError) in r.evalDatasets = try v.pathList() },
            RecipeKey(name: "val_size") { r, v throws(RecipeError) in
                let size = try v.number(minimum: 0)
                if size >= 1 && size.rounded() != size { throw v.invalid("must be a fraction below 1 or a whole count, got \(size)") }
                r.validationSize = size
            },
            RecipeKey(name: "cutoff_len") { r, v throws(RecipeError) in r.cutoffLength = try v.integer(minimum: 2) },
            RecipeKey(name: "max_samples") { r, v throws(RecipeError) in r.maxSamples = try v.integer(minimum: 1) },
            RecipeKey(name: "packing") { r, v throws(RecipeError) in r.packing = try v.bool() },
            RecipeKey(name: "train_on_prompt") { r, v throws(RecipeError) in r.trainOnPrompt = try v.bool() },
            RecipeKey(name: "mask_history") { r, v throws(RecipeError) in r.maskHistory = try v.bool() },
            // LoRA
            RecipeKey(name: "lora_rank") { r, v throws(RecipeError) in r.loraRank = try v.integer(minimum: 1) },
            RecipeKey(name: "lora_alpha") { r, v throws(RecipeError) in
                let alpha = try v.number()
                if alpha <= 0 { throw v.invalid("must be positive, got \(alpha)") }
                r.loraAlpha = alpha
            },
            RecipeKey(name: "lora_dropout") { r, v throws(RecipeError) in
                let p = try v.number(minimum: 0)
                if p >= 1 { throw v.invalid("must be below 1, got \(p)") }
                r.loraDropout = p
            },
            RecipeKey(name: "lora_target") { r, v throws(RecipeError) in r.loraTargets = try v.stringList() },
            RecipeKey(name: "use_rslora") { r, v throws(RecipeError) in r.useRSLoRA = try v.bool() },
            RecipeKey(name: "lora_merge_aware") { r, v throws(RecipeError) in r.loraMergeAware = try v.bool() },
            RecipeKey(name: "lora_layers") { r, v throws(RecipeError) in r.loraLayers = try layerSelection(v) },
            // Optimization
            RecipeKey(name: "learning_rate") { r, v throws(RecipeError) in
                let lr = try v.number()
                if lr <= 0 { throw v.invalid("must be positive, got \(lr)") }
                r.learningRate = lr
            },
            RecipeKey(name: "num_train_epochs") { r, v throws(RecipeError) in
                let epochs = try v.number()
                if epochs <= 0 { throw v.invalid("must be positive, got \(epochs)") }
                r.numberOfEpochs = epochs
            },
            RecipeKey(name: "max_steps") { r, v throws(RecipeError) in r.maxSteps = try v.integer(minimum: -1) },
            RecipeKey(name: "per_device_train_batch_size") { r, v throws(RecipeError) in r.batchSize = try v.integer(minimum: 1) },
            RecipeKey(name: "gradient_accumulation_steps") { r, v throws(RecipeError) in
                r.gradientAccumulationSteps = try v.integer(minimum: 1)
            },
            RecipeKey(name: "lr_scheduler_type") { r, v throws(RecipeError) in
                let name = try v.choice(LearningRateScheduleKind.allCases.map(\.rawValue))
                r.scheduler = LearningRateScheduleKind(rawValue: name)!
            },
            RecipeKey(name: "warmup_ratio") { r, v throws(RecipeError) in r.warmupRatio = try v.number(minimum: 0, maximum: 1) },
            RecipeKey(name: "warmup_steps") { r, v throws(RecipeError) in
                let steps = try v.number(minimum: 0)
                if steps >= 1 && steps.rounded() != steps { throw v.invalid("must be a whole count or a fraction below 1, got \(steps)") }
                r.warmupSteps = steps
            },
            RecipeKey(name: "weight_decay") { r, v throws(RecipeError) in r.weightDecay = try v.number(minimum: 0) },
            RecipeKey(name: "adam_beta1") { r, v throws(RecipeError) in r.adamBeta1 = try v.number(minimum: 0, maximum: 0.999999) },
            RecipeKey(name: "adam_beta2") { r, v throws(RecipeError) in r.adamBeta2 = try v.number(minimum: 0, maximum: 0.999999999) },
            RecipeKey(name: "adam_epsilon") { r, v throws(RecipeError) in
                let eps = try v.number()
                if eps <= 0 { throw v.invalid("must be positive, got \(eps)") }
                r.adamEpsilon = eps
            },
            RecipeKey(name: "max_grad_norm") { r, v throws(RecipeError) in r.maxGradientNorm = try v.number(minimum: 0) },
            RecipeKey(name: "optim") { r, v throws(RecipeError) in
                let name = try v.choice(["adamw_torch", "adamw_torch_fused", "adamw_hf", "sgd"])
                r.optimizer = name == "sgd" ? .sgd : .adamW
            },
            RecipeKey(name: "sgd_momentum") { r, v throws(RecipeError) in r.sgdMomentum = try v.number(minimum: 0, maximum: 0.999999) },
            RecipeKey(name: "seed") { r, v throws(RecipeError) in r.seed = try v.integer(minimum: 0) },
            // Output
            RecipeKey(name: "output_dir") { r, v throws(RecipeError) in r.outputDirectory = try v.path() },
            RecipeKey(name: "overwrite_output_dir") { r, v throws(RecipeError) in r.overwriteOutputDirectory = try v.bool() },
            RecipeKey(name: "logging_steps") { r, v throws(RecipeError) in r.loggingSteps = try stepInterval(v) },
            RecipeKey(name: "save_steps") { r, v throws(RecipeError) in r.saveSteps = try stepInterval(v) },
            RecipeKey(name: "save_total_limit") { r, v throws(RecipeError) in r.saveTotalLimit = try v.integer(minimum: 1) },
            RecipeKey(name: "eval_strategy") { r, v throws(RecipeError) in
                r.evalStrategy = EvalStrategy(rawValue: try v.choice(EvalStrategy.allCases.map(\.rawValue)))
            },
            RecipeKey(name: "eval_steps") { r, v throws(RecipeError) in r.evalSteps = try stepInterval(v) },
            RecipeKey(name: "per_device_eval_batch_size") { r, v throws(RecipeError) in r.evalBatchSize = try v.integer(minimum: 1) },
            RecipeKey(name: "resume_from_checkpoint") { r, v throws(RecipeError) in
                switch v.value {
                case .bool(true): r.resumeFromCheckpoint = .latest
                case .bool(false): r.resumeFromCheckpoint = nil
                default: r.resumeFromCheckpoint = .path(try v.path())
                }
            },
            RecipeKey(name: "plot_loss") { r, v throws(RecipeError) in r.plotLoss = try v.bool() },
            // kimi-sft runtime
            RecipeKey(name: "on_bad_record") { r, v throws(RecipeError) in
                r.onBadRecord = BadRecordPolicy(rawValue: try v.choice(BadRecordPolicy.allCases.map(\.rawValue)))!
            },
            RecipeKey(name: "chat_template") { r, v throws(RecipeError) in r.chatTemplatePath = try v.path() },
            RecipeKey(name: "threads") { r, v throws(RecipeError) in r.threads = try v.integer(minimum: 0) },
            RecipeKey(name: "memory_budget") { r, v throws(RecipeError) in r.memoryBudgetBytes = try memoryBudget(v) },
            // Checked LLaMA-Factory keys: only the values kimi-sft does are allowed.
            RecipeKey(name: "stage") { _, v throws(RecipeError) in _ = try v.choice(["sft"]) },
            RecipeKey(name: "finetuning_type") { _, v throws(RecipeError) in _ = try v.choice(["lora"]) },
            RecipeKey(name: "do_train") { _, v throws(RecipeError) in
                if try !v.bool() { throw v.invalid("must be true: kimi-sft train always trains") }
            },
        ]
    }

    /// LLaMA-Factory / transformers keys accepted without effect, with the one-line reason printed.
    static let ignored: [String: String] = [
        "bf16": "kimi-sft computes in float32 with BF16/INT4 weights",
        "fp16": "kimi-sft computes in float32 with BF16/INT4 weights",
        "pure_bf16": "kimi-sft computes in float32 with BF16/INT4 weights",
        "tf32": "kimi-sft computes on the CPU",
        "template": "kimi-sft uses the model's own chat template (override with chat_template)",
        "report_to": "metrics go to output_dir/metrics.jsonl and trainer_log.jsonl",
        "ddp_timeout": "kimi-sft runs in one process",
        "ddp_find_unused_parameters": "kimi-sft runs in one process",
        "deepspeed": "kimi-sft runs in one process",
        "preprocessing_num_workers": "tokenization uses the threads setting",
        "dataloader_num_workers": "data loading uses the threads setting",
        "flash_attn": "attention is kimi-sft's own CPU kernel",
        "trust_remote_code": "kimi-sft runs no model code from the checkpoint",
        "overwrite_cache": "the token cache is keyed by data and tokenizer and rebuilt when they change",
        "do_eval": "evaluation follows eval_strategy / eval_steps",
        "save_only_model": "checkpoints always hold the adapter and the trainer state",
        "logging_dir": "logs go to output_dir",
        "run_name": "logs go to output_dir",
        "gradient_checkpointing": "kimi-sft always checkpoints activations per layer",
        "disable_gradient_checkpointing": "kimi-sft always checkpoints activations per layer",
        "quantization_bit": "the base model is already INT4",
        "quantization_method": "the base model is already INT4",
        "upcast_layernorm": "norms are computed in float32",
        "enable_liger_kernel": "kernels are kimi-sft's own",
        "use_unsloth": "kernels are kimi-sft's own",
        "dataset_dir": "dataset entries are file paths",
        "cache_dir": "kimi-sft downloads nothing",
        "include_num_input_tokens_seen": "token counts are always logged",
        "save_strategy": "checkpoints follow save_steps",
        "logging_strategy": "logging follows logging_steps",
        "logging_first_step": "the first step is always logged",
        "ddp_backend": "kimi-sft runs in one process",
    ]

    /// Keys of LoRA variants kimi-sft does not implement: an error when they ask for the variant.
    static let unsupported: [String: String] = [
        "use_dora": "DoRA is not supported",
        "pissa_init": "PiSSA initialization is not supported",
        "loraplus_lr_ratio": "LoRA+ learning-rate ratios are not supported",
        "additional_target": "extra fully trained modules are not supported (LoRA only)",
        "create_new_adapter": "stacking adapters is not supported",
        "use_galore": "GaLore is not supported",
        "use_badam": "BAdam is not supported",
    ]

    static var knownNames: [String] { all.map(\.name) + Array(ignored.keys) + Array(unsupported.keys) }

    private static func stepInterval(_ v: RecipeValue) throws(RecipeError) -> StepInterval {
        let n = try v.number()
        if n > 0 && n < 1 { return .fraction(n) }
        guard n >= 1, n.rounded() == n else { throw v.invalid("must be a whole number of steps or a fraction in (0, 1), got \(n)") }
        return .every(Int(n))
    }

    /// `all`, one index, `a-b` (inclusive), a comma list of those, or a YAML list of integers.
    private static func layerSelection(_ v: RecipeValue) throws(RecipeError) -> LayerSelection {
        if case .string("all") = v.value { return .all }
        var layers: [Int] = []
        var parts: [String] = []
        switch v.value {
        case .int(let i): parts = [String(i)]
        case .string(let s): parts = s.split(separator: ",").map { String($0).trimmingSpaces() }
        case .array(let items):
            for item in items {
                guard case .int(let i) = item else { throw v.wrongType("a list of layer indices") }
                parts.append(String(i))
            }
        default: throw v.wrongType("'all', a layer index, a range like 0-3, or a list")
        }
        for part in parts {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int(String($0).trimmingSpaces()) }
            if bounds.count == 1, let i = bounds[0], i >= 0 { layers.append(i); continue }
            if bounds.count == 2, let a = bounds[0], let b = bounds[1], a >= 0, a <= b { layers += Array(a...b); continue }
            throw v.invalid("has '\(part)', expected a layer index or a range like 0-3")
        }
        if layers.isEmpty { throw v.invalid("selects no layers") }
        return .layers(Array(Set(layers)).sorted())
    }

    /// Bytes from `64GB`, `48GiB`, `512MiB`, or a bare number of GiB.
    private static func memoryBudget(_ v: RecipeValue) throws(RecipeError) -> Int {
        if v.value.isNumber {
            let gib = try v.number()
            if gib <= 0 { throw v.invalid("must be positive") }
            return Int(gib * 1_073_741_824)
        }
        let text = try v.string().trimmingSpaces()
        let units: [(String, Double)] = [("TiB", 1_099_511_627_776), ("GiB", 1_073_741_824), ("MiB", 1_048_576), ("KiB", 1024),
                                         ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3), ("B", 1)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let amount = Double(String(text.dropLast(suffix.count)).trimmingSpaces()), amount > 0 {
                return Int(amount * scale)
            }
            break
        }
        throw v.invalid("must be a size like 64GB, 48GiB or 512MiB, got '\(text)'")
    }
}
