import Autograd
import Foundation
import Storage

/// How a loop session ended.
public enum LoopOutcome: Sendable, Equatable {
    /// Every planned update is done.
    case finished
    /// SIGINT/SIGTERM (or `StopRequest.request`): the current update finished and a checkpoint was saved.
    case stopped(reason: String)
    /// The test hook that simulates `kill -9`: stopped after an update, nothing more written.
    case aborted(afterStep: Int)
}

/// The optimizer-step loop: micro-batches in a seeded per-epoch order, gradient accumulation,
/// clipping, the schedule, and the cadence of logging, eval and checkpoints.
///
/// Loss normalisation (documented choice): one update's loss is the sum of token cross-entropies
/// over all its micro-batches divided by the number of supervised tokens in all of them (the
/// count is known before the passes, so each pass scales its gradient by 1 / total). This is what
/// transformers does with `num_items_in_batch`: every supervised token weighs the same, however
/// the tokens fall into micro-batches.
final class TrainingLoop {
    let recipe: Recipe
    let model: TrainableModel
    let data: TrainingData
    let optimizer: Optimizer
    let steps: TrainingStepCount
    let schedule: LearningRateSchedule
    let cadence: TrainingCadence
    let checkpoints: CheckpointDirectory
    let metrics: MetricsLog
    let progress: ProgressLine
    let stop: StopRequest
    let abortAfterStep: Int?
    /// Micro-batches of `per_device_train_batch_size` rows in one epoch.
    let microBatchesPerEpoch: Int
    private(set) var state: TrainerState

    // This session's measurements.
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    private var throughput = ThroughputMeter()
    private(set) var sessionTokens = 0
    private(set) var sessionSupervisedTokens = 0
    /// (update, loss) of every update done in this session.
    private(set) var losses: [(step: Int, loss: Double)] = []
    private(set) var lastEvaluation: (loss: Double, accuracy: Double)?
    private(set) var lastSavedStep: Int?

    init(recipe: Recipe, model: TrainableModel, data: TrainingData, plan: TrainingPlan, state: TrainerState,
         metrics: MetricsLog, progress: ProgressLine, stop: StopRequest, abortAfterStep: Int?) {
        self.recipe = recipe
        self.model = model
        self.data = data
        self.steps = plan.stepCount
        self.microBatchesPerEpoch = plan.microBatchesPerEpoch
        self.schedule = recipe.learningRateSchedule(totalSteps: plan.stepCount.totalSteps)
        self.cadence = TrainingCadence(recipe: recipe, totalSteps: plan.stepCount.totalSteps)
        self.optimizer = recipe.makeOptimizer(model.parameters)
        self.checkpoints = CheckpointDirectory(outputDirectory: URL(fileURLWithPath: recipe.outputDirectory))
        self.metrics = metrics
        self.progress = progress
        self.stop = stop
        self.abortAfterStep = abortAfterStep
        self.state = state
        self.state.totalSteps = plan.stepCount.totalSteps
        started = clock.now
    }

    /// The state of a run that has not started: epoch 0's order, the dropout stream at its seed.
    static func freshState(rows: Int, seed: Int) -> TrainerState {
        var state = TrainerState()
        state.epochOrder = SeededShuffle.epochOrder(count: rows, seed: UInt64(bitPattern: Int64(seed)), epoch: 0)
        state.dropoutGeneratorState = SeededShuffle.generator(seed: UInt64(bitPattern: Int64(seed)), stream: 0xD80F_0D80).state
        return state
    }

    /// Puts the optimizer back where `state` says (after the adapter weights were restored).
    func restoreOptimizer() throws {
        do { try optimizer.importState(state.optimizer) } catch {
            throw TrainingError.checkpointMismatch(path: recipe.outputDirectory, reason: "optimizer state: \(error)")
        }
    }

    var elapsedSeconds: Double { (clock.now - started).seconds }

    /// Runs updates until the plan is done, a stop is requested, or the abort hook fires.
    func run() throws -> LoopOutcome {
        while state.globalStep < steps.totalSteps {
            let endsEpoch = try update()
            let events = cadence.events(afterStep: state.globalStep, endsEpoch: endsEpoch)
            if events.log { try log() }
            if events.evaluate { try evaluate() }
            if let abortAfterStep, state.globalStep >= abortAfterStep { return .aborted(afterStep: state.globalStep) }
            if events.save { try saveCheckpoint() }
            if let reason = stop.requested {
                if lastSavedStep != state.globalStep { try saveCheckpoint() }
                return .stopped(reason: reason)
            }
        }
        return .finished
    }

