import Foundation

/// The learning-rate schedules of transformers' `get_scheduler` that recipes name in
/// `lr_scheduler_type`.
public enum LearningRateScheduleKind: String, Sendable, CaseIterable {
    case linear
    case cosine
    case constant
    case constantWithWarmup = "constant_with_warmup"
}

/// Learning rate per optimizer step, as transformers' LambdaLR schedules compute it: the rate for
/// the update after `step` earlier updates is `baseLearningRate * multiplier(step)`. (transformers
/// logs the rate *after* the scheduler stepped, i.e. `learningRate(atStep: globalStep)` once
/// `globalStep` updates are done.)
public struct LearningRateSchedule: Sendable, Equatable {
    public let kind: LearningRateScheduleKind
    public let baseLearningRate: Double
    public let totalSteps: Int
    public let warmupSteps: Int

    public init(kind: LearningRateScheduleKind, baseLearningRate: Double, totalSteps: Int, warmupSteps: Int) {
        self.kind = kind
        self.baseLearningRate = baseLearningRate
        self.totalSteps = totalSteps
        self.warmupSteps = warmupSteps
    }

    /// transformers' `get_warmup_steps`: `warmup_steps` when it is at least 1, a fraction of the
    /// total when it is in (0, 1) (transformers 5), otherwise `ceil(total * warmup_ratio)`.
    public static func warmupSteps(totalSteps: Int, warmupSteps: Double, warmupRatio: Double) -> Int {
        if warmupSteps >= 1 { return Int(warmupSteps) }
        if warmupSteps > 0 { return Int((Double(totalSteps) * warmupSteps).rounded(.up)) }
        return Int((Double(totalSteps) * warmupRatio).rounded(.up))
    }

    /// The factor applied to the base rate before update number `step + 1`.
    public func multiplier(atStep step: Int) -> Double {
        let current = Double(step), warmup = Double(warmupSteps), total = Double(totalSteps)
        switch kind {
        case .constant:
            return 1
        case .constantWithWarmup:
            return step < warmupSteps ? current / max(1, warmup) : 1
        case .linear:
            if step < warmupSteps { return current / max(1, warmup) }
            return max(0, (total - current) / max(1, total - warmup))
        case .cosine:
            if step < warmupSteps { return current / max(1, warmup) }
            let progress = (current - warmup) / max(1, total - warmup)
            return max(0, 0.5 * (1 + cos(Double.pi * 0.5 * 2 * progress)))
        }
    }

    public func learningRate(atStep step: Int) -> Double { baseLearningRate * multiplier(atStep: step) }
}

/// Optimizer steps as transformers' Trainer counts them: an epoch has
/// ceil(batches / gradient_accumulation_steps) updates (at least one), and the run has `max_steps`
/// when positive, else ceil(num_train_epochs * updates per epoch).
public struct TrainingStepCount: Sendable, Equatable {
    public let updatesPerEpoch: Int
    public let totalSteps: Int

    public init(batchesPerEpoch: Int, gradientAccumulationSteps: Int, epochs: Double, maxSteps: Int) {
        let accumulation = max(1, gradientAccumulationSteps)
        updatesPerEpoch = max(1, (batchesPerEpoch + accumulation - 1) / accumulation)
        totalSteps = maxSteps > 0 ? maxSteps : Int((epochs * Double(updatesPerEpoch)).rounded(.up))
    }
}
