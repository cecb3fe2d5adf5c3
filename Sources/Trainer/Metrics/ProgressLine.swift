import Foundation

/// What the progress line shows at one moment of training.
public struct ProgressSnapshot: Sendable, Equatable {
    public var step: Int
    public var totalSteps: Int
    public var loss: Double?
    public var learningRate: Double?
    public var gradientNorm: Double?
    /// All tokens fed per second, and the supervised (labelled) ones, over the recent window.
    public var tokensPerSecond: Double?
    public var supervisedTokensPerSecond: Double?
    public var elapsedSeconds: Double
    public var remainingSeconds: Double?
    public var memory: ProcessMemory?

    public init(step: Int, totalSteps: Int, loss: Double? = nil, learningRate: Double? = nil, gradientNorm: Double? = nil,
                tokensPerSecond: Double? = nil, supervisedTokensPerSecond: Double? = nil, elapsedSeconds: Double = 0,
                remainingSeconds: Double? = nil, memory: ProcessMemory? = nil) {
        self.step = step
        self.totalSteps = totalSteps
        self.loss = loss
        self.learningRate = learningRate
        self.gradientNorm = gradientNorm
        self.tokensPerSecond = tokensPerSecond
        self.supervisedTokensPerSecond = supervisedTokensPerSecond
        self.elapsedSeconds = elapsedSeconds
        self.remainingSeconds = remainingSeconds
        self.memory = memory
    }
}

/// Live training progress on stderr: on a terminal, one line rewritten in place (carriage return
/// + clear-line) so the screen does not scroll; otherwise (a pipe, a log file, CI) one plain line
/// per update, so logs stay readable.
public final class ProgressLine {
    public let isTerminal: Bool
    private let write: (String) -> Void
    private var lineIsOpen = false

    /// Writes to stderr; `isTerminal` defaults to whether stderr is a TTY.
    public convenience init(isTerminal: Bool? = nil) {
        self.init(isTerminal: isTerminal ?? (isatty(STDERR_FILENO) == 1)) { text in
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    /// Writes through `write` (tests capture the text).
    public init(isTerminal: Bool, write: @escaping (String) -> Void) {
        self.isTerminal = isTerminal
        self.write = write
    }

    /// Shows `snapshot`: replaces the current line on a terminal, appends a line otherwise.
    public func update(_ snapshot: ProgressSnapshot) {
        let text = Self.format(snapshot)
        if isTerminal {
            write("\r\u{1B}[2K" + text)
            lineIsOpen = true
        } else {
            write(text + "\n")
        }
    }

    /// Prints a message on its own line (an eval result, a checkpoint note) without garbling the
    /// live line; the next `update` draws the progress again below it.
    public func message(_ text: String) {
        if lineIsOpen { write("\r\u{1B}[2K") }
        lineIsOpen = false
        write(text + "\n")
    }

    /// Ends the live line so later output starts on a fresh line.
    public func finish() {
        if lineIsOpen { write("\n") }
        lineIsOpen = false
    }

    /// `step 12/300 (4.0%) | loss 2.3456 | lr 1.00e-04 | grad 0.812 | 1234 tok/s (456 sup/s) |
    /// 0:01:23 elapsed, ETA 0:10:00 | RSS 1.2 GiB (peak 1.3 GiB)`; absent values are left out.
    public static func format(_ s: ProgressSnapshot) -> String {
        let percent = s.totalSteps > 0 ? Double(s.step) / Double(s.totalSteps) * 100 : 100
        var parts = ["step \(s.step)/\(s.totalSteps) (" + String(format: "%.1f", percent) + "%)"]
        if let loss = s.loss { parts.append("loss " + String(format: "%.4f", loss)) }
        if let lr = s.learningRate { parts.append("lr " + String(format: "%.2e", lr)) }
        if let norm = s.gradientNorm { parts.append("grad " + String(format: "%.3f", norm)) }
        if let rate = s.tokensPerSecond {
            var text = String(format: "%.0f tok/s", rate)
            if let supervised = s.supervisedTokensPerSecond { text += String(format: " (%.0f sup/s)", supervised) }
            parts.append(text)
        }
        var time = timedeltaString(seconds: s.elapsedSeconds) + " elapsed"
        if let remaining = s.remainingSeconds { time += ", ETA " + timedeltaString(seconds: remaining) }
        parts.append(time)
        if let memory = s.memory {
            parts.append("RSS " + formatBytes(memory.residentBytes) + " (peak " + formatBytes(memory.peakResidentBytes) + ")")
        }
        return parts.joined(separator: " | ")
    }
}
