/// A recipe that cannot be used, with where the problem is (`file:line:column`, or the `--set`
/// argument) and which key, so the one printed line is enough to fix it.
public enum RecipeError: Error, CustomStringConvertible, Sendable, Equatable {
    case unreadable(file: String, reason: String)
    case syntax(YAMLError)
    case notAMapping(location: String)
    case unknownKey(String, location: String, suggestion: String?)
    case wrongType(key: String, expected: String, found: String, location: String)
    case invalidValue(key: String, message: String, location: String)
    case missingKey(String, file: String)
    case badOverride(String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            "\(file): cannot read recipe: \(reason)"
        case .syntax(let error):
            error.description
        case .notAMapping(let location):
            "\(location): a recipe must be a mapping of 'key: value' lines"
        case .unknownKey(let key, let location, let suggestion):
            "\(location): unknown key '\(key)'" + (suggestion.map { " (did you mean '\($0)'?)" } ?? "")
        case .wrongType(let key, let expected, let found, let location):
            "\(location): '\(key)' must be \(expected), got \(found)"
        case .invalidValue(let key, let message, let location):
            "\(location): '\(key)' \(message)"
        case .missingKey(let key, let file):
            "\(file): missing required key '\(key)'"
        case .badOverride(let argument):
            "--set \(argument): expected key=value"
        }
    }
}
