import Foundation
import Testing
import KimiModel
@testable import Trainer

@Suite struct EvaluationDataTests {
    func write(_ text: String, in fixture: TrainingFixture, name: String = "eval.jsonl") throws -> String {
        let path = fixture.directory.file(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func readsPreTokenizedAndChatRecordsWithTheirLines() throws {
        let fixture = try TrainingFixture(rows: 2)
        defer { fixture.directory.remove() }
        // The format is detected per file, as the trainer does.
        let tokens = try write("""
            {"input_ids": [1, 2, 3]}

            {"input_ids": [4, 5], "labels": [-100, 5]}
            """, in: fixture, name: "tokens.jsonl")
        let chat = try write("""
            {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
            """, in: fixture, name: "chat.jsonl")
        let model = URL(fileURLWithPath: fixture.modelPath)
        let pre = try EvaluationData.load(file: tokens, modelDirectory: model)
        #expect(pre.sequences.map(\.line) == [1, 3])
        #expect(pre.sequences[0].labels == [1, 2, 3])
        #expect(pre.sequences[1].labels == [-100, 5])
        // The chat record trains only the assistant turn: some labels masked, some kept.
        let conversation = try EvaluationData.load(file: chat, modelDirectory: model)
        let chatLabels = try #require(conversation.sequences.first?.labels)
        #expect(conversation.sequences.first?.line == 1)
        #expect(chatLabels.contains(-100) && chatLabels.contains { $0 != -100 })
        // Both evaluate through the model.
        let kimi = try KimiModel.load(directory: model)
        for (data, path) in [(pre, tokens), (conversation, chat)] {
            let result = try kimi.evaluate(data, cutoffLength: nil, batchSize: 2, file: path)
            #expect(result.tokens > 0 && result.correct <= result.tokens && result.meanLoss > 0)
        }
    }

    @Test(arguments: [
        ("", "no records"),
        ("{\"input_ids\": [1]}\n{\"input_ids\": [1,}\n", "eval.jsonl:2"),
        ("{\"input_ids\": [1, 2], \"labels\": [1]}", "eval.jsonl:1"),
        ("{\"input_ids\": []}", "eval.jsonl:1"),
    ])
    func malformedFilesNameTheLine(text: String, fragment: String) throws {
        let fixture = try TrainingFixture(rows: 1)
        defer { fixture.directory.remove() }
        let path = try write(text, in: fixture)
        do {
            _ = try EvaluationData.load(file: path, modelDirectory: URL(fileURLWithPath: fixture.modelPath))
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect("\(error)".contains(fragment), "\(error)")
        }
    }

    @Test func chatRecordsWithoutATokenizerAreAClearError() throws {
        let fixture = try TrainingFixture(rows: 1)
        defer { fixture.directory.remove() }
        try FileManager.default.removeItem(atPath: fixture.directory.file("model/tiktoken.model").path)
        let path = try write(#"{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}"#, in: fixture)
        #expect(throws: TrainingError.self) {
            _ = try EvaluationData.load(file: path, modelDirectory: URL(fileURLWithPath: fixture.modelPath))
        }
    }
}
