/// A training recipe: LLaMA-Factory's LoRA SFT keys (so their recipes run unchanged where they make
/// sense) plus kimi-sft's own. Defaults are LLaMA-Factory's and transformers' TrainingArguments'.
/// Paths are absolute once loaded (relative ones resolve against the recipe file's folder).
///
/// Read one with `Recipe.load(file:overrides:)`; `notes` lists the keys that were accepted but do
/// nothing here, one line each, for the CLI to print.
public struct Recipe: Sendable, Equatable {
    // MARK: Model
    /// `model_name_or_path`: the Kimi checkpoint folder.
    public var modelPath = ""
    /// `adapter_name_or_path`: a PEFT adapter to start from (continued training).
    public var adapterPath: String?

    // MARK: Data
    /// `dataset`: JSONL(.zst) files, a path or a list (or LLaMA-Factory's comma-separated string).
    public var datasets: [String] = []
    /// `eval_dataset`: held-out files; when absent, `val_size` splits the training data.
    public var evalDatasets: [String] = []
    /// `val_size`: a fraction in [0, 1) of the training examples, or a count when >= 1.
    public var validationSize = 0.0
    /// `cutoff_len`: longest tokenized example; longer ones are truncated.
    public var cutoffLength = 2048
    /// `max_samples`: use at most this many examples per dataset.
    public var maxSamples: Int?
    /// `packing`: concatenate examples into `cutoff_len` rows (off for SFT in LLaMA-Factory).
    public var packing = false
    /// `train_on_prompt`: also learn the prompt tokens, not only the assistant's.
    public var trainOnPrompt = false
    /// `mask_history`: learn only the last assistant turn of each conversation.
    public var maskHistory = false

    // MARK: LoRA
    /// `lora_rank`.
    public var loraRank = 8
    /// `lora_alpha`: LLaMA-Factory uses `2 * lora_rank` when unset.
    public var loraAlpha: Double?
    /// `lora_dropout`.
    public var loraDropout = 0.0
    /// `lora_target`: `all` or module names (q_a_proj, kv_b_proj, o_proj, gate_proj, ...).
    public var loraTargets = ["all"]
    /// `use_rslora`: scale alpha/sqrt(r) instead of alpha/r.
    public var useRSLoRA = false
    /// `lora_merge_aware` (kimi-sft): train so the adapter survives re-quantization of merged experts.
    public var loraMergeAware = false
    /// `lora_layers` (kimi-sft): which decoder layers get adapters.
    public var loraLayers = LayerSelection.all

    // MARK: Optimization
    public var learningRate = 5e-5
    public var numberOfEpochs = 3.0
    /// `max_steps`: when positive, overrides `num_train_epochs`.
    public var maxSteps = -1
    public var batchSize = 8
    public var gradientAccumulationSteps = 1
    public var scheduler = LearningRateScheduleKind.linear
    public var warmupRatio = 0.0
    /// `warmup_steps`: a count when >= 1, a fraction of the total when in (0, 1) (transformers 5).
    public var warmupSteps = 0.0
    public var weightDecay = 0.0
    public var adamBeta1 = 0.9
    public var adamBeta2 = 0.999
    public var adamEpsilon = 1e-8
    /// `max_grad_norm`: 0 disables clipping (the norm is still measured and logged).
    public var maxGradientNorm = 1.0
    public var optimizer = OptimizerKind.adamW
    /// `sgd_momentum` (kimi-sft): momentum for `optim: sgd` (transformers passes none: 0).
    public var sgdMomentum = 0.0
    public var seed = 42

    // MARK: Output and schedule of side jobs
    public var outputDirectory = ""
    public var overwriteOutputDirectory = false
    public var loggingSteps = StepInterval.every(500)
    public var saveSteps = StepInterval.every(500)
    /// `save_total_limit`: keep at most this many checkpoint-N folders (nil keeps all).
    public var saveTotalLimit: Int?
    /// `eval_strategy`: `no` without an eval split; when unset, `steps` if `eval_steps` is given,
    /// else `epoch`.
    public var evalStrategy: EvalStrategy?
    /// `eval_steps`: defaults to `logging_steps`, as transformers does.
    public var evalSteps: StepInterval?
    public var evalBatchSize = 8
    public var resumeFromCheckpoint: ResumeSource?
    public var plotLoss = false

