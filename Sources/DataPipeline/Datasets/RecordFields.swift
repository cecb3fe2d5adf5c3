import Storage

/// Typed access to a record's fields that turns every mismatch into a `DatasetError.badRecord`
/// naming the record and the field path (e.g. `messages[2].tool_calls[0].function.name`).
struct RecordFields {
    let source: String

    func fail(_ message: String) -> DatasetError { .badRecord(record: source, message: message) }

    func object(_ value: JSONValue?, _ path: String) throws -> JSONObject {
        guard let o = value?.objectValue else { throw fail("\(path) must be an object, got \(Self.kind(value))") }
        return o
    }

    func array(_ value: JSONValue?, _ path: String) throws -> [JSONValue] {
        guard let a = value?.arrayValue else { throw fail("\(path) must be an array, got \(Self.kind(value))") }
        return a
    }

    func string(_ value: JSONValue?, _ path: String) throws -> String {
        guard let s = value?.stringValue else { throw fail("\(path) must be a string, got \(Self.kind(value))") }
        return s
    }

    /// A string, or nil when absent or null.
    func optionalString(_ value: JSONValue?, _ path: String) throws -> String? {
        if value == nil || value == .null { return nil }
        return try string(value, path)
    }

    /// Message content: a string, null, or a list of typed parts (`{"type": "text", "text": ...}`).
    func content(_ value: JSONValue?, _ path: String) throws {
        switch value {
        case nil, .null?, .string?: return
        case .array(let parts)?:
            for (k, part) in parts.enumerated() {
                let o = try object(part, "\(path)[\(k)]")
                let type = try string(o["type"], "\(path)[\(k)].type")
                if type == "text" { _ = try string(o["text"], "\(path)[\(k)].text") }
            }
        default: throw fail("\(path) must be a string, null or a list of parts, got \(Self.kind(value))")
        }
    }

    static func kind(_ value: JSONValue?) -> String {
        switch value {
        case nil: return "nothing (missing)"
        case .null?: return "null"
        case .bool?: return "a boolean"
        case .int?, .double?: return "a number"
        case .string?: return "a string"
        case .array?: return "an array"
        case .object?: return "an object"
        }
    }
}
