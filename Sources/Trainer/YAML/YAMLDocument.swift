import Storage

/// A parsed YAML document: the value tree as `JSONValue` (what the rest of kimi-sft reads) plus
/// the source position of every map key and sequence item, so later validation (wrong type,
/// unknown key) can point at the line that holds the mistake.
///
/// Paths are written as `key`, `outer.inner`, `list[2]`, `list[2].name`.
public struct YAMLDocument: Sendable {
    public let value: JSONValue
    /// Position of the key (for map entries) or of the `-` item (for sequence items), by path.
    public let keyPositions: [String: SourcePosition]
    /// Position of the first character of each value, by path ("" is the root).
    public let valuePositions: [String: SourcePosition]

    public init(value: JSONValue, keyPositions: [String: SourcePosition], valuePositions: [String: SourcePosition]) {
        self.value = value
        self.keyPositions = keyPositions
        self.valuePositions = valuePositions
    }

    /// Parses `text`; `file` is only used in positions and error messages.
    public static func parse(_ text: String, file: String) throws(YAMLError) -> YAMLDocument {
        var parser = YAMLParser(text: text, file: file)
        return try parser.parseDocument()
    }
}
