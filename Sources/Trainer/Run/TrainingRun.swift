import Autograd
import Foundation
import Storage

/// `kimi-sft train`: recipe -> model, adapters and data -> plan -> the loop -> outputs.
///
/// Output folder layout (transformers / LLaMA-Factory's): `checkpoint-N/` (PEFT adapter +
/// trainer_state.h5 + trainer_state.json), the final adapter and trainer_state.json at the top,
/// `metrics.jsonl`, `trainer_log.jsonl`, `training_loss.svg`, `run_settings.json` (the recipe
/// with defaults filled in) and `token_cache/`.
public final class TrainingRun {
    public struct Options {
        /// Where plan, audit and summary lines go (stdout by default).
        public var output: (String) -> Void = { print($0) }
        /// Live progress; nil uses stderr (one line in place on a TTY, plain lines otherwise).
        public var progress: ProgressLine?
        /// Route SIGINT/SIGTERM to `stop` while training.
        public var handleSignals = true
        public var stop = StopRequest()
        /// Test hook that simulates `kill -9`: stop right after this update, writing nothing more.
        public var abortAfterStep: Int?

        public init() {}
    }

    /// Everything loaded and checked, before any update.
    public struct Prepared {
        public let model: TrainableModel
        public let data: TrainingData
        public let plan: TrainingPlan
    }

    public let recipe: Recipe
    public let options: Options

    public init(recipe: Recipe, options: Options = Options()) {
        self.recipe = recipe
        self.options = options
    }

    var outputDirectory: URL { URL(fileURLWithPath: recipe.outputDirectory) }

    /// Loads the model (with adapters), the tokenizer, template and data, and computes the plan:
    /// all `--dry-run` does. Prints the recipe notes, the data lines, the coverage audit and the plan.
    public func prepare(planOnly: Bool = false) throws -> Prepared {
        for note in recipe.notes { options.output("note: \(note)") }
        if recipe.threads > 0 {
            BLAS.setThreadCount(recipe.threads)
            Parallel.workerCount = recipe.threads
        }
        let model = try TrainableModel(recipe: recipe, planOnly: planOnly)
        let data = try TrainingData.load(recipe: recipe, vocabularySize: model.config.vocabSize,
                                         cacheDirectory: outputDirectory.appendingPathComponent("token_cache"))
        if let maxPositions = data.train.map(\.count).max(), maxPositions > model.config.maxPositionEmbeddings {
            throw TrainingError.unsupported(key: "cutoff_len", reason: "sequences of \(maxPositions) tokens exceed max_position_embeddings \(model.config.maxPositionEmbeddings)")
        }
        let plan = TrainingPlan(recipe: recipe, data: data, config: model.config,
                                adapterParameters: model.audit.totalParameters, mappedBaseBytes: model.mappedBaseBytes)
        for note in data.notes { options.output("data: \(note)") }
        if data.recordsSkipped > 0, let first = data.skipReasons.first { options.output("data: first skipped record: \(first)") }
        options.output(model.audit.description)
        if let note = model.mergeAwareNote { options.output(note) }
        for line in plan.lines { options.output(line) }
        options.output("compute: OpenBLAS \(BLAS.coreName) kernels, \(BLAS.threadCount) thread(s)")
        if let budget = recipe.memoryBudgetBytes, plan.memory.totalBytes > budget {
            options.output("warning: the estimate \(formatBytes(plan.memory.totalBytes)) exceeds memory_budget \(formatBytes(budget))")
        }
        return Prepared(model: model, data: data, plan: plan)
    }

