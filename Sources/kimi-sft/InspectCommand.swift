import Foundation
import LoRA
import Storage

/// `kimi-sft inspect DIR`: a checkpoint's architecture, parameter counts, storage and LoRA cost,
/// from config.json and the shard headers only.
enum InspectCommand: Subcommand {
    static let name = "inspect"
    static let abstract = "Describe a checkpoint: architecture, parameters, dtypes, INT4 and LoRA sizes."
    static let arguments = "<checkpoint-dir>"
    static let discussion = "Reads config.json and the safetensors headers only (no tensor data), and checks that every tensor the config implies is present."
    static let options: [OptionSpec] = [
        .value("lora-rank", "rank", help: "LoRA rank for the size estimate (default 8)."),
        .value("adapter", "dir", help: "A PEFT adapter to audit against this checkpoint: what its targets imply vs what it holds."),
    ]

    static func run(_ arguments: ParsedArguments) throws {
        try arguments.positionalCount(1...1, "checkpoint-dir")
        let rank = try arguments.integer("lora-rank") ?? 8
        guard rank > 0 else { throw UsageError("Option '--lora-rank' must be positive, got \(rank).", command: name) }
        let directory = URL(fileURLWithPath: arguments.positionals[0])
        let config = try KimiConfig.load(directory: directory)
        let reader = try CheckpointReader(directory: directory, expectedGroupSize: config.quantization?.groupSize)
        try reader.validate(against: KimiTensorLayout(config: config))
        let info = CheckpointInspection(reader: reader, config: config)
        print(report(info, rank: rank, directory: directory.path))
        if let adapterPath = arguments.value("adapter") {
            try auditAdapter(URL(fileURLWithPath: adapterPath), config: config)
        }
    }

    /// Loads the adapter against this checkpoint's projections (shapes checked) and prints the
    /// coverage audit of what its adapter_config.json targets imply against the tensors it holds;
    /// fails when a targeted projection has no adapter.
    static func auditAdapter(_ directory: URL, config: KimiConfig) throws {
        var shapes: [String: (inFeatures: Int, outFeatures: Int)] = [:]
        for spec in ProjectionInventory.projections(of: config) { shapes[spec.path] = (spec.inFeatures, spec.outFeatures) }
        let peft = try PEFTAdapterFile.readConfig(from: directory)
        let set = try PEFTAdapterFile.load(from: directory, projections: shapes)
        var adapted: [String: (rank: Int, parameters: Int)] = [:]
        for path in set.paths { adapted[path] = (set[path]!.rank, set[path]!.parameterCount) }
        let lora = LoRAConfig(rank: peft.rank, alpha: peft.alpha, dropout: peft.dropout, useRSLoRA: peft.useRSLoRA,
                              targets: peft.targets, layers: peft.layerRange)
        let audit = try CoverageAudit(config: config, lora: lora, adapted: adapted)
        print("adapter: \(directory.path): \(set.count) modules, r \(peft.rank), alpha \(PythonFloat.repr(peft.alpha)), "
              + "dropout \(PythonFloat.repr(peft.dropout))\(peft.useRSLoRA ? ", rsLoRA" : ""), base \(peft.baseModelNameOrPath ?? "unnamed")")
        print(audit.description)
        try audit.requireComplete()
    }

    static func report(_ info: CheckpointInspection, rank: Int, directory: String) -> String {
        let c = info.config
        var lines = ["checkpoint: \(directory)"]
        lines.append("layout: \(c.tensorPrefix.isEmpty ? "flat (kimi_k2 / DeepseekV3)" : "nested (kimi_k25, text tensors under '\(c.tensorPrefix)')")")
        lines.append("architecture: \(c.numHiddenLayers) layers (\(c.firstKDenseReplace) dense), hidden \(c.hiddenSize), "
                     + "\(c.numAttentionHeads) heads (MLA q_lora \(c.qLoraRank.map(String.init) ?? "none"), kv_lora \(c.kvLoraRank), "
                     + "nope \(c.qkNopeHeadDim), rope \(c.qkRopeHeadDim), v \(c.vHeadDim)), vocab \(c.vocabSize)")
        lines.append("experts: \(c.nRoutedExperts) routed (top-\(c.numExpertsPerTok), intermediate \(c.moeIntermediateSize)) + "
                     + "\(c.nSharedExperts) shared; dense intermediate \(c.intermediateSize)")
        if let q = c.quantization {
            lines.append("quantization: \(q.quantMethod) \(q.format), \(q.numBits)-bit, group_size \(q.groupSize)")
        }
        lines.append("tensors: \(info.tensorCount) in \(info.shardCount) shard\(info.shardCount == 1 ? "" : "s")")
        lines.append("parameters: \(humanCount(info.totalParameters)) total, \(humanCount(info.activeParameters)) active per token "
                     + "(routed experts \(humanCount(info.routedExpertParameters)))")
        if info.nonTextParameters > 0 { lines.append("non-text parameters (skipped by a text LoRA): \(humanCount(info.nonTextParameters))") }
        lines.append("INT4: \(info.int4ModuleCount) modules, \(info.int4TensorCount) tensors")
        lines.append("bytes per dtype:")
        for (dtype, bytes) in info.bytesPerDType.sorted(by: { $0.value > $1.value }) {
            lines.append("  \(dtype.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(humanBytes(bytes))")
        }
        lines.append("LoRA rank \(rank) would add:")
        for (label, roles) in [("attention", Set([KimiTensorLayout.Role.attention])),
                               ("routed experts", Set([KimiTensorLayout.Role.routedExpert])),
                               ("shared experts + dense MLP", Set([KimiTensorLayout.Role.sharedExpert, .denseMLP]))] {
            let s = info.loraSize(rank: rank, roles: roles)
            guard s.modules > 0 else { continue }
            lines.append("  \(label): \(s.modules) modules, \(s.tensors) tensors, \(humanCount(s.parameters)) parameters, "
                         + "\(humanBytes(s.float32Bytes)) F32 (\(humanBytes(s.bfloat16Bytes)) BF16)")
        }
        return lines.joined(separator: "\n")
    }

    static func humanCount(_ n: Int) -> String {
        let v = Double(n)
        for (limit, suffix) in [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")] where v >= limit {
            return String(format: "%.2f", v / limit) + "\(suffix) (\(n))"
        }
        return String(n)
    }

    static func humanBytes(_ n: Int) -> String {
        let v = Double(n)
        for (limit, suffix) in [(1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")] where v >= Double(limit) {
            return String(format: "%.2f", v / Double(limit)) + " \(suffix)"
        }
        return "\(n) B"
    }
}
