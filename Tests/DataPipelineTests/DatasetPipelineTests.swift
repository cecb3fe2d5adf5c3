import DataPipeline
import Foundation
import Storage
import Testing
import TestSupport

@Suite("Dataset to examples")
struct DatasetPipelineTests {
    func write(_ lines: [String], _ dir: TemporaryDirectory, _ name: String) throws -> String {
        let url = dir.file(name)
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
        return url.path
    }

    func builder(_ policy: BadRecordPolicy) -> TrainingExampleBuilder {
        TrainingExampleBuilder(reader: DatasetReader(onBadRecord: policy),
                               masks: AssistantMaskBuilder(renderer: ToyKimiRenderer(), tokenizer: ToyByteTokenizer()))
    }

    @Test("files of different formats feed one example list; mask and vocabulary failures are skipped and counted")
    func mixedFiles() throws {
        let dir = try TemporaryDirectory("pipeline")
        defer { dir.remove() }
        let chat = try write([#"{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}"#,
                              #"{"messages":[{"role":"user","content":"no answer"}]}"#], dir, "chat.jsonl")
        let tokens = try write([#"{"input_ids":[1,2,3]}"#, #"{"input_ids":[1,99999]}"#], dir, "tok.jsonl")
        let (examples, summary) = try builder(.skip).examples(from: [chat, tokens])
        #expect(examples.count == 2)
        #expect(summary.recordsRead == 4 && summary.recordsSkipped == 2)
        #expect(summary.skipReasons == ["\(chat):2: conversation has no assistant message to train on",
                                        "\(tokens):2: input_ids[1] = 99999 is outside the tokenizer's vocabulary of \(ToyByteTokenizer().vocabularySize)"])
        #expect(summary.formats == ["openai": 2, "tokenized": 2])
    }

    @Test("with on_bad_record error the first failing record stops the run, naming file:line")
    func stops() throws {
        let dir = try TemporaryDirectory("pipeline")
        defer { dir.remove() }
        let chat = try write([#"{"messages":[{"role":"user","content":"no answer"}]}"#], dir, "chat.jsonl")
        #expect(throws: MaskError.noAssistantTurn(record: "\(chat):1")) { try builder(.error).examples(from: [chat]) }
    }

    @Test("the sample recipes data reads, renders and masks without a bad record")
    func sampleData() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for name in ["sample-chat.jsonl", "sample-eval.jsonl"] {
            let path = root.appendingPathComponent("recipes/data/\(name)").path
            guard FileManager.default.fileExists(atPath: path) else {
                print("note: \(path) absent; skipping")
                continue
            }
            let (examples, summary) = try builder(.error).examples(from: [path])
            #expect(summary.recordsSkipped == 0 && summary.recordsRead >= 10, "\(summary.line)")
            #expect(examples.count >= summary.recordsRead && examples.allSatisfy { $0.trainedTokenCount > 0 })
        }
    }
}
