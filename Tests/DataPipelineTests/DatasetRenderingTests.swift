import DataPipeline
import Storage
import Testing

@Suite("Record rendering (kimi-sft render)")
struct DatasetRenderingTests {
    let tokenizer = ToyByteTokenizer()
    let chat = SourcedRecord(record: .conversation(Conversation(messages: [message("user", "hi"), message("assistant", "yo")])), source: "r:1")

    @Test("template only: text is the render; JSON line has no ids")
    func textOnly() throws {
        let out = try RecordRendering(renderer: ToyKimiRenderer(), tokenizer: nil).render(chat)
        let expected = try ToyKimiRenderer().render(Conversation(messages: [message("user", "hi"), message("assistant", "yo")]), addGenerationPrompt: false)
        #expect(out == [RenderedExample(text: expected)])
        let parsed = try JSONParser.parse(out[0].jsonLine)
        #expect(parsed["text"] == JSONValue.string(expected) && parsed["input_ids"] == nil)
    }

    @Test("with a tokenizer the JSON line is a valid pre-tokenized record equal to the training example")
    func tokenized() throws {
        let out = try RecordRendering(renderer: ToyKimiRenderer(), tokenizer: tokenizer).render(chat)
        guard case .conversation(let c) = chat.record else { return }
        let training = try AssistantMaskBuilder(renderer: ToyKimiRenderer(), tokenizer: tokenizer).examples(for: c, record: "r:1")
        #expect(out.count == training.count)
        let parsed = try JSONParser.parse(out[0].jsonLine).objectValue!
        let reread = try DatasetFormat.preTokenized.convert(parsed, source: "render")
        #expect(reread == .tokens(training[0]))
        let shown = out[0].highlighted(with: tokenizer)
        #expect(shown.contains("\u{1B}[1;32m</think>yo<|im_end|>\u{1B}[0m"), "\(shown)")
        #expect(shown.replacingOccurrences(of: "\u{1B}[1;32m", with: "").replacingOccurrences(of: "\u{1B}[0m", with: "") == out[0].text)
    }

    @Test("--add-generation-prompt shows the prompt with ids and no labels")
    func generationPrompt() throws {
        let out = try RecordRendering(renderer: ToyKimiRenderer(), tokenizer: tokenizer, addGenerationPrompt: true).render(chat)
        #expect(out.count == 1 && out[0].labels == nil && out[0].text.hasSuffix("<|im_assistant|>assistant<|im_middle|><think>"))
        #expect(out[0].inputIds == tokenizer.encode(out[0].text).map(Int32.init))
    }

    @Test("template failure names the record")
    func failure() {
        let bad = SourcedRecord(record: .conversation(Conversation(messages: [.object(JSONObject())])), source: "x.jsonl:4")
        #expect(throws: MaskError.renderFailed(record: "x.jsonl:4", message: "message 0 has no role")) {
            try RecordRendering(renderer: ToyKimiRenderer(), tokenizer: nil).render(bad)
        }
    }
}
