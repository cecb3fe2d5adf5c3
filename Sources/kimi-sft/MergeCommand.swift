import Foundation
import LoRA

/// `kimi-sft merge`: folds a LoRA adapter into its base and writes a complete serving checkpoint.
/// Prints how much of each module's delta survived storage, a summary table, and a warning when an
/// INT4 merge rounded most of the update away.
enum MergeCommand: Subcommand {
    static let name = "merge"
    static let abstract = "Merge a LoRA adapter into its base and write a serving checkpoint (BF16 or INT4)."
    static let discussion = """
        Streams the base shard by shard (one tensor or expert in memory at a time) into OUT.partial-<pid> and renames \
        it to OUT when complete. BF16 projections get W + s B A rounded to BF16. With --format int4 (the default for an \
        INT4 base) adapted routed experts are re-quantized with the base's own scale convention and untouched experts keep \
        their packed bytes; --format bf16 writes every expert as BF16 and drops quantization_config.
        """
    static let options: [OptionSpec] = [
        .value("model", "dir", help: "(required) Base checkpoint directory."),
        .value("adapter", "dir", help: "(required) PEFT LoRA adapter directory."),
        .value("out", "dir", help: "(required) Output directory (must not exist or be empty, unless --overwrite)."),
        .value("format", "bf16|int4", help: "How to store routed experts (default: int4 for an INT4 base, else bf16)."),
        .value("max-shard-size", "size", help: "Largest shard, e.g. 5GB, 500MB, 2GiB (default 5GB)."),
        .flag("overwrite", help: "Replace an existing output directory."),
        .flag("quiet", help: "Print only the summary, not one line per merged module."),
    ]

    static func run(_ arguments: ParsedArguments) throws {
        try arguments.positionalCount(0...0, "none")
        let model = URL(fileURLWithPath: try arguments.required("model", "dir"))
        let adapter = URL(fileURLWithPath: try arguments.required("adapter", "dir"))
        let out = URL(fileURLWithPath: try arguments.required("out", "dir"))
        var format: MergeFormat?
        if let raw = arguments.value("format") {
            guard let f = MergeFormat(rawValue: raw) else {
                throw UsageError("Option '--format' expects bf16 or int4, got '\(raw)'.", command: name)
            }
            format = f
        }
        var shardBytes = MergeOptions.defaultMaximumShardBytes
        if let raw = arguments.value("max-shard-size") {
            guard let n = MergeOptions.parseShardSize(raw) else {
                throw UsageError("Option '--max-shard-size' expects a positive size like 5GB, 500MB or 2GiB, got '\(raw)'.", command: name)
            }
            shardBytes = n
        }
        let quiet = arguments.has("quiet")
        let options = MergeOptions(model: model, adapter: adapter, output: out, format: format,
                                   maximumShardBytes: shardBytes, overwrite: arguments.has("overwrite"))
        let started = Date()
        let summary = try CheckpointMerge.run(options) { line in
            if !quiet || !line.contains(" survival ") { print(line) }
        }
        print("")
        for row in summary.table { print(row) }
        print("")
        print("merged \(summary.modules.count) modules into \(out.path) (\(summary.format.rawValue)): \(summary.tensorCount) tensors, "
              + "\(summary.shardFiles.count) shard(s), \(summary.dataBytes) data bytes, copied \(summary.copiedFiles.isEmpty ? "no other files" : summary.copiedFiles.joined(separator: ", ")) "
              + "in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        if let warning = summary.warning { printError(warning) }
    }
}
