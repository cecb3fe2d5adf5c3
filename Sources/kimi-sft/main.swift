import Foundation

/// Every subcommand, in the order `kimi-sft --help` lists them.
enum CommandRegistry {
    static let all: [any Subcommand.Type] = [
        VersionCommand.self,
        BenchCommand.self,
        InitCommand.self,
        InspectCommand.self,
        TokenizeCommand.self,
        RenderCommand.self,
        EvalCommand.self,
        TrainCommand.self,
        MergeCommand.self,
    ]
}

func printError(_ text: String) {
    FileHandle.standardError.write((text + "\n").data(using: .utf8)!)
}

func mainHelp() -> String {
    var lines = [
        "OVERVIEW: kimi-sft \(KimiSFTVersion.current): LoRA fine-tuning of Kimi K2.x (DeepseekV3) MoE models",
        "on a frozen INT4 base, from one Swift package.",
        "",
        "USAGE: kimi-sft <subcommand> [<options>]",
        "",
        "OPTIONS:",
        "  --version                   Show the version.",
        "  -h, --help                  Show help information.",
        "",
        "SUBCOMMANDS:",
    ]
    for command in CommandRegistry.all {
        lines.append("  " + command.name.padding(toLength: 26, withPad: " ", startingAt: 0) + command.abstract)
    }
    lines += ["", "  See 'kimi-sft help <subcommand>' for detailed help."]
    return lines.joined(separator: "\n")
}

func usageFailure(_ error: UsageError) -> Never {
    printError("Error: \(error.message)")
    if let name = error.command, let command = CommandRegistry.all.first(where: { $0.name == name }) {
        printError("Usage: \(command.usageLine)")
        printError("  See 'kimi-sft \(name) --help' for more information.")
    } else {
        printError("Usage: kimi-sft <subcommand> [<options>]")
        printError("  See 'kimi-sft --help' for more information.")
    }
    exit(64)
}

func runMain() -> Int32 {
    let argv = Array(CommandLine.arguments.dropFirst())
    guard let first = argv.first else {
        print(mainHelp())
        return 0
    }
    switch first {
    case "-h", "--help":
        print(mainHelp())
        return 0
    case "--version":
        print(KimiSFTVersion.current)
        return 0
    case "help":
        if argv.count > 1 {
            guard let command = CommandRegistry.all.first(where: { $0.name == argv[1] }) else {
                usageFailure(UsageError("Unknown subcommand '\(argv[1])'."))
            }
            print(command.helpText)
        } else {
            print(mainHelp())
        }
        return 0
    default:
        break
    }
    guard let command = CommandRegistry.all.first(where: { $0.name == first }) else {
        let hint = nearest(first, in: CommandRegistry.all.map { $0.name }).map { " Did you mean '\($0)'?" } ?? ""
        usageFailure(UsageError(first.hasPrefix("-") ? "Unknown option '\(first)'." : "Unknown subcommand '\(first)'.\(hint)"))
    }
    let rest = Array(argv.dropFirst())
    if rest.contains("-h") || rest.contains("--help") {
        print(command.helpText)
        return 0
    }
    do {
        let parsed = try ParsedArguments(command: command.name, arguments: rest, options: command.options)
        try command.run(parsed)
        return 0
    } catch let error as UsageError {
        usageFailure(error)
    } catch {
        printError("Error: \(error)")
        return 1
    }
}

BLASCoreSelection.apply()
exit(runMain())
