import DataPipeline
import Foundation
import KimiModel

/// What `kimi-sft eval` scores: any dataset file the trainer reads (pre-tokenized
/// {"input_ids", "labels"} records, or chat records in messages / ShareGPT / alpaca form, `.jsonl`
/// or `.jsonl.zst`), as model sequences that remember their source line for error messages. Chat
/// records go through the model's own chat template, tokenizer and assistant-only masks, loaded
/// only when the file has one, so pre-tokenized data needs no tokenizer files.
public enum EvaluationData {
    public static func load(file: String, modelDirectory: URL, masks: MaskOptions = MaskOptions()) throws -> PreTokenizedData {
        var builder: AssistantMaskBuilder?
        func maskBuilder() throws -> AssistantMaskBuilder {
            if let builder { return builder }
            do {
                let made = AssistantMaskBuilder(renderer: try ChatTemplate(modelDirectory: modelDirectory),
                                                tokenizer: try TiktokenTokenizer(directory: modelDirectory), options: masks)
                builder = made
                return made
            } catch {
                throw TrainingError.model(path: modelDirectory.path, reason: "chat records need the model's tokenizer and chat template: \(error)")
            }
        }
        var summary = DatasetSummary()
        var sequences: [PreTokenizedData.Sequence] = []
        try DatasetReader(format: nil, onBadRecord: .error).forEachRecord(in: file, summary: &summary) { sourced in
            let line = sourced.source.split(separator: ":").last.flatMap { Int($0) } ?? 0
            switch sourced.record {
            case .tokens(let example):
                sequences.append(.init(inputIds: example.inputIds, labels: example.labels, line: line))
            case .conversation(let conversation):
                for example in try maskBuilder().examples(for: conversation, record: sourced.source) {
                    sequences.append(.init(inputIds: example.inputIds, labels: example.labels, line: line))
                }
            }
        }
        guard !sequences.isEmpty else {
            throw PreTokenizedDataError(file: file, line: nil, message: "no records to evaluate (the file is empty)")
        }
        return PreTokenizedData(sequences: sequences)
    }
}
