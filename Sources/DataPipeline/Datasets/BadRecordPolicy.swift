/// What to do with a record that does not fit its format (the recipe's `on_bad_record`).
public enum BadRecordPolicy: String, Sendable {
    /// Stop with an error naming file:line (the default).
    case error
    /// Skip it, count it and keep its reason for the run summary.
    case skip
}

/// What reading a dataset did, for the run summary: nothing is dropped silently.
public struct DatasetSummary: Sendable, Equatable {
    /// Reasons kept for the summary; the count keeps going past this.
    public static let keptReasons = 20

    public var recordsRead = 0
    public var recordsSkipped = 0
    /// The first `keptReasons` skip reasons, each naming file:line.
    public var skipReasons: [String] = []
    /// Records per detected or forced format.
    public var formats: [String: Int] = [:]
    /// Assistant turns whose reasoning the chat template does not render, so they train an empty
    /// think block (K2.5 final answers; everything under thinking=false).
    public var turnsWithReasoningDropped = 0

    public init() {}

    mutating func skip(_ error: any Error) {
        recordsSkipped += 1
        if skipReasons.count < Self.keptReasons { skipReasons.append("\(error)") }
    }

    public mutating func merge(_ other: DatasetSummary) {
        recordsRead += other.recordsRead
        recordsSkipped += other.recordsSkipped
        skipReasons += other.skipReasons.prefix(max(0, Self.keptReasons - skipReasons.count))
        for (k, v) in other.formats { formats[k, default: 0] += v }
        turnsWithReasoningDropped += other.turnsWithReasoningDropped
    }

    /// One line for the run summary, e.g. "120 records read, 2 skipped (first: data.jsonl:7: ...)".
    public var line: String {
        var s = "\(recordsRead) records read, \(recordsSkipped) skipped"
        if let first = skipReasons.first { s += " (first: \(first))" }
        if turnsWithReasoningDropped > 0 {
            s += "; \(turnsWithReasoningDropped) assistant turns have reasoning the chat template does not render"
        }
        return s
    }
}
