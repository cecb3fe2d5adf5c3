import Storage

/// Everything besides the adapter weights that a resumed run needs to continue exactly where the
/// interrupted one stopped: where it is (update, epoch, data order and position), the random
/// stream for dropout, the counters the logs report, the loss not yet logged, and the optimizer.
/// The learning-rate schedule is a pure function of `globalStep`, so its position is that step.
public struct TrainerState: Sendable, Equatable {
    /// Optimizer updates done (transformers' global_step); also the scheduler's position.
    public var globalStep = 0
    /// The schedule's length when saved (informational: a resumed run uses its recipe's).
    public var totalSteps = 0
    /// Fractional epoch as transformers logs it.
    public var epoch = 0.0
    /// The epoch the next batch belongs to (0-based) and the next batch's index in its order.
    public var epochIndex = 0
    public var batchCursor = 0
    /// This epoch's row order (a seeded shuffle; saved anyway so a checkpoint is self-contained).
    public var epochOrder: [Int] = []
    /// State of the generator that draws one dropout seed per micro-batch.
    public var dropoutGeneratorState: UInt64 = 0
    public var tokensSeen = 0
    public var supervisedTokensSeen = 0
    /// Sum of update losses since the last log line, and how many updates that covers.
    public var lossSinceLog = 0.0
    public var updatesSinceLog = 0
    public var optimizer = OptimizerState(step: 0, buffers: [])
    /// transformers' `log_history` (trainer_state.json): one object per log or eval.
    public var logHistory: [JSONValue] = []

    public init() {}
}