    // MARK: kimi-sft runtime
    /// `on_bad_record`: skip malformed data records (counted in the summary) or stop at the first.
    public var onBadRecord = BadRecordPolicy.skip
    /// `chat_template`: a Jinja file used instead of the model's own template.
    public var chatTemplatePath: String?
    /// `threads`: compute threads; 0 uses every core.
    public var threads = 0
    /// `memory_budget`: the most RAM the run may plan for, in bytes (nil: what the machine has).
    public var memoryBudgetBytes: Int?

    // MARK: Provenance
    /// The recipe file as given.
    public var sourceFile = ""
    /// One line per key accepted without effect (`bf16: true` and the like).
    public var notes: [String] = []

    public init() {}

    /// `lora_alpha`, or LLaMA-Factory's default of twice the rank.
    public var effectiveLoRAAlpha: Double { loraAlpha ?? Double(2 * loraRank) }

    /// The eval strategy after defaults: see `evalStrategy`.
    public var effectiveEvalStrategy: EvalStrategy {
        if evalDatasets.isEmpty && validationSize == 0 { return .no }
        if let evalStrategy { return evalStrategy }
        return evalSteps != nil ? .steps : .epoch
    }

    /// Warmup steps for a run of `totalSteps` updates (transformers' get_warmup_steps).
    public func warmupStepCount(totalSteps: Int) -> Int {
        LearningRateSchedule.warmupSteps(totalSteps: totalSteps, warmupSteps: warmupSteps, warmupRatio: warmupRatio)
    }

    /// The learning-rate schedule for a run of `totalSteps` updates.
    public func learningRateSchedule(totalSteps: Int) -> LearningRateSchedule {
        LearningRateSchedule(kind: scheduler, baseLearningRate: learningRate, totalSteps: totalSteps,
                             warmupSteps: warmupStepCount(totalSteps: totalSteps))
    }

    /// The optimizer the recipe names, over `parameters`.
    public func makeOptimizer(_ parameters: [TrainableParameter]) -> Optimizer {
        switch optimizer {
        case .adamW:
            AdamW(parameters: parameters, beta1: adamBeta1, beta2: adamBeta2, epsilon: adamEpsilon, weightDecay: weightDecay)
        case .sgd:
            SGD(parameters: parameters, momentum: sgdMomentum, weightDecay: weightDecay)
        }
    }
}

/// `optim`: transformers' optimizer names that kimi-sft implements.
public enum OptimizerKind: String, Sendable, CaseIterable {
    case adamW = "adamw_torch"
    case sgd
}

/// An interval in optimizer steps: a count, or (transformers' float form below 1) a fraction of the
/// run's total steps.
public enum StepInterval: Sendable, Equatable {
    case every(Int)
    case fraction(Double)

    /// The interval in steps for a run of `totalSteps` (transformers rounds fractions up).
    public func steps(totalSteps: Int) -> Int {
        switch self {
        case .every(let n): n
        case .fraction(let f): max(1, Int((Double(totalSteps) * f).rounded(.up)))
        }
    }
}

public enum EvalStrategy: String, Sendable, CaseIterable {
    case no, steps, epoch
}

/// `resume_from_checkpoint`: `true` resumes from the newest checkpoint-N in output_dir.
public enum ResumeSource: Sendable, Equatable {
    case latest
    case path(String)
}

public enum BadRecordPolicy: String, Sendable, CaseIterable {
    case skip, error
}

/// `lora_layers`: every decoder layer, or the listed ones (from `0-3`, `5`, `[1, 2, 7]`, `"0-3,10"`).
public enum LayerSelection: Sendable, Equatable {
    case all
    case layers([Int])

    public func contains(_ layer: Int) -> Bool {
        switch self {
        case .all: true
        case .layers(let list): list.contains(layer)
        }
    }
}
