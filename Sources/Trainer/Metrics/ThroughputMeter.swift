/// Tokens per second over the last few steps, so the progress line shows the current speed
/// rather than an average dragged down by startup (model loading, first-touch page faults).
public struct ThroughputMeter: Sendable {
    public let window: Int
    private var samples: [(tokens: Int, supervised: Int, seconds: Double)] = []

    public init(window: Int = 10) {
        precondition(window > 0, "throughput window must be positive")
        self.window = window
    }

    /// Adds one step's token counts and its wall time.
    public mutating func add(tokens: Int, supervisedTokens: Int, seconds: Double) {
        samples.append((tokens, supervisedTokens, seconds))
        if samples.count > window { samples.removeFirst(samples.count - window) }
    }

    private var seconds: Double { samples.reduce(0) { $0 + $1.seconds } }

    public var tokensPerSecond: Double? {
        seconds > 0 ? Double(samples.reduce(0) { $0 + $1.tokens }) / seconds : nil
    }

    public var supervisedTokensPerSecond: Double? {
        seconds > 0 ? Double(samples.reduce(0) { $0 + $1.supervised }) / seconds : nil
    }
}