    /// One optimizer update over up to `gradient_accumulation_steps` micro-batches (fewer at the
    /// end of an epoch, as transformers does). Returns whether it consumed the epoch's last batch.
    private func update() throws -> Bool {
        let stepStart = clock.now
        var rows: [TrainingSequence] = []
        let accumulation = max(1, recipe.gradientAccumulationSteps)
        while rows.count < accumulation && state.batchCursor < microBatchesPerEpoch {
            rows.append(microBatch(state.batchCursor))
            state.batchCursor += 1
        }
        let supervised = rows.reduce(0) { $0 + $1.supervisedCount }
        let scale: Float = supervised > 0 ? 1 / Float(supervised) : 0
        var generator = SplitMix64(seed: 0)
        generator.state = state.dropoutGeneratorState
        var lossSum = 0.0, counted = 0, tokens = 0
        for row in rows {
            let pass = try model.forwardBackward(row, lossScale: scale, dropoutSeed: generator.next())
            lossSum += pass.lossSum
            counted += pass.count
            tokens += row.count
        }
        state.dropoutGeneratorState = generator.state
        let loss = counted > 0 ? lossSum / Double(counted) : 0
        let norm = clipGradientNorm(model.parameters, maxNorm: recipe.maxGradientNorm)
        guard loss.isFinite, norm.isFinite else { throw TrainingError.nonFinite(step: state.globalStep + 1, loss: loss, gradientNorm: norm) }
        optimizer.step(learningRate: schedule.learningRate(atStep: state.globalStep))
        zeroGradients(model.parameters)

        state.globalStep += 1
        state.epoch = Double(state.globalStep) / Double(steps.updatesPerEpoch)
        state.tokensSeen += tokens
        state.supervisedTokensSeen += counted
        state.lossSinceLog += loss
        state.updatesSinceLog += 1
        sessionTokens += tokens
        sessionSupervisedTokens += counted
        losses.append((state.globalStep, loss))
        lastGradientNorm = norm

        let endsEpoch = state.batchCursor >= microBatchesPerEpoch
        if endsEpoch {
            state.epochIndex += 1
            state.batchCursor = 0
            state.epochOrder = SeededShuffle.epochOrder(count: data.train.count, seed: UInt64(bitPattern: Int64(recipe.seed)), epoch: state.epochIndex)
        }
        let seconds = (clock.now - stepStart).seconds
        throughput.add(tokens: tokens, supervisedTokens: counted, seconds: seconds)
        lastStepSeconds = seconds
        showProgress(loss: loss, gradientNorm: norm)
        return endsEpoch
    }

    private var lastGradientNorm = 0.0
    private var lastStepSeconds = 0.0

    /// Micro-batch `index` of the current epoch: its rows concatenated as one token axis.
    private func microBatch(_ index: Int) -> TrainingSequence {
        let size = max(1, recipe.batchSize)
        let picked = state.epochOrder[(index * size)..<min((index + 1) * size, state.epochOrder.count)]
        return TrainingSequence.concatenate(picked.map { data.train[$0] })
    }

    private func remainingSeconds() -> Double? {
        let done = losses.count
        guard done > 0 else { return nil }
        return elapsedSeconds / Double(done) * Double(steps.totalSteps - state.globalStep)
    }

    private func showProgress(loss: Double, gradientNorm: Double) {
        progress.update(ProgressSnapshot(
            step: state.globalStep, totalSteps: steps.totalSteps, loss: loss,
            learningRate: schedule.learningRate(atStep: state.globalStep), gradientNorm: gradientNorm,
            tokensPerSecond: throughput.tokensPerSecond, supervisedTokensPerSecond: throughput.supervisedTokensPerSecond,
            elapsedSeconds: elapsedSeconds, remainingSeconds: remainingSeconds(), memory: ProcessMemory.current()))
    }