    /// Trains: fresh, or from `resume_from_checkpoint`; returns the summary (also printed).
    public func run() throws -> RunSummary {
        let resumeFrom = try resumeDirectory()
        try checkOutputDirectory(resuming: resumeFrom != nil)
        let prepared = try prepare()
        let (model, data, plan) = (prepared.model, prepared.data, prepared.plan)

        var state = TrainingLoop.freshState(rows: data.train.count, seed: recipe.seed)
        if let resumeFrom {
            state = try TrainerStateFile.read(from: resumeFrom)
            guard state.epochOrder.count == data.train.count, state.epochOrder.allSatisfy({ $0 >= 0 && $0 < data.train.count }) else {
                throw TrainingError.checkpointMismatch(path: resumeFrom.path,
                    reason: "it was trained on \(state.epochOrder.count) sequences, the data now has \(data.train.count)")
            }
            guard state.batchCursor <= plan.microBatchesPerEpoch else {
                throw TrainingError.checkpointMismatch(path: resumeFrom.path, reason: "its data position is past this epoch's \(plan.microBatchesPerEpoch) micro-batches")
            }
            try model.restoreAdapter(from: resumeFrom)
            options.output("resuming from \(resumeFrom.path) at update \(state.globalStep)")
        }
        try writeSettings()
        let metrics: MetricsLog
        do {
            metrics = try MetricsLog(outputDirectory: outputDirectory, startingAtStep: state.globalStep, tokens: state.tokensSeen)
        } catch {
            throw TrainingError.io(path: error.path, reason: error.reason)
        }
        let progress = options.progress ?? ProgressLine()
        let loop = TrainingLoop(recipe: recipe, model: model, data: data, plan: plan, state: state, metrics: metrics,
                                progress: progress, stop: options.stop, abortAfterStep: options.abortAfterStep)
        if resumeFrom != nil { try loop.restoreOptimizer() }

        if options.handleSignals { options.stop.installSignalHandlers() }
        let outcome: LoopOutcome
        do {
            defer { if options.handleSignals { options.stop.uninstall() } }
            outcome = try loop.run()
        } catch {
            progress.finish()
            throw error
        }
        progress.finish()

        var adapterPath: String?
        switch outcome {
        case .finished:
            try model.saveAdapter(to: outputDirectory, baseModelPath: recipe.modelPath)
            var final = loop.state
            final.optimizer = OptimizerState(step: final.optimizer.step, buffers: [])
            try TrainerStateFile.writeSummary(final, recipe: recipe, to: outputDirectory)
            adapterPath = outputDirectory.path
            try loop.writePlot()
        case .stopped:
            adapterPath = CheckpointDirectory(outputDirectory: outputDirectory).latest()?.path
        case .aborted:
            adapterPath = nil
        }
        let summary = RunSummary(
            outcome: outcome, globalStep: loop.state.globalStep, totalSteps: plan.stepCount.totalSteps,
            sessionUpdates: loop.losses.count, losses: loop.losses,
            evalLoss: loop.lastEvaluation?.loss, evalAccuracy: loop.lastEvaluation?.accuracy,
            examples: data.examples, recordsSkipped: data.recordsSkipped,
            tokens: loop.sessionTokens, supervisedTokens: loop.sessionSupervisedTokens, seconds: loop.elapsedSeconds,
            peakResidentBytes: ProcessMemory.current()?.peakResidentBytes, adapterPath: adapterPath,
            metricsPath: metrics.metricsURL.path,
            plotPath: recipe.plotLoss ? outputDirectory.appendingPathComponent(LossPlot.fileName).path : nil)
        for line in summary.lines { options.output(line) }
        return summary
    }

    /// The checkpoint folder to resume from, if the recipe asks for one.
    func resumeDirectory() throws -> URL? {
        switch recipe.resumeFromCheckpoint {
        case nil:
            return nil
        case .latest:
            guard let latest = CheckpointDirectory(outputDirectory: outputDirectory).latest() else {
                throw TrainingError.noCheckpoint(path: outputDirectory.path, reason: "resume_from_checkpoint is true but there is no checkpoint-N folder")
            }
            return latest
        case .path(let path):
            let url = URL(fileURLWithPath: path)
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent(TrainerStateFile.stateFileName).path) else {
                throw TrainingError.noCheckpoint(path: path, reason: "no \(TrainerStateFile.stateFileName) in it")
            }
            return url
        }
    }

    /// transformers' rule: a fresh run refuses an output_dir that already holds checkpoints unless
    /// overwrite_output_dir; with it, the old checkpoints are removed so rotation and "latest" only
    /// ever see this run's.
    func checkOutputDirectory(resuming: Bool) throws {
        let checkpoints = CheckpointDirectory(outputDirectory: outputDirectory)
        let existing = checkpoints.checkpoints()
        guard !resuming, !existing.isEmpty else { return }
        guard recipe.overwriteOutputDirectory else {
            throw TrainingError.outputDirectoryNotEmpty(path: outputDirectory.path, checkpoints: existing.map { $0.url.lastPathComponent })
        }
        try checkpoints.removeAll()
    }

    /// `run_settings.json`: the recipe with every default filled in, to repeat the run.
    private func writeSettings() throws {
        let url = outputDirectory.appendingPathComponent("run_settings.json")
        do {
            try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
            try AtomicFile.write(JSONSerializer(indent: 2).serialize(.object(recipe.effectiveSettings)) + "\n", to: url)
        } catch {
            throw TrainingError.io(path: url.path, reason: "cannot write: \(error)")
        }
    }
}
