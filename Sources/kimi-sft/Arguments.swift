import Storage

/// Hand-written command-line parsing with swift-argument-parser's conventions:
/// `--flag value` and `--flag=value`, `-h/--help` everywhere, errors as
/// `Error: ...` / `Usage: ...` / `See 'kimi-sft <cmd> --help'` with exit code 64.

/// One option a subcommand accepts.
struct OptionSpec: Sendable {
    enum Kind: Sendable { case flag, value, repeatedValue }
    let name: String            // without dashes: "out"
    let kind: Kind
    let valueName: String
    let help: String
    let short: Character?

    static func flag(_ name: String, short: Character? = nil, help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .flag, valueName: "", help: help, short: short)
    }
    static func value(_ name: String, _ valueName: String, short: Character? = nil, help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .value, valueName: valueName, help: help, short: short)
    }
    static func repeated(_ name: String, _ valueName: String, help: String) -> OptionSpec {
        OptionSpec(name: name, kind: .repeatedValue, valueName: valueName, help: help, short: nil)
    }
}

/// A mistake in how the command was invoked: printed with usage, exit code 64 (EX_USAGE).
struct UsageError: Error, CustomStringConvertible {
    let message: String
    let command: String?
    init(_ message: String, command: String? = nil) { self.message = message; self.command = command }
    var description: String { message }
}

/// The result of parsing one subcommand's arguments.
struct ParsedArguments {
    let command: String
    private(set) var values: [String: [String]] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positionals: [String] = []

    init(command: String, arguments: [String], options: [OptionSpec]) throws {
        self.command = command
        var byName: [String: OptionSpec] = [:]
        var byShort: [Character: OptionSpec] = [:]
        for option in options {
            byName[option.name] = option
            if let s = option.short { byShort[s] = option }
        }
        var i = 0
        var onlyPositionals = false
        while i < arguments.count {
            let arg = arguments[i]
            i += 1
            if onlyPositionals || arg == "-" || !arg.hasPrefix("-") {
                positionals.append(arg)
                continue
            }
            if arg == "--" { onlyPositionals = true; continue }
            var name: String
            var inlineValue: String?
            let spec: OptionSpec?
            if arg.hasPrefix("--") {
                name = String(arg.dropFirst(2))
                if let eq = name.firstIndex(of: "=") {
                    inlineValue = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                spec = byName[name]
            } else {
                let shortName = arg.dropFirst()
                guard shortName.count == 1, let c = shortName.first else {
                    throw UsageError("Unknown option '\(arg)'.", command: command)
                }
                spec = byShort[c]
                name = spec?.name ?? String(c)
            }
            guard let option = spec else {
                let suggestion = nearest(name, in: options.map(\.name)).map { " Did you mean '--\($0)'?" } ?? ""
                throw UsageError("Unknown option '\(arg)'.\(suggestion)", command: command)
            }
            switch option.kind {
            case .flag:
                if inlineValue != nil { throw UsageError("Option '--\(option.name)' takes no value.", command: command) }
                flags.insert(option.name)
            case .value, .repeatedValue:
                let value: String
                if let inline = inlineValue { value = inline }
                else {
                    guard i < arguments.count else {
                        throw UsageError("Missing value for '--\(option.name) <\(option.valueName)>'.", command: command)
                    }
                    value = arguments[i]
                    i += 1
                }
                if option.kind == .value, values[option.name] != nil {
                    throw UsageError("Option '--\(option.name)' given more than once.", command: command)
                }
                values[option.name, default: []].append(value)
            }
        }
    }

    func has(_ flag: String) -> Bool { flags.contains(flag) }
    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }

    func required(_ name: String, _ valueName: String) throws -> String {
        guard let v = value(name) else { throw UsageError("Missing required option '--\(name) <\(valueName)>'.", command: command) }
        return v
    }

    func integer(_ name: String) throws -> Int? {
        guard let raw = value(name) else { return nil }
        guard let v = Int(raw) else { throw UsageError("Option '--\(name)' expects an integer, got '\(raw)'.", command: command) }
        return v
    }

    func positionalCount(_ range: ClosedRange<Int>, _ what: String) throws {
        if positionals.count < range.lowerBound { throw UsageError("Missing expected argument '<\(what)>'.", command: command) }
        if positionals.count > range.upperBound {
            throw UsageError("Unexpected argument '\(positionals[range.upperBound])'.", command: command)
        }
    }
}

/// The closest candidate by edit distance, when it is close enough to be a plausible typo.
func nearest(_ word: String, in candidates: [String]) -> String? {
    NameSuggestion.nearest(word, in: candidates)
}
