import DataPipeline
import Foundation
import Storage
import Testing
import TestSupport

/// Masks through the real K2.5 chat template (the Jinja engine) and the real tiktoken tokenizer.
@Suite("Masks with the real K2.5 template")
struct MaskRealTemplateTests {
    static let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    static let template = try! ChatTemplate(contentsOf: fixtures.appendingPathComponent("templates/kimi-k2.5.jinja"))

    struct GoldenCase: Sendable, CustomTestStringConvertible {
        let name: String
        let conversation: Conversation
        let fullRender: String
        let examples: [LabeledExample]
        var testDescription: String { name }
    }

    static func goldenCases() throws -> [GoldenCase] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("masks/k25-masks.json"))
        let cases = try JSONParser.parse(Array(data), source: "k25-masks.json").arrayValue ?? []
        return cases.map { c in
            let examples = (c["examples"]?.arrayValue ?? []).map { e in
                LabeledExample(inputIds: (e["input_ids"]?.arrayValue ?? []).map { Int32($0.intValue ?? 0) },
                               labels: (e["labels"]?.arrayValue ?? []).map { Int32($0.intValue ?? 0) })
            }
            return GoldenCase(name: c["name"]?.stringValue ?? "?",
                              conversation: Conversation(messages: c["messages"]?.arrayValue ?? [],
                                                         templateKeywords: c["chat_template_kwargs"]?.objectValue ?? JSONObject()),
                              fullRender: c["full_render"]?.stringValue ?? "", examples: examples)
        }
    }

    @Test("matches jinja2 renders and the independent Python mask rule", arguments: try goldenCases())
    func golden(_ golden: GoldenCase) throws {
        #expect(try Self.template.render(golden.conversation, addGenerationPrompt: false) == golden.fullRender)
        let examples = try AssistantMaskBuilder(renderer: Self.template, tokenizer: ToyByteTokenizer())
            .examples(for: golden.conversation, record: golden.name)
        #expect(examples.count == golden.examples.count)
        for (got, want) in zip(examples, golden.examples) {
            #expect(got.inputIds == want.inputIds)
            #expect(got.labels == want.labels, "trained: \(trainedSpans(got)) vs \(trainedSpans(want))")
        }
    }

    /// Decoded trained runs: the same text whatever the tokenizer's granularity.
    func trainedText(_ examples: [LabeledExample], _ tokenizer: any TextTokenizer) -> [String] {
        examples.flatMap { e -> [String] in
            var runs: [String] = [], run: [Int] = []
            for t in 0..<e.count {
                if e.labels[t] != LabeledExample.ignoreLabel { run.append(Int(e.inputIds[t])) }
                else if !run.isEmpty { runs.append(tokenizer.decode(run)); run = [] }
            }
            if !run.isEmpty { runs.append(tokenizer.decode(run)) }
            return runs
        }
    }

    @Test("sample data: real BPE tokenizer trains exactly the text the byte-level one does, each turn ending in <|im_end|>")
    func sampleDataWithRealTokenizer() throws {
        let tiktoken = try TiktokenTokenizer(directory: Self.fixtures.appendingPathComponent("tokenizer"))
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("recipes/data/sample-chat.jsonl").path
        guard FileManager.default.fileExists(atPath: path) else { print("note: \(path) absent; skipping"); return }
        var summary = DatasetSummary()
        let records = try DatasetReader().read(path, summary: &summary)
        var perTurnExamples = 0, reasoningDropped = 0
        for record in records {
            guard case .conversation(let c) = record.record else { continue }
            let real = try AssistantMaskBuilder(renderer: Self.template, tokenizer: tiktoken).examples(for: c, record: record.source)
            let bytes = try AssistantMaskBuilder(renderer: Self.template, tokenizer: ToyByteTokenizer()).examples(for: c, record: record.source)
            let realText = trainedText(real, tiktoken)
            #expect(realText == trainedText(bytes, ToyByteTokenizer()), "\(record.source)")
            #expect(realText.allSatisfy { $0.hasSuffix("<|im_end|>") }, "\(record.source): \(realText)")
            let turns = c.messages.filter { $0["role"]?.stringValue == "assistant" }.count
            #expect(realText.count == turns, "\(record.source): \(turns) assistant turns, \(realText.count) trained spans")
            perTurnExamples += real.count - 1
            reasoningDropped += try AssistantMaskBuilder(renderer: Self.template, tokenizer: tiktoken).masked(c, record: record.source).turnsWithReasoningDropped
            for e in real { #expect(e.inputIds.allSatisfy { Int($0) < tiktoken.vocabularySize }) }
        }
        #expect(records.count == summary.recordsRead && perTurnExamples > 0)
        // K2.5 renders no final answer's reasoning; the sample has many answers with reasoning.
        #expect(reasoningDropped > 0)
    }

    @Test("a .jsonl.zst dataset streams to the same records as the plain file")
    func compressed() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let plain = root.appendingPathComponent("recipes/data/sample-eval.jsonl").path
        guard FileManager.default.fileExists(atPath: plain) else { print("note: \(plain) absent; skipping"); return }
        var s1 = DatasetSummary(), s2 = DatasetSummary()
        let zst = Self.fixtures.appendingPathComponent("datasets/sample-eval.jsonl.zst").path
        let a = try DatasetReader().read(plain, summary: &s1).map(\.record)
        let b = try DatasetReader().read(zst, summary: &s2).map(\.record)
        #expect(a == b && a.count == 10)
    }
}
