/// One `kimi-sft <name>` subcommand: its help text, its options, and what it runs.
/// Each subcommand lives in its own file; this file owns only the shared shape and help rendering.
protocol Subcommand: Sendable {
    static var name: String { get }
    static var abstract: String { get }
    /// Positional part of the usage line, e.g. "<recipe.yaml>".
    static var arguments: String { get }
    static var discussion: String { get }
    static var options: [OptionSpec] { get }
    static func run(_ arguments: ParsedArguments) throws
}

extension Subcommand {
    static var arguments: String { "" }
    static var discussion: String { "" }

    static var usageLine: String {
        let required = options.filter { $0.kind != .flag && $0.help.hasPrefix("(required)") }
            .map { "--\($0.name) <\($0.valueName)>" }
        return (["kimi-sft", name] + (arguments.isEmpty ? [] : [arguments]) + required + ["[<options>]"]).joined(separator: " ")
    }

    static var helpText: String {
        var lines = ["OVERVIEW: \(abstract)", ""]
        if !discussion.isEmpty { lines += [discussion, ""] }
        lines.append("USAGE: \(usageLine)")
        lines.append("")
        lines.append("OPTIONS:")
        let all = options + [OptionSpec.flag("help", short: "h", help: "Show help information.")]
        for option in all {
            var left = "  "
            if let s = option.short { left += "-\(s), " }
            left += "--\(option.name)"
            if option.kind != .flag { left += " <\(option.valueName)>" }
            let pad = left.count < 30 ? String(repeating: " ", count: 30 - left.count) : "\n" + String(repeating: " ", count: 30)
            lines.append(left + pad + option.help)
        }
        return lines.joined(separator: "\n")
    }
}
