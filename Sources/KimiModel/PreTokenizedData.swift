import Foundation
import Storage

/// A pre-tokenized data set: one JSON object per line, {"input_ids": [...], "labels": [...]}, labels
/// optional (then every next token counts) and -100 masking a position. Works before the chat
/// pipeline exists, and is what `kimi-sft eval` reads.
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

    /// Reads and validates `url`: every line must be an object with an integer `input_ids` array and,
    /// when present, a `labels` array of the same length; blank lines are skipped; an empty data
    /// set is an error.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PreTokenizedDataError(file: url.path, line: nil, message: "cannot read: \(error.localizedDescription)")
        }
        try self.init(bytes: [UInt8](data), file: url.path)
    }

    public init(bytes: [UInt8], file: String) throws {
        var sequences: [Sequence] = []
        var lineNumber = 0
        var start = 0
        while start <= bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            lineNumber += 1
            let line = bytes[start..<end]
            start = end + 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let value = try JSONParser.parse(Array(line), source: "\(file):\(lineNumber)")
            sequences.append(try Self.sequence(value, file: file, line: lineNumber))
        }
        guard !sequences.isEmpty else {
            throw PreTokenizedDataError(file: file, line: nil, message: "no sequences (the file is empty)")
        }
        self.sequences = sequences
    }

    private static func sequence(_ value: JSONValue, file: String, line: Int) throws -> Sequence {
        func fail(_ message: String) -> PreTokenizedDataError { PreTokenizedDataError(file: file, line: line, message: message) }
        guard value.objectValue != nil else { throw fail("expected a JSON object {\"input_ids\": [...], \"labels\": [...]}") }
        func integers(_ key: String) throws -> [Int32]? {
            guard let field = value[key], field != .null else { return nil }
            guard let array = field.arrayValue else { throw fail("'\(key)' must be an array of integers") }
            return try array.enumerated().map { i, element in
                guard case .int(let v) = element, v >= Int(Int32.min), v <= Int(Int32.max) else {
                    throw fail("'\(key)'[\(i)] is not an integer")
                }
                return Int32(v)
            }
        }
        guard let ids = try integers("input_ids") else { throw fail("missing 'input_ids'") }
        guard !ids.isEmpty else { throw fail("'input_ids' is empty") }
        let labels = try integers("labels")
        if let labels, labels.count != ids.count {
            throw fail("'labels' has \(labels.count) entries but 'input_ids' has \(ids.count)")
        }
        return Sequence(inputIds: ids, labels: labels, line: line)
    }
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
