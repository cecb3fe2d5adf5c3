import Foundation
import Storage
import TestSupport
@testable import Trainer

/// A tiny Kimi model (the `init --preset tiny` checkpoint, with a 512-rank byte/pair tokenizer and
/// the bundled chat template) and a small pre-tokenized data set whose continuations follow a
/// simple rule, so a few updates visibly lower the loss. Everything lives in one temporary folder.
struct TrainingFixture {
    let directory: TemporaryDirectory
    var modelPath: String { directory.file("model").path }
    var dataPath: String { directory.file("data.jsonl").path }

    init(rows: Int = 24, length: Int = 24, label: String = #function) throws {
        directory = try TemporaryDirectory("trainer-\(label.filter(\.isLetter))")
        let model = directory.file("model")
        var tokens: [[UInt8]] = (0..<256).map { [UInt8($0)] }
        var a = 97, b = 97
        while tokens.count < CheckpointPreset.tiny.baseTokenCount {
            tokens.append([UInt8(a), UInt8(b)])
            b += 1
            if b > 122 { a += 1; b = 97 }
        }
        var rankFile = ""
        for (rank, bytes) in tokens.enumerated() { rankFile += Data(bytes).base64EncodedString() + " \(rank)\n" }
        let options = CheckpointGenerator.Options(preset: .tiny, seed: 7, extraFiles: [
            ("tiktoken.model", Array(rankFile.utf8)),
            ("chat_template.jinja", Array(BundledChatTemplate.kimiK25.utf8)),
        ])
        try CheckpointGenerator.generate(options, into: model)

        // Row i: a prompt of 6 tokens (masked), then an arithmetic continuation the model can learn.
        var lines = ""
        for i in 0..<rows {
            let ids = (0..<length).map { t in 100 + (i * 5 + t * 3) % 37 }
            let labels = ids.enumerated().map { t, id in t < 6 ? -100 : id }
            lines += "{\"input_ids\": \(ids), \"labels\": \(labels)}\n"
        }
        try Data(lines.utf8).write(to: URL(fileURLWithPath: dataPath))
    }

    /// A recipe over the fixture; `extra` lines are appended (later keys win via --set semantics).
    func recipe(output: String = "run", _ extra: [String] = []) throws -> Recipe {
        let text = """
        model_name_or_path: \(modelPath)
        stage: sft
        finetuning_type: lora
        lora_rank: 4
        lora_target: all
        dataset: \(dataPath)
        cutoff_len: 64
        val_size: 4
        output_dir: \(directory.file(output).path)
        logging_steps: 1
        save_steps: 3
        eval_steps: 4
        per_device_train_batch_size: 2
        gradient_accumulation_steps: 2
        learning_rate: 0.01
        max_steps: 8
        lr_scheduler_type: cosine
        warmup_steps: 1
        seed: 3
        """
        return try Recipe.parse(text, file: directory.file("recipe.yaml").path, baseDirectory: directory.url, overrides: extra)
    }

    /// Options that keep tests quiet and leave the process's signal handling alone.
    static func quietOptions(abortAfterStep: Int? = nil) -> TrainingRun.Options {
        var options = TrainingRun.Options()
        options.output = { _ in }
        options.progress = ProgressLine(isTerminal: false) { _ in }
        options.handleSignals = false
        options.abortAfterStep = abortAfterStep
        return options
    }

    /// step -> loss from an output folder's metrics.jsonl (training lines only).
    static func loggedLosses(_ output: String) throws -> [Int: Double] {
        let text = try String(contentsOfFile: output + "/metrics.jsonl", encoding: .utf8)
        var losses: [Int: Double] = [:]
        for line in text.split(separator: "\n") {
            let value = try JSONParser.parse(String(line))
            if let step = value["step"]?.intValue, case .double(let loss)? = value["loss"] { losses[step] = loss }
        }
        return losses
    }

    /// (step, eval_loss) pairs from metrics.jsonl.
    static func loggedEvalLosses(_ output: String) throws -> [Int: Double] {
        let text = try String(contentsOfFile: output + "/metrics.jsonl", encoding: .utf8)
        var losses: [Int: Double] = [:]
        for line in text.split(separator: "\n") {
            let value = try JSONParser.parse(String(line))
            if let step = value["step"]?.intValue, case .double(let loss)? = value["eval_loss"] { losses[step] = loss }
        }
        return losses
    }
}
