import Foundation
import Storage

extension Recipe {
    /// Reads a recipe file, applies `--set key=value` overrides (each value parsed as YAML, so
    /// `--set dataset=[a.jsonl,b.jsonl]` works), checks every key and fills in defaults.
    public static func load(file: String, overrides: [String] = []) throws(RecipeError) -> Recipe {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw .unreadable(file: file, reason: (error as NSError).localizedDescription)
        }
        let folder = URL(fileURLWithPath: file).deletingLastPathComponent()
        return try parse(text, file: file, baseDirectory: folder, overrides: overrides)
    }

    /// Parses recipe text; relative paths resolve against `baseDirectory`, override paths against
    /// `workingDirectory` (the shell's, by default).
    public static func parse(_ text: String, file: String, baseDirectory: URL, overrides: [String] = [],
                             workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        throws(RecipeError) -> Recipe {
        let document: YAMLDocument
        do {
            document = try YAMLDocument.parse(text, file: file)
        } catch {
            throw .syntax(error)
        }
        var entries: [RecipeValue] = []
        switch document.value {
        case .null: break
        case .object(let object):
            for (key, value) in object.pairs {
                let location = document.keyPositions[key]?.description ?? file
                entries.append(RecipeValue(key: key, value: value, location: location, baseDirectory: baseDirectory))
            }
        default:
            throw .notAMapping(location: document.valuePositions[""]?.description ?? "\(file):1:1")
        }
        for override in overrides {
            let entry = try parseOverride(override, workingDirectory: workingDirectory)
            if let existing = entries.firstIndex(where: { $0.key == entry.key }) {
                entries[existing] = entry
            } else {
                entries.append(entry)
            }
        }

        var recipe = Recipe()
        recipe.sourceFile = file
        recipe.outputDirectory = baseDirectory.appendingPathComponent("trainer_output").standardizedFileURL.path
        let keys = Dictionary(uniqueKeysWithValues: RecipeKeys.all.map { ($0.name, $0) })
        var seen: [String: RecipeValue] = [:]
        for entry in entries {
            seen[entry.key] = entry
            if let key = keys[entry.key] {
                if entry.value != .null { try key.apply(&recipe, entry) }
            } else if let reason = RecipeKeys.ignored[entry.key] {
                recipe.notes.append("\(entry.location): '\(entry.key)' has no effect: \(reason)")
            } else if let reason = RecipeKeys.unsupported[entry.key] {
                switch entry.value {
                case .null, .bool(false), .int(0), .double(0):
                    recipe.notes.append("\(entry.location): '\(entry.key)' is off, as kimi-sft requires")
                default:
                    throw entry.invalid("is set, but \(reason)")
                }
            } else {
                throw .unknownKey(entry.key, location: entry.location, suggestion: nearestKey(entry.key, in: RecipeKeys.knownNames))
            }
        }
        try recipe.checkConsistency(file: file, seen: seen)
        return recipe
    }

    /// `key=value`, the value read as a one-line YAML document.
    private static func parseOverride(_ argument: String, workingDirectory: URL) throws(RecipeError) -> RecipeValue {
        guard let equals = argument.firstIndex(of: "=") else { throw .badOverride(argument) }
        let key = String(argument[..<equals]).trimmingSpaces()
        guard !key.isEmpty else { throw .badOverride(argument) }
        let source = "--set \(argument)"
        let value: JSONValue
        do {
            value = try YAMLDocument.parse(String(argument[argument.index(after: equals)...]), file: source).value
        } catch {
            throw .syntax(error)
        }
        return RecipeValue(key: key, value: value, location: source, baseDirectory: workingDirectory)
    }

    /// Rules that involve more than one key.
    private func checkConsistency(file: String, seen: [String: RecipeValue]) throws(RecipeError) {
        if modelPath.isEmpty { throw .missingKey("model_name_or_path", file: file) }
        if datasets.isEmpty { throw .missingKey("dataset", file: file) }
        if let valSize = seen["val_size"], validationSize > 0, !evalDatasets.isEmpty {
            throw valSize.invalid("cannot be used together with eval_dataset (choose one eval split)")
        }
        if let strategy = seen["eval_strategy"], evalStrategy != nil, evalStrategy != .no, evalDatasets.isEmpty, validationSize == 0 {
            throw strategy.invalid("needs an eval split: set eval_dataset or val_size")
        }
        if let nesterovless = seen["sgd_momentum"], sgdMomentum > 0, optimizer != .sgd {
            throw nesterovless.invalid("only applies with optim: sgd")
        }
    }
}

/// The closest known key by edit distance, when close enough to be a plausible typo.
func nearestKey(_ word: String, in candidates: [String]) -> String? {
    NameSuggestion.nearest(word, in: candidates)
}
