import Foundation
import Storage

/// `kimi-sft init`: writes a Kimi-shaped checkpoint in the real format (see CheckpointGenerator).
enum InitCommand: Subcommand {
    static let name = "init"
    static let abstract = "Write a randomly initialised Kimi-shaped checkpoint (tiny, small or the full K2.5 layout)."
    static let discussion = """
    tiny trains in seconds; small is the benchmark size; k2.5 is the real 1T layout (61 layers, 384 experts,
    64 shards) and is meant to be written with --sparse (files of zeros that take no disk space).
    """
    static let options: [OptionSpec] = [
        .value("preset", "tiny|small|k2.5", help: "(required) Model size."),
        .value("out", "dir", help: "(required) Folder to create the checkpoint in (must not hold one)."),
        .value("seed", "n", help: "Random seed (default 0)."),
        .value("layout", "flat|nested", help: "config.json layout: flat kimi_k2 or nested kimi_k25 (default: nested for k2.5, else flat)."),
        .flag("sparse", help: "Write shards as sparse files of zeros (headers only on disk)."),
    ]

    static func run(_ arguments: ParsedArguments) throws {
        try arguments.positionalCount(0...0, "none")
        let presetName = try arguments.required("preset", "tiny|small|k2.5")
        guard let preset = CheckpointPreset(rawValue: presetName) else {
            throw UsageError("Unknown preset '\(presetName)'; expected tiny, small or k2.5.", command: name)
        }
        let out = URL(fileURLWithPath: try arguments.required("out", "dir"))
        let seedValue = try arguments.integer("seed") ?? 0
        guard seedValue >= 0 else { throw UsageError("Option '--seed' must be non-negative.", command: name) }
        var nested: Bool?
        if let layout = arguments.value("layout") {
            guard layout == "flat" || layout == "nested" else {
                throw UsageError("Option '--layout' expects flat or nested, got '\(layout)'.", command: name)
            }
            nested = layout == "nested"
        }
        if preset == .k25 && !arguments.has("sparse") {
            throw UsageError("Preset 'k2.5' writes about 554 GB of weights; add --sparse to write its layout as sparse files.", command: name)
        }
        var options = CheckpointGenerator.Options(preset: preset, nested: nested, seed: UInt64(seedValue),
                                                  sparse: arguments.has("sparse"))
        options.extraFiles = temporaryTokenizerFiles(preset: preset)
        let started = Date()
        let summary = try CheckpointGenerator.generate(options, into: out)
        let seconds = Date().timeIntervalSince(started)
        print("wrote \(preset.rawValue) checkpoint to \(out.path): \(summary.tensorCount) tensors, \(summary.shardFiles.count) shard(s), "
              + "\(summary.dataBytes) data bytes\(options.sparse ? " (sparse)" : "") in \(String(format: "%.1f", seconds)) s")
    }

    /// TEMPORARY until the lead wires DataPipeline's BPE trainer: a tiktoken.model whose base
    /// ranks are the 256 bytes followed by deterministic concatenations of earlier tokens (a valid
    /// but untrained merge hierarchy), the Kimi special tokens right after the base ranks, and
    /// tokenizer_config.json / chat_template.jinja with the bundled K2.5 template.
    static func temporaryTokenizerFiles(preset: CheckpointPreset) -> [(name: String, contents: [UInt8])] {
        let baseCount = preset.baseTokenCount
        var tokens: [[UInt8]] = (0..<256).map { [UInt8($0)] }
        var seen = Set(tokens)
        var i = 0, j = 0
        while tokens.count < baseCount {
            let candidate = tokens[i] + tokens[j]
            if seen.insert(candidate).inserted { tokens.append(candidate) }
            j += 1
            if j > i { i += 1; j = 0 }
        }
        var model = ""
        model.reserveCapacity(baseCount * 12)
        for (rank, bytes) in tokens.enumerated() { model += Data(bytes).base64EncodedString() + " \(rank)\n" }

        let named: [Int: String] = [
            0: "[BOS]", 1: "[EOS]", 2: "<|im_end|>", 3: "<|im_user|>", 4: "<|im_assistant|>", 6: "<|start_header_id|>",
            7: "<|end_header_id|>", 9: "[EOT]", 10: "<|im_system|>", 11: "<|tool_calls_section_begin|>",
            12: "<|tool_calls_section_end|>", 13: "<|tool_call_begin|>", 14: "<|tool_call_argument_begin|>",
            15: "<|tool_call_end|>", 17: "<|im_middle|>", 18: "<|media_begin|>", 19: "<|media_content|>",
            20: "<|media_end|>", 21: "<|media_pad|>", 22: "<think>", 23: "</think>", 254: "[UNK]", 255: "[PAD]",
        ]
        var added = JSONObject()
        for k in 0..<CheckpointPreset.specialTokenCount {
            let id = baseCount + k
            added["\(id)"] = .object(JSONObject([
                ("content", .string(named[k] ?? "<|reserved_token_\(id)|>")), ("lstrip", .bool(false)),
                ("normalized", .bool(false)), ("rstrip", .bool(false)), ("single_word", .bool(false)), ("special", .bool(true)),
            ]))
        }
        let template = BundledChatTemplate.kimiK25
        let config = JSONValue.object(JSONObject([
            ("added_tokens_decoder", .object(added)),
            ("additional_special_tokens", .array(["<|im_end|>", "<|im_user|>", "<|im_assistant|>", "<|start_header_id|>",
                                                  "<|end_header_id|>", "[EOT]", "<|im_system|>", "<|im_middle|>"].map { .string($0) })),
            ("auto_map", .object(JSONObject([("AutoTokenizer", .array([.string("tokenization_kimi.TikTokenTokenizer"), .null]))]))),
            ("bos_token", .string("[BOS]")),
            ("chat_template", .string(template)),
            ("clean_up_tokenization_spaces", .bool(false)),
            ("eos_token", .string("[EOS]")),
            ("extra_special_tokens", .object(JSONObject())),
            ("model_max_length", .int(1_048_576)),
            ("pad_token", .string("[PAD]")),
            ("tokenizer_class", .string("TikTokenTokenizer")),
            ("unk_token", .string("[UNK]")),
        ]))
        return [
            ("tiktoken.model", Array(model.utf8)),
            ("tokenizer_config.json", Array((JSONSerializer(indent: 2).serialize(config) + "\n").utf8)),
            ("chat_template.jinja", Array(template.utf8)),
        ]
    }
}
