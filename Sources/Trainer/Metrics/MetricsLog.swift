import Foundation
import Storage

/// A file the metrics could not be written to (full disk, permissions).
public struct MetricsError: Error, CustomStringConvertible, Sendable, Equatable {
    public let path: String
    public let reason: String
    public var description: String { "\(path): cannot write metrics: \(reason)" }
}

/// Appends every logged entry to `output_dir/metrics.jsonl` (all fields, kimi-sft's names) and
/// `output_dir/trainer_log.jsonl` (LLaMA-Factory LogCallback's shape, so its plotting and web UI
/// tools read our runs), and keeps the loss history for `LossPlot`.
///
/// A fresh run (starting at step 0) truncates both files; a resumed run keeps the lines up to its
/// checkpoint's step and drops the ones an interrupted run wrote after it, so the files read as
/// one uninterrupted run.
public final class MetricsLog {
    public static let metricsFileName = "metrics.jsonl"
    public static let trainerLogFileName = "trainer_log.jsonl"

    public let metricsURL: URL
    public let trainerLogURL: URL
    /// Every entry of this run so far, including those kept from before a resume.
    public private(set) var history: [LossPoint] = []
    private let sessionStartStep: Int
    private let sessionStartTokens: Int
    private let serializer = JSONSerializer()

    /// One point of the loss curves.
    public struct LossPoint: Sendable, Equatable {
        public let step: Int
        public let loss: Double?
        public let evalLoss: Double?
    }

    /// Opens the logs in `outputDirectory` for a session starting after `step` updates with
    /// `tokens` tokens already seen (both 0 for a fresh run).
    public init(outputDirectory: URL, startingAtStep step: Int = 0, tokens: Int = 0) throws(MetricsError) {
        metricsURL = outputDirectory.appendingPathComponent(Self.metricsFileName)
        trainerLogURL = outputDirectory.appendingPathComponent(Self.trainerLogFileName)
        sessionStartStep = step
        sessionStartTokens = tokens
        do {
            try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        } catch {
            throw MetricsError(path: outputDirectory.path, reason: (error as NSError).localizedDescription)
        }
        let kept = try Self.keepLines(in: metricsURL, upToStep: step, stepKey: "step")
        _ = try Self.keepLines(in: trainerLogURL, upToStep: step, stepKey: "current_steps")
        history = kept.map { LossPoint(step: $0["step"]?.intValue ?? 0, loss: $0["loss"]?.doubleValue, evalLoss: $0["eval_loss"]?.doubleValue) }
    }

    /// Appends `entry` to both files.
    public func record(_ entry: TrainingLogEntry) throws(MetricsError) {
        let stepsThisSession = entry.step - sessionStartStep
        let secondsPerStep = stepsThisSession > 0 ? entry.elapsedSeconds / Double(stepsThisSession) : 0
        let remaining = Double(max(0, entry.totalSteps - entry.step)) * secondsPerStep
        let sessionTokens = entry.tokens - sessionStartTokens
        let seconds = max(entry.elapsedSeconds, 1e-9)

        var metrics = JSONObject()
        metrics["step"] = .int(entry.step)
        metrics["total_steps"] = .int(entry.totalSteps)
        metrics["epoch"] = .double(entry.epoch)
        if let loss = entry.loss { metrics["loss"] = .double(loss) }
        if let lr = entry.learningRate { metrics["learning_rate"] = .double(lr) }
        if let norm = entry.gradientNorm { metrics["grad_norm"] = .double(norm) }
        if let evalLoss = entry.evalLoss { metrics["eval_loss"] = .double(evalLoss) }
        if let accuracy = entry.evalAccuracy { metrics["eval_accuracy"] = .double(accuracy) }
        metrics["tokens"] = .int(entry.tokens)
        metrics["supervised_tokens"] = .int(entry.supervisedTokens)
        metrics["tokens_per_second"] = .double(rounded(Double(sessionTokens) / seconds, 2))
        metrics["elapsed_seconds"] = .double(rounded(entry.elapsedSeconds, 3))
        metrics["remaining_seconds"] = .double(rounded(remaining, 3))
        if let rss = entry.residentBytes { metrics["rss_bytes"] = .int(rss) }
        if let peak = entry.peakResidentBytes { metrics["peak_rss_bytes"] = .int(peak) }
        for (key, value) in entry.extra.pairs where metrics[key] == nil { metrics[key] = value }

        // LLaMA-Factory's LogCallback.on_log, with its None fields left out.
        var trainerLog = JSONObject()
        trainerLog["current_steps"] = .int(entry.step)
        trainerLog["total_steps"] = .int(entry.totalSteps)
        if let loss = entry.loss { trainerLog["loss"] = .double(loss) }
        if let evalLoss = entry.evalLoss { trainerLog["eval_loss"] = .double(evalLoss) }
        if let lr = entry.learningRate { trainerLog["lr"] = .double(lr) }
        trainerLog["epoch"] = .double(entry.epoch)
        trainerLog["percentage"] = entry.totalSteps != 0
            ? .double(rounded(Double(entry.step) / Double(entry.totalSteps) * 100, 2)) : .int(100)
        trainerLog["elapsed_time"] = .string(timedeltaString(seconds: entry.elapsedSeconds))
        trainerLog["remaining_time"] = .string(timedeltaString(seconds: remaining))
        if entry.tokens > 0 {
            trainerLog["throughput"] = .double(rounded(Double(sessionTokens) / seconds, 2))
            trainerLog["total_tokens"] = .int(entry.tokens)
        }

        try append(serializer.serialize(.object(metrics)) + "\n", to: metricsURL)
        try append(serializer.serialize(.object(trainerLog)) + "\n", to: trainerLogURL)
        history.append(LossPoint(step: entry.step, loss: entry.loss, evalLoss: entry.evalLoss))
    }

    private func append(_ line: String, to url: URL) throws(MetricsError) {
        do {
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(line.utf8))
        } catch {
            throw MetricsError(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }

    /// Rewrites `url` with only the JSON lines whose `stepKey` is at most `step` (all dropped for
    /// step 0), creating it when absent; returns the kept objects.
    private static func keepLines(in url: URL, upToStep step: Int, stepKey: String) throws(MetricsError) -> [JSONValue] {
        var kept: [JSONValue] = []
        var text = ""
        if step > 0, let data = FileManager.default.contents(atPath: url.path) {
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                // A line cut short by a kill is not JSON: it is after the checkpoint anyway.
                guard let value = try? JSONParser.parse(String(line), source: url.lastPathComponent),
                      let lineStep = value[stepKey]?.intValue, lineStep <= step else { continue }
                kept.append(value)
                text += line + "\n"
            }
        }
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw MetricsError(path: url.path, reason: (error as NSError).localizedDescription)
        }
        return kept
    }
}

/// Python's round(x, digits) for display values (ties may differ in the last place; harmless here).
func rounded(_ x: Double, _ digits: Int) -> Double {
    guard x.isFinite else { return x }
    let scale = pow(10.0, Double(digits))
    return (x * scale).rounded() / scale
}

extension JSONValue {
    /// A number of either JSON kind as Double.
    var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
}
