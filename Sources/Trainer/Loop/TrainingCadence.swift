/// When the loop logs, evaluates and saves, decided as transformers' Trainer does: after update
/// `step` (1-based global step), logging when `step % logging_steps == 0`, eval when
/// `step % eval_steps == 0` (eval_strategy steps) or at each epoch's end (eval_strategy epoch),
/// saving when `step % save_steps == 0`. Fractional intervals become ceil(fraction * total).
/// The last step always logs and saves here, so a run's final loss and adapter are never lost.
public struct TrainingCadence: Sendable, Equatable {
    public let totalSteps: Int
    public let loggingInterval: Int
    public let saveInterval: Int
    public let evalStrategy: EvalStrategy
    public let evalInterval: Int

    public struct Events: Sendable, Equatable {
        public var log: Bool
        public var evaluate: Bool
        public var save: Bool
        public init(log: Bool, evaluate: Bool, save: Bool) {
            self.log = log
            self.evaluate = evaluate
            self.save = save
        }
    }

    public init(recipe: Recipe, totalSteps: Int) {
        self.totalSteps = totalSteps
        loggingInterval = max(1, recipe.loggingSteps.steps(totalSteps: totalSteps))
        saveInterval = max(1, recipe.saveSteps.steps(totalSteps: totalSteps))
        evalStrategy = recipe.effectiveEvalStrategy
        evalInterval = max(1, (recipe.evalSteps ?? recipe.loggingSteps).steps(totalSteps: totalSteps))
    }

    /// What to do after update `step`; `endsEpoch` when that update consumed the epoch's last batch.
    public func events(afterStep step: Int, endsEpoch: Bool) -> Events {
        let isLast = step >= totalSteps
        let evaluate: Bool
        switch evalStrategy {
        case .no: evaluate = false
        case .steps: evaluate = step % evalInterval == 0 || isLast
        case .epoch: evaluate = endsEpoch || isLast
        }
        return Events(log: step % loggingInterval == 0 || isLast, evaluate: evaluate, save: step % saveInterval == 0 || isLast)
    }
}
