import Storage

/// One logged moment of a run: what the loop knows at a logging (or eval) step. `MetricsLog`
/// writes it to metrics.jsonl and trainer_log.jsonl; values are written as given (transformers
/// rounds the logged loss to 4 decimals; the loop decides).
public struct TrainingLogEntry: Sendable, Equatable {
    /// Optimizer steps done (transformers' global_step).
    public var step: Int
    public var totalSteps: Int
    /// Fractional epoch: completed updates / updates per epoch.
    public var epoch: Double
    /// Mean training loss since the previous log.
    public var loss: Double?
    /// The rate after this step's scheduler update, as transformers logs it.
    public var learningRate: Double?
    /// Pre-clip global gradient norm of the last update.
    public var gradientNorm: Double?
    public var evalLoss: Double?
    /// Token accuracy on the eval split (argmax == label over supervised tokens).
    public var evalAccuracy: Double?
    /// Tokens fed to the model since the run began (transformers' num_input_tokens_seen).
    public var tokens: Int
    /// Tokens that carried a label (trained on) since the run began.
    public var supervisedTokens: Int
    /// Seconds since this process started training (a resumed run restarts the clock).
    public var elapsedSeconds: Double
    public var residentBytes: Int?
    public var peakResidentBytes: Int?
    /// Any further fields, written to metrics.jsonl after the standard ones.
    public var extra: JSONObject

    public init(step: Int, totalSteps: Int, epoch: Double, loss: Double? = nil, learningRate: Double? = nil,
                gradientNorm: Double? = nil, evalLoss: Double? = nil, evalAccuracy: Double? = nil,
                tokens: Int = 0, supervisedTokens: Int = 0, elapsedSeconds: Double = 0,
                residentBytes: Int? = nil, peakResidentBytes: Int? = nil, extra: JSONObject = JSONObject()) {
        self.step = step
        self.totalSteps = totalSteps
        self.epoch = epoch
        self.loss = loss
        self.learningRate = learningRate
        self.gradientNorm = gradientNorm
        self.evalLoss = evalLoss
        self.evalAccuracy = evalAccuracy
        self.tokens = tokens
        self.supervisedTokens = supervisedTokens
        self.elapsedSeconds = elapsedSeconds
        self.residentBytes = residentBytes
        self.peakResidentBytes = peakResidentBytes
        self.extra = extra
    }
}

/// Python's `str(timedelta(seconds=int(s)))`, as LLaMA-Factory writes elapsed/remaining time:
/// `0:01:05`, `12:00:00`, `1 day, 2:03:04`, `3 days, 0:00:00`.
public func timedeltaString(seconds: Double) -> String {
    let total = seconds.isFinite ? max(0, Int(seconds)) : 0
    let days = total / 86_400, rest = total % 86_400
    let clock = "\(rest / 3600):" + twoDigits((rest % 3600) / 60) + ":" + twoDigits(rest % 60)
    if days == 0 { return clock }
    return "\(days) day\(days == 1 ? "" : "s"), \(clock)"
}

private func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
