/// Where a YAML node or error is: the file as the user named it, 1-based line and column.
public struct SourcePosition: Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// A recipe file that is not the YAML subset kimi-sft reads; the message names file:line:column
/// so the user can jump straight to the mistake.
public struct YAMLError: Error, CustomStringConvertible, Sendable, Equatable {
    public let position: SourcePosition
    public let message: String

    public init(_ message: String, at position: SourcePosition) {
        self.message = message
        self.position = position
    }

    public var description: String { "\(position): \(message)" }
}
