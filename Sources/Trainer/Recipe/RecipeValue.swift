import Foundation
import Storage

/// One recipe value with where it came from, and typed readers that turn a wrong type into a
/// `RecipeError` naming the key and its location.
struct RecipeValue {
    let key: String
    let value: JSONValue
    /// `file:line:column` of the key, or `--set key=value` for overrides.
    let location: String
    /// The folder relative paths resolve against: the recipe's folder, or the working directory
    /// for `--set` overrides (what a user typing a path in a shell expects).
    let baseDirectory: URL

    func wrongType(_ expected: String) -> RecipeError {
        .wrongType(key: key, expected: expected, found: describe(value), location: location)
    }

    func invalid(_ message: String) -> RecipeError {
        .invalidValue(key: key, message: message, location: location)
    }

    func bool() throws(RecipeError) -> Bool {
        guard case .bool(let b) = value else { throw wrongType("true or false") }
        return b
    }

    func integer(minimum: Int? = nil) throws(RecipeError) -> Int {
        guard let i = value.intValue, value.isNumber else { throw wrongType("an integer") }
        if let minimum, i < minimum { throw invalid("must be at least \(minimum), got \(i)") }
        return i
    }

    func number(minimum: Double? = nil, maximum: Double? = nil) throws(RecipeError) -> Double {
        let d: Double
        switch value {
        case .int(let i): d = Double(i)
        case .double(let x): d = x
        default: throw wrongType("a number")
        }
        guard d.isFinite else { throw invalid("must be finite, got \(d)") }
        if let minimum, d < minimum { throw invalid("must be at least \(minimum), got \(d)") }
        if let maximum, d > maximum { throw invalid("must be at most \(maximum), got \(d)") }
        return d
    }

    func string() throws(RecipeError) -> String {
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        default: throw wrongType("a string")
        }
    }

    func choice(_ allowed: [String]) throws(RecipeError) -> String {
        let s = try string()
        guard allowed.contains(s) else { throw invalid("must be one of \(allowed.joined(separator: ", ")), got '\(s)'") }
        return s
    }

    /// A string or a list of strings; a string may hold a comma-separated list (LLaMA-Factory's
    /// `dataset: a,b` and `lora_target: q_proj,v_proj`).
    func stringList() throws(RecipeError) -> [String] {
        var items: [String] = []
        if case .array(let array) = value {
            for element in array {
                guard let s = element.stringValue else { throw wrongType("a string or a list of strings") }
                items.append(s)
            }
        } else {
            items = try string().split(separator: ",").map { String($0).trimmingSpaces() }
        }
        items = items.filter { !$0.isEmpty }
        if items.isEmpty { throw invalid("must name at least one entry") }
        return items
    }

    func path() throws(RecipeError) -> String { resolve(try string()) }

    func pathList() throws(RecipeError) -> [String] { try stringList().map(resolve) }

    /// Absolute paths stay; `~/` expands; anything else is relative to `baseDirectory`.
    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        if path == "~" || path.hasPrefix("~/") {
            return FileManager.default.homeDirectoryForCurrentUser.path + String(path.dropFirst())
        }
        return baseDirectory.appendingPathComponent(path).standardizedFileURL.path
    }
}

extension JSONValue {
    var isNumber: Bool {
        switch self {
        case .int, .double: true
        default: false
        }
    }
}

/// A short rendering of a value for error messages (`'abc'`, `[1, 2]`, `a mapping`).
func describe(_ value: JSONValue) -> String {
    switch value {
    case .null: "null"
    case .bool(let b): String(b)
    case .int(let i): String(i)
    case .double(let d): String(d)
    case .string(let s): "'\(s)'"
    case .array: "a list"
    case .object: "a mapping"
    }
}
