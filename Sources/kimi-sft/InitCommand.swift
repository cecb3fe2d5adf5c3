import Foundation
import DataPipeline
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
        .value("tokenizer-corpus", "file", help: "Text to train the BPE vocabulary on (default: the bundled sample chat data)."),
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
        var tokenizerNote = ""
        if preset != .k25 {
            let corpus: String
            if let path = arguments.value("tokenizer-corpus") {
                do { corpus = try String(contentsOfFile: path, encoding: .utf8) } catch {
                    throw UsageError("Cannot read --tokenizer-corpus '\(path)': \(error.localizedDescription)", command: name)
                }
            } else {
                corpus = BundledTokenizerCorpus.text
            }
            let tokenizer = try tokenizerFiles(preset: preset, corpus: corpus)
            options.extraFiles = tokenizer.files
            tokenizerNote = "; tokenizer: \(tokenizer.trained) trained BPE ranks" + (tokenizer.filler > 0 ? " + \(tokenizer.filler) filler ranks" : "")
                + " + 256 special tokens"
        } else {
            // The real Kimi vocabulary cannot be trained from bundled text: the sparse k2.5 layout
            // gets the same trained tokenizer as small, padded to Kimi's 163,584 base ranks.
            let tokenizer = try tokenizerFiles(preset: preset, corpus: BundledTokenizerCorpus.text)
            options.extraFiles = tokenizer.files
            tokenizerNote = "; tokenizer: \(tokenizer.trained) trained BPE ranks + \(tokenizer.filler) filler ranks (not Kimi's real vocabulary)"
        }
        let started = Date()
        let summary = try CheckpointGenerator.generate(options, into: out)
        let seconds = Date().timeIntervalSince(started)
        print("wrote \(preset.rawValue) checkpoint to \(out.path): \(summary.tensorCount) tensors, \(summary.shardFiles.count) shard(s), "
              + "\(summary.dataBytes) data bytes\(options.sparse ? " (sparse)" : "") in \(String(format: "%.1f", seconds)) s\(tokenizerNote)")
    }

    /// The tokenizer files of a tiny or small model: a byte-level BPE vocabulary trained on the
    /// bundled sample chat data (padded to the preset's size when the text runs out of pairs), the
    /// Kimi special tokens right after the base ranks, and the bundled K2.5 chat template.
    static func tokenizerFiles(preset: CheckpointPreset, corpus: String) throws -> (files: [(name: String, contents: [UInt8])], trained: Int, filler: Int) {
        let trained = BPETrainer(targetVocabularySize: preset.baseTokenCount).train(text: corpus)
        let (tokens, filler) = VocabularyPadding.padded(trained, to: preset.baseTokenCount)
        let template = BundledChatTemplate.kimiK25
        var config = TokenizerConfig(bosToken: "[BOS]", eosToken: "[EOS]", padToken: "[PAD]", unknownToken: "[UNK]",
                                     chatTemplate: template)
        for (id, name) in KimiSpecialTokens.defaults(baseCount: tokens.count) { config.addedTokens[id] = name }
        let files: [(name: String, contents: [UInt8])] = [
            (TokenizerFiles.rankFileName, Array(TiktokenRankFile.serialize(tokens).utf8)),
            (TokenizerFiles.configFileName, Array(config.serialized().utf8)),
            ("chat_template.jinja", Array(template.utf8)),
        ]
        return (files, trained.count, filler)
    }
}
