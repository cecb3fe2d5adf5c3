/// `kimi-sft version`: the version, and the BLAS threads this build will use.
enum VersionCommand: Subcommand {
    static let name = "version"
    static let abstract = "Show the version of kimi-sft."
    static let options: [OptionSpec] = []
    static func run(_ arguments: ParsedArguments) throws {
        try arguments.positionalCount(0...0, "none")
        print("kimi-sft \(KimiSFTVersion.current)")
    }
}
