/// The release this build reports in `kimi-sft --version` and writes into outputs it creates.
enum KimiSFTVersion {
    static let current = "0.1.0"
}
