import Foundation
import Storage

/// Sequences to evaluate, each remembering its data-file line so a bad token is reported where it
/// came from. Built from any dataset file by the trainer's `EvaluationData` (the data pipeline
/// parses and validates the records).
public struct PreTokenizedData: Sendable {
    public struct Sequence: Sendable, Equatable {
        public var inputIds: [Int32]
        public var labels: [Int32]?
        /// 1-based line in the file, for error messages.
        public var line: Int

        public init(inputIds: [Int32], labels: [Int32]?, line: Int) {
            self.inputIds = inputIds; self.labels = labels; self.line = line
        }
    }

    public let sequences: [Sequence]

    /// Sequences already in memory (tests, other front ends).
    public init(sequences: [Sequence]) { self.sequences = sequences }
}

/// A malformed pre-tokenized data file, with the file and line.
public struct PreTokenizedDataError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int?
    public let message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file; self.line = line; self.message = message
    }

    public var description: String { line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)" }
}
