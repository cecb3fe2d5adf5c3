/// A JSON document that is not valid RFC 8259, with where it broke.
public struct JSONSyntaxError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file (or other source label) the text came from.
    public let source: String
    /// 1-based line and column (column counted in Unicode scalars) of the offending character.
    public let line: Int
    public let column: Int
    public let message: String

    public var description: String { "\(source):\(line):\(column): invalid JSON: \(message)" }
}
