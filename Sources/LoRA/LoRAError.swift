import Storage

/// Errors in adapter configuration, adapter files and merging, each naming the module or file.
public enum LoRAError: Error, CustomStringConvertible, Equatable {
    case targetMatchesNothing(String, suggestion: String?)
    case untrainedTargets(count: Int, examples: [String])
    case unexpectedAdapters(count: Int, examples: [String])
    case invalidConfig(file: String, message: String)
    case unknownModule(file: String, module: String)
    case shapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])
    case rankMismatch(file: String, module: String, expected: Int, found: Int)
    case missingTensor(file: String, tensor: String)
    case unexpectedTensor(file: String, tensor: String)

    public var description: String {
        switch self {
        case .targetMatchesNothing(let t, let s):
            return "LoRA target '\(t)' matches no projection of this model" + (s.map { " (did you mean '\($0)'?)" } ?? "")
                + "; groups: \(LoRATargets.groupNames.joined(separator: ", "))"
        case .untrainedTargets(let n, let ex):
            return "\(n) targeted projections have no LoRA adapter (they would stay silently untrained), e.g. \(ex.joined(separator: ", "))"
        case .unexpectedAdapters(let n, let ex):
            return "\(n) adapters sit on projections the targets do not select, e.g. \(ex.joined(separator: ", "))"
        case .invalidConfig(let f, let m): return "\(f): invalid adapter config: \(m)"
        case .unknownModule(let f, let m): return "\(f): adapter module '\(m)' does not exist in this base model (adapter made for another base?)"
        case .shapeMismatch(let f, let t, let e, let found):
            return "\(f): tensor '\(t)' has shape \(found), this base model needs \(e)"
        case .rankMismatch(let f, let m, let e, let found):
            return "\(f): module '\(m)' has rank \(found) but the adapter config says r=\(e) and has no rank_pattern entry for it"
        case .missingTensor(let f, let t): return "\(f): missing tensor '\(t)'"
        case .unexpectedTensor(let f, let t): return "\(f): unexpected tensor '\(t)' (not a LoRA A/B weight)"
        }
    }

    static func suggestion(for entry: String, paths: [String]) -> String? {
        let names = Set(paths.compactMap { $0.split(separator: ".").last.map(String.init) }).union(LoRATargets.groupNames)
        return NameSuggestion.nearest(entry, in: Array(names))
    }
}
