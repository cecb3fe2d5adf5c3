import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Storage
import TestSupport
import Testing
@testable import Trainer

@Suite("Metrics, plot and progress")
struct MetricsTests {
    private func lines(_ url: URL) throws -> [JSONValue] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONParser.parse(String($0)) }
    }

    @Test func writesMetricsAndLLaMAFactoryTrainerLog() throws {
        let dir = try TemporaryDirectory("metrics")
        defer { dir.remove() }
        let log = try MetricsLog(outputDirectory: dir.url)
        try log.record(TrainingLogEntry(step: 1, totalSteps: 4, epoch: 0.25, loss: 2.5, learningRate: 1e-4, gradientNorm: 0.9,
                                        tokens: 1000, supervisedTokens: 400, elapsedSeconds: 10,
                                        residentBytes: 1 << 30, peakResidentBytes: 2 << 30,
                                        extra: JSONObject([("skipped_records", .int(2))])))
        try log.record(TrainingLogEntry(step: 2, totalSteps: 4, epoch: 0.5, evalLoss: 2.25, evalAccuracy: 0.5,
                                        tokens: 2000, supervisedTokens: 800, elapsedSeconds: 20))

        let metrics = try lines(log.metricsURL)
        #expect(metrics.count == 2)
        #expect(metrics[0].objectValue?.keys == ["step", "total_steps", "epoch", "loss", "learning_rate", "grad_norm", "tokens",
                                                 "supervised_tokens", "tokens_per_second", "elapsed_seconds", "remaining_seconds",
                                                 "rss_bytes", "peak_rss_bytes", "skipped_records"])
        #expect(metrics[0]["tokens_per_second"] == .double(100) && metrics[0]["remaining_seconds"] == .double(30))
        #expect(metrics[1]["eval_loss"] == .double(2.25) && metrics[1]["eval_accuracy"] == .double(0.5))

        let trainerLog = try String(contentsOf: log.trainerLogURL, encoding: .utf8).split(separator: "\n")
        // Key order, names and formats of LLaMA-Factory's LogCallback (json.dumps defaults).
        #expect(trainerLog[0] == #"{"current_steps": 1, "total_steps": 4, "loss": 2.5, "lr": 0.0001, "epoch": 0.25, "percentage": 25.0, "elapsed_time": "0:00:10", "remaining_time": "0:00:30", "throughput": 100.0, "total_tokens": 1000}"#)
        #expect(trainerLog[1] == #"{"current_steps": 2, "total_steps": 4, "eval_loss": 2.25, "epoch": 0.5, "percentage": 50.0, "elapsed_time": "0:00:20", "remaining_time": "0:00:20", "throughput": 100.0, "total_tokens": 2000}"#)
        #expect(log.history.map(\.step) == [1, 2])
    }

    @Test func resumeDropsLinesAfterTheCheckpointAndKeepsHistory() throws {
        let dir = try TemporaryDirectory("metrics-resume")
        defer { dir.remove() }
        let first = try MetricsLog(outputDirectory: dir.url)
        for step in 1...5 {
            try first.record(TrainingLogEntry(step: step, totalSteps: 10, epoch: Double(step) / 10, loss: 3 - Double(step) * 0.1,
                                              tokens: step * 100, elapsedSeconds: Double(step)))
        }
        // A kill -9 can leave half a line behind.
        let handle = try FileHandle(forWritingTo: first.metricsURL)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"step": 6, "tot"#.utf8))
        try handle.close()

        let resumed = try MetricsLog(outputDirectory: dir.url, startingAtStep: 3, tokens: 300)
        #expect(resumed.history.map(\.step) == [1, 2, 3])
        let keptMetrics = try lines(resumed.metricsURL)
        let keptTrainerLog = try lines(resumed.trainerLogURL)
        #expect(keptMetrics.count == 3)
        #expect(keptTrainerLog.compactMap { $0["current_steps"]?.intValue } == [1, 2, 3])
        try resumed.record(TrainingLogEntry(step: 4, totalSteps: 10, epoch: 0.4, loss: 2.6, tokens: 400, elapsedSeconds: 2))
        let afterResume = try lines(resumed.trainerLogURL)
        let last = try #require(afterResume.last)
        // Throughput and ETA use this session only: 100 tokens in 2 s; 6 steps left at 2 s/step.
        #expect(last["throughput"] == .double(50) && last["remaining_time"] == .string("0:00:12"))

        let fresh = try MetricsLog(outputDirectory: dir.url)
        let freshText = try String(contentsOf: fresh.metricsURL, encoding: .utf8)
        #expect(fresh.history.isEmpty && freshText.isEmpty)
    }

    @Test(arguments: [(0.0, "0:00:00"), (65.9, "0:01:05"), (43_200, "12:00:00"), (93_784, "1 day, 2:03:04"), (259_200, "3 days, 0:00:00")])
    func timedeltaMatchesPython(seconds: Double, expected: String) {
        #expect(timedeltaString(seconds: seconds) == expected)
    }

    @Test func lossPlotIsWellFormedSVGWithAxesAndSeries() throws {
        var history: [MetricsLog.LossPoint] = []
        for step in 1...40 {
            history.append(MetricsLog.LossPoint(step: step, loss: 3 * exp(-Double(step) / 15) + 0.1 * sin(Double(step)),
                                                evalLoss: step % 10 == 0 ? 2.5 * exp(-Double(step) / 20) : nil))
        }
        let svg = LossPlot.svg(history, title: "tiny-demo <lora>")
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "SVG is not well-formed XML: \(String(describing: parser.parserError))")
        #expect(svg.contains("tiny-demo &lt;lora&gt;"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 3)  // raw, smoothed, eval
        #expect(svg.components(separatedBy: "r=\"4\" fill=\"#ff7f0e\" stroke").count - 1 == 4)  // eval points
        #expect(svg.contains(">step</text>") && svg.contains(">loss</text>") && svg.contains(">eval loss</text>"))

        let dir = try TemporaryDirectory("plot")
        defer { dir.remove() }
        let url = try LossPlot.write(history, title: "t", to: dir.url)
        #expect(url.lastPathComponent == "training_loss.svg" && FileManager.default.fileExists(atPath: url.path))
        // Degenerate inputs still give a valid chart.
        for degenerate in [[], [MetricsLog.LossPoint(step: 1, loss: 2, evalLoss: nil)],
                           [MetricsLog.LossPoint(step: 1, loss: .nan, evalLoss: nil), MetricsLog.LossPoint(step: 2, loss: 1, evalLoss: 1)]] {
            #expect(XMLParser(data: Data(LossPlot.svg(degenerate, title: "x").utf8)).parse())
        }
    }

    @Test func ticksAreRoundAndCoverTheData() {
        let ticks = LossPlot.niceTicks(lower: 0.37, upper: 2.91, count: 6)
        #expect(ticks.first! <= 0.37 && ticks.last! >= 2.91)
        let step = ticks[1] - ticks[0]
        #expect(closeness([step], [0.5], absolute: 1e-12).passes, "tick step \(step)")
        #expect(LossPlot.niceTicks(lower: 5, upper: 5, count: 5).count >= 2)
    }

    @Test func smoothingFollowsLLaMAFactory() {
        #expect(LossPlot.smooth([]) == [])
        let constant = LossPlot.smooth(Array(repeating: 1.5, count: 30))
        #expect(constant.allSatisfy { $0 == 1.5 })
        // One point: weight 1.8 * (sigmoid(0.05) - 0.5), the first value is kept.
        let step = LossPlot.smooth([0, 1])
        let weight = 1.8 * (1 / (1 + exp(-0.1)) - 0.5)
        #expect(step[0] == 0 && closeness([step[1]], [1 - weight], absolute: 1e-15).passes)
    }

    @Test func progressLineRewritesOnATerminalAndPrintsLinesOtherwise() {
        var tty = ""
        let live = ProgressLine(isTerminal: true) { tty += $0 }
        let snapshot = ProgressSnapshot(step: 3, totalSteps: 12, loss: 2.34567, learningRate: 1e-4, gradientNorm: 0.8123,
                                        tokensPerSecond: 1234.4, supervisedTokensPerSecond: 456.2, elapsedSeconds: 83,
                                        remainingSeconds: 600,
                                        memory: ProcessMemory(residentBytes: 1_288_490_189, peakResidentBytes: 1_395_864_371))
        live.update(snapshot)
        live.update(snapshot)
        live.message("eval loss 2.1")
        live.update(snapshot)
        live.finish()
        let line = ProgressLine.format(snapshot)
        #expect(line == "step 3/12 (25.0%) | loss 2.3457 | lr 1.00e-04 | grad 0.812 | 1234 tok/s (456 sup/s) | 0:01:23 elapsed, ETA 0:10:00 | RSS 1.2 GiB (peak 1.3 GiB)")
        let clear = "\r\u{1B}[2K"
        #expect(tty == clear + line + clear + line + clear + "eval loss 2.1\n" + clear + line + "\n")

        var plain = ""
        let logged = ProgressLine(isTerminal: false) { plain += $0 }
        logged.update(ProgressSnapshot(step: 1, totalSteps: 2))
        logged.message("done")
        logged.finish()
        #expect(plain == "step 1/2 (50.0%) | 0:00:00 elapsed\ndone\n")
    }

    @Test func memoryComesFromProcStatus() {
        let parsed = ProcessMemory.parse(status: "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n")
        #expect(parsed == ProcessMemory(residentBytes: 1_048_576, peakResidentBytes: 2_097_152))
        #expect(ProcessMemory.parse(status: "Name: x\n") == nil)
        #if os(Linux)
        let current = ProcessMemory.current()
        #expect((current?.residentBytes ?? 0) > 0 && current!.peakResidentBytes >= current!.residentBytes)
        #endif
        #expect(formatBytes(512) == "512 B" && formatBytes(1536) == "1.5 KiB")
    }

    @Test func throughputUsesTheRecentWindow() {
        var meter = ThroughputMeter(window: 2)
        #expect(meter.tokensPerSecond == nil)
        meter.add(tokens: 1000, supervisedTokens: 10, seconds: 100)  // slow first step falls out of the window
        meter.add(tokens: 100, supervisedTokens: 40, seconds: 1)
        meter.add(tokens: 300, supervisedTokens: 60, seconds: 1)
        #expect(meter.tokensPerSecond == 200 && meter.supervisedTokensPerSecond == 50)
    }
}
