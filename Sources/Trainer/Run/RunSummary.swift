import Foundation

/// What a finished (or stopped) run reports: its outcome, counts, speed, memory and where its
/// outputs are.
public struct RunSummary: Sendable {
    public var outcome: LoopOutcome
    public var globalStep: Int
    public var totalSteps: Int
    /// Updates done by this process (fewer than globalStep after a resume).
    public var sessionUpdates: Int
    /// (update, loss) of every update done by this process.
    public var losses: [(step: Int, loss: Double)]
    public var evalLoss: Double?
    public var evalAccuracy: Double?
    public var examples: Int
    public var recordsSkipped: Int
    public var tokens: Int
    public var supervisedTokens: Int
    public var seconds: Double
    public var peakResidentBytes: Int?
    /// The final adapter (output_dir) when finished; the last checkpoint otherwise.
    public var adapterPath: String?
    public var metricsPath: String
    public var plotPath: String?

    public var tokensPerSecond: Double { seconds > 0 ? Double(tokens) / seconds : 0 }
    public var supervisedTokensPerSecond: Double { seconds > 0 ? Double(supervisedTokens) / seconds : 0 }

    public var lines: [String] {
        var out: [String] = []
        switch outcome {
        case .finished: out.append("training finished: \(globalStep)/\(totalSteps) updates")
        case .stopped(let reason): out.append("training stopped by \(reason) after update \(globalStep)/\(totalSteps); resume with --set resume_from_checkpoint=true")
        case .aborted(let step): out.append("training aborted after update \(step)/\(totalSteps) (no checkpoint written for it)")
        }
        if let first = losses.first, let last = losses.last {
            out.append(String(format: "  loss %.4f (update %d) -> %.4f (update %d)", first.loss, first.step, last.loss, last.step))
        }
        if let evalLoss, let evalAccuracy {
            out.append(String(format: "  eval loss %.4f, token accuracy %.2f%%", evalLoss, evalAccuracy * 100))
        }
        out.append("  \(examples) examples (\(recordsSkipped) records skipped); this session: \(sessionUpdates) updates, "
                   + "\(tokens) tokens, \(supervisedTokens) supervised")
        out.append(String(format: "  %.1f s, %.0f tokens/s (%.0f supervised/s)", seconds, tokensPerSecond, supervisedTokensPerSecond)
                   + (peakResidentBytes.map { ", peak RSS \(formatBytes($0))" } ?? ""))
        if let adapterPath { out.append("  adapter:  \(adapterPath)") }
        out.append("  metrics:  \(metricsPath)")
        if let plotPath { out.append("  plot:     \(plotPath)") }
        return out
    }
}
