import Foundation
import KimiModel
import Storage
import Trainer

/// `kimi-sft eval`: mean next-token cross-entropy of a checkpoint (optionally with a LoRA adapter)
/// over pre-tokenized sequences. The last line printed is one JSON object, so scripts can read it.
enum EvalCommand: Subcommand {
    static let name = "eval"
    static let abstract = "Evaluate the loss of a model (and adapter) on pre-tokenized or chat data."
    static let discussion = """
        Reads any dataset file train reads (.jsonl or .jsonl.zst): pre-tokenized records \
        {"input_ids": [...], "labels": [...]} (labels optional: then every next token counts; -100 masks a \
        position), or chat records (messages, ShareGPT, alpaca) rendered through the model's chat template \
        with assistant-only labels. Prints, as its last line, {"loss": <mean cross-entropy over label tokens>, \
        "tokens": <label tokens>, "sequences": <count>, "accuracy": <argmax token accuracy>}.
        """
    static let options: [OptionSpec] = [
        .value("model", "dir", help: "(required) Checkpoint directory (config.json + safetensors)."),
        .value("adapter", "dir", help: "PEFT LoRA adapter directory to apply."),
        .value("data", "file", help: "(required) Dataset file: pre-tokenized or chat JSONL (.jsonl or .jsonl.zst)."),
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

        let data = try EvaluationData.load(file: dataPath, modelDirectory: URL(fileURLWithPath: modelPath))
        let model = try KimiModel.load(directory: URL(fileURLWithPath: modelPath))
        if let adapterPath = arguments.value("adapter") {
            try model.attachPEFTAdapter(directory: URL(fileURLWithPath: adapterPath))
        }
        let result = try model.evaluate(data, cutoffLength: cutoff, batchSize: batch, file: dataPath)
        let accuracy = result.tokens > 0 ? Double(result.correct) / Double(result.tokens) : 0
        print("{\"loss\": \(PythonFloat.jsonRepr(result.meanLoss)), \"tokens\": \(result.tokens), \"sequences\": \(result.sequences), "
              + "\"accuracy\": \(PythonFloat.jsonRepr(accuracy))}")
    }
}
