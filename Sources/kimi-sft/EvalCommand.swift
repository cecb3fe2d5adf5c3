import Foundation
import KimiModel
import Storage

/// `kimi-sft eval`: mean next-token cross-entropy of a checkpoint (optionally with a LoRA adapter)
/// over pre-tokenized sequences. The last line printed is one JSON object, so scripts can read it.
enum EvalCommand: Subcommand {
    static let name = "eval"
    static let abstract = "Evaluate the loss of a model (and adapter) on pre-tokenized data."
    static let discussion = """
        Reads one JSON object per line: {"input_ids": [...], "labels": [...]}. labels are optional (then \
        every next token counts); -100 masks a position. Prints, as its last line,
        {"loss": <mean cross-entropy over label tokens>, "tokens": <label tokens>, "sequences": <count>}.
        """
    static let options: [OptionSpec] = [
        .value("model", "dir", help: "(required) Checkpoint directory (config.json + safetensors)."),
        .value("adapter", "dir", help: "PEFT LoRA adapter directory to apply."),
        .value("data", "file", help: "(required) Pre-tokenized JSONL file."),
        .value("cutoff-len", "n", help: "Cut each sequence to at most n tokens (default: no cut)."),
        .value("batch", "n", help: "Sequences packed per forward pass (default 1)."),
    ]

    static func run(_ arguments: ParsedArguments) throws {
        try arguments.positionalCount(0...0, "none")
        let modelPath = try arguments.required("model", "dir")
        let dataPath = try arguments.required("data", "file")
        let cutoff = try arguments.integer("cutoff-len")
        if let cutoff, cutoff < 2 {
            throw UsageError("Option '--cutoff-len' must be at least 2, got \(cutoff).", command: name)
        }
        let batch = try arguments.integer("batch") ?? 1
        guard batch >= 1 else { throw UsageError("Option '--batch' must be at least 1, got \(batch).", command: name) }

        let data = try PreTokenizedData(contentsOf: URL(fileURLWithPath: dataPath))
        let model = try KimiModel.load(directory: URL(fileURLWithPath: modelPath))
        if let adapterPath = arguments.value("adapter") {
            try model.attachPEFTAdapter(directory: URL(fileURLWithPath: adapterPath))
        }
        let result = try model.evaluate(data, cutoffLength: cutoff, batchSize: batch, file: dataPath)
        print("{\"loss\": \(PythonFloat.jsonRepr(result.meanLoss)), \"tokens\": \(result.tokens), \"sequences\": \(result.sequences)}")
    }
}