    /// Writes the mean loss since the previous log line (transformers' logged `loss`).
    private func log() throws {
        let loss = state.updatesSinceLog > 0 ? state.lossSinceLog / Double(state.updatesSinceLog) : 0
        state.lossSinceLog = 0
        state.updatesSinceLog = 0
        let rate = schedule.learningRate(atStep: state.globalStep)
        let memory = ProcessMemory.current()
        let seconds = max(elapsedSeconds, 1e-9)
        var extra = JSONObject()
        extra["supervised_tokens_per_second"] = .double(rounded(Double(sessionSupervisedTokens) / seconds, 2))
        if let recent = throughput.tokensPerSecond { extra["recent_tokens_per_second"] = .double(rounded(recent, 2)) }
        if let recent = throughput.supervisedTokensPerSecond { extra["recent_supervised_tokens_per_second"] = .double(rounded(recent, 2)) }
        extra["step_seconds"] = .double(rounded(lastStepSeconds, 4))
        let entry = TrainingLogEntry(step: state.globalStep, totalSteps: steps.totalSteps, epoch: state.epoch, loss: loss,
                                     learningRate: rate, gradientNorm: lastGradientNorm, tokens: state.tokensSeen,
                                     supervisedTokens: state.supervisedTokensSeen, elapsedSeconds: elapsedSeconds,
                                     residentBytes: memory?.residentBytes, peakResidentBytes: memory?.peakResidentBytes, extra: extra)
        try record(entry)
        var history = JSONObject()
        history["epoch"] = .double(state.epoch)
        history["grad_norm"] = .double(lastGradientNorm)
        history["learning_rate"] = .double(rate)
        history["loss"] = .double(rounded(loss, 4))
        history["step"] = .int(state.globalStep)
        state.logHistory.append(.object(history))
    }

    /// Loss and token accuracy on the eval rows, with dropout off.
    private func evaluate() throws {
        model.setTraining(false)
        defer { model.setTraining(true) }
        let evalStart = clock.now
        var lossSum = 0.0, count = 0, correct = 0
        for group in evalGroups() {
            let result = try model.evaluate(TrainingSequence.concatenate(group))
            lossSum += result.lossSum
            count += result.count
            correct += result.correct
        }
        let loss = count > 0 ? lossSum / Double(count) : 0
        let accuracy = count > 0 ? Double(correct) / Double(count) : 0
        lastEvaluation = (loss, accuracy)
        let memory = ProcessMemory.current()
        var extra = JSONObject()
        extra["eval_seconds"] = .double(rounded((clock.now - evalStart).seconds, 3))
        extra["eval_tokens"] = .int(count)
        let entry = TrainingLogEntry(step: state.globalStep, totalSteps: steps.totalSteps, epoch: state.epoch,
                                     evalLoss: loss, evalAccuracy: accuracy, tokens: state.tokensSeen,
                                     supervisedTokens: state.supervisedTokensSeen, elapsedSeconds: elapsedSeconds,
                                     residentBytes: memory?.residentBytes, peakResidentBytes: memory?.peakResidentBytes, extra: extra)
        try record(entry)
        var history = JSONObject()
        history["epoch"] = .double(state.epoch)
        history["eval_accuracy"] = .double(accuracy)
        history["eval_loss"] = .double(loss)
        history["step"] = .int(state.globalStep)
        state.logHistory.append(.object(history))
        progress.message(String(format: "eval at step %d: loss %.4f, token accuracy %.2f%% (%d tokens)",
                                state.globalStep, loss, accuracy * 100, count))
    }

    /// Eval rows in groups of `per_device_eval_batch_size`, each group one forward pass; a group
    /// is cut early so its [tokens, vocab] logits stay under 256 MiB (one row always goes alone).
    private func evalGroups() -> [[TrainingSequence]] {
        let maximumTokens = max(1, (256 << 20) / (4 * model.config.vocabSize))
        var groups: [[TrainingSequence]] = [], current: [TrainingSequence] = [], tokens = 0
        for row in data.eval {
            if !current.isEmpty && (current.count >= max(1, recipe.evalBatchSize) || tokens + row.count > maximumTokens) {
                groups.append(current)
                current = []
                tokens = 0
            }
            current.append(row)
            tokens += row.count
        }
        if !current.isEmpty { groups.append(current) }
        return groups
    }

    private func record(_ entry: TrainingLogEntry) throws {
        do { try metrics.record(entry) } catch {
            throw TrainingError.io(path: error.path, reason: error.reason)
        }
    }

    /// checkpoint-N: the PEFT adapter, trainer_state.h5 and trainer_state.json, atomically; then
    /// rotation and a fresh loss plot.
    func saveCheckpoint() throws {
        state.optimizer = optimizer.exportState()
        let folder = try checkpoints.save(step: state.globalStep, keep: recipe.saveTotalLimit) { directory in
            try model.saveAdapter(to: directory, baseModelPath: recipe.modelPath)
            try TrainerStateFile.write(state, recipe: recipe, to: directory)
        }
        lastSavedStep = state.globalStep
        try writePlot()
        progress.message("saved \(folder.path)")
    }

    func writePlot() throws {
        guard recipe.plotLoss else { return }
        do {
            try LossPlot.write(metrics.history, title: "Training loss: \(URL(fileURLWithPath: recipe.outputDirectory).lastPathComponent)",
                               to: URL(fileURLWithPath: recipe.outputDirectory))
        } catch {
            throw TrainingError.io(path: error.path, reason: error.reason)
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
