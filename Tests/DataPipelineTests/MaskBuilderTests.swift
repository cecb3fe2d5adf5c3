import DataPipeline
import Storage
import Testing
import TestSupport

@Suite("Assistant-only masks")
struct MaskBuilderTests {
    let tokenizer = ToyByteTokenizer()

    func builder(_ options: MaskOptions = MaskOptions(), renderer: any ChatRenderer = ToyKimiRenderer()) -> AssistantMaskBuilder {
        AssistantMaskBuilder(renderer: renderer, tokenizer: tokenizer, options: options)
    }

    @Test("single turn: reasoning-less answer and <|im_end|> trained, prompt and <think> not")
    func singleTurn() throws {
        let c = Conversation(messages: [message("system", "Be brief."), message("user", "Hi"), message("assistant", "Hello!")])
        let examples = try builder().examples(for: c, record: "t:1")
        #expect(examples.count == 1)
        #expect(trainedSpans(examples[0]) == ["</think>Hello!<|im_end|>"])
        let full = try ToyKimiRenderer().render(c, addGenerationPrompt: false)
        #expect(examples[0].inputIds == tokenizer.encode(full).map(Int32.init))
        for t in 0..<examples[0].count where examples[0].labels[t] != LabeledExample.ignoreLabel {
            #expect(examples[0].labels[t] == examples[0].inputIds[t])
        }
    }

    @Test("append-only multi-turn: every assistant turn trained in one example, reasoning included")
    func multiTurnAppendOnly() throws {
        let c = Conversation(messages: [
            message("user", "2+2?"), message("assistant", "4", reasoning: "add"),
            message("user", "和 3+3?"), message("assistant", "6", reasoning: "加法"),
        ])
        let examples = try builder(renderer: ToyKimiRenderer(dropsHistoryReasoning: false)).examples(for: c, record: "t:2")
        #expect(examples.count == 1)
        #expect(trainedSpans(examples[0]) == ["add</think>4<|im_end|>", "加法</think>6<|im_end|>"])
    }

    @Test("K2.5-style history rewrite: tool-call chain gets its own example, final answer stays in the full render")
    func nonAppendOnlyToolChain() throws {
        let c = Conversation(messages: [
            message("user", "Weather in Beijing?"),
            message("assistant", "Let me check.", reasoning: "Need tool.", toolCalls: [toolCall("functions.get_weather:0", "get_weather", "{\"city\": \"Beijing\"}")]),
            message("tool", "Sunny", toolCallId: "functions.get_weather:0"),
            message("assistant", "It is sunny.", reasoning: "Done."),
        ], tools: [.object(JSONObject([("type", .string("function"))]))])
        let examples = try builder().examples(for: c, record: "t:3")
        #expect(examples.count == 2)
        // Full render: the template drops the tool-call turn's reasoning (and the final turn's).
        #expect(trainedSpans(examples[0]) == ["</think>It is sunny.<|im_end|>"])
        // Separate example: the tool-call turn as the model produced it, with its reasoning.
        #expect(trainedSpans(examples[1]) == ["Need tool.</think>Let me check.<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{\"city\": \"Beijing\"}<|tool_call_end|><|tool_calls_section_end|><|im_end|>"])
        #expect(!tokenizer.decode(examples[1].inputIds.map(Int.init)).contains("Sunny"))
    }

    @Test("preserve_thinking makes the same conversation append-only: one example")
    func preserveThinking() throws {
        let c = Conversation(messages: [
            message("user", "q"),
            message("assistant", nil, reasoning: "r1", toolCalls: [toolCall("functions.f:0", "f", "{}")]),
            message("tool", "x", toolCallId: "functions.f:0"),
            message("assistant", "a", reasoning: "r2"),
        ])
        let examples = try builder(MaskOptions(preserveThinking: true)).examples(for: c, record: "t:4")
        #expect(examples.count == 1)
        #expect(trainedSpans(examples[0]).count == 2)
        #expect(trainedSpans(examples[0]).last == "r2</think>a<|im_end|>")
    }

    @Test("mask_history trains only the last assistant turn; train_on_prompt trains everything")
    func options() throws {
        let c = Conversation(messages: [message("user", "a"), message("assistant", "b"), message("user", "c"), message("assistant", "d")])
        let last = try builder(MaskOptions(maskHistory: true)).examples(for: c, record: "t:5")
        #expect(last.count == 1 && trainedSpans(last[0]) == ["</think>d<|im_end|>"])
        let all = try builder(MaskOptions(trainOnPrompt: true)).examples(for: c, record: "t:5")
        #expect(all.count == 1 && all[0].labels == all[0].inputIds)
    }

    @Test("chat_template_kwargs thinking=false reaches the template: <think></think> is prompt, not trained")
    func thinkingOff() throws {
        let c = Conversation(messages: [message("user", "hi"), message("assistant", "yo", reasoning: "hidden")],
                             templateKeywords: JSONObject([("thinking", .bool(false))]))
        let examples = try builder().examples(for: c, record: "t:6")
        #expect(trainedSpans(examples[0]) == ["yo<|im_end|>"])
    }

    @Test("trailing user message after the last answer stays untrained")
    func trailingUser() throws {
        let c = Conversation(messages: [message("user", "a"), message("assistant", "b"), message("user", "c")])
        let examples = try builder().examples(for: c, record: "t:7")
        #expect(examples.count == 1 && trainedSpans(examples[0]) == ["</think>b<|im_end|>"])
    }

    @Test("turns whose reasoning the template does not render are counted, others not")
    func reasoningDropped() throws {
        let chain = Conversation(messages: [
            message("user", "q"),
            message("assistant", "c", reasoning: "shown in its own example", toolCalls: [toolCall("functions.f:0", "f", "{}")]),
            message("tool", "x", toolCallId: "functions.f:0"),
            message("assistant", "a", reasoning: "dropped by the template"),
        ])
        #expect(try builder().masked(chain, record: "r").turnsWithReasoningDropped == 1)
        #expect(try builder(renderer: ToyKimiRenderer(dropsHistoryReasoning: false)).masked(chain, record: "r").turnsWithReasoningDropped == 0)
        var off = chain
        off.templateKeywords["thinking"] = .bool(false)
        #expect(try builder().masked(off, record: "r").turnsWithReasoningDropped == 2)
        let noReasoning = Conversation(messages: [message("user", "q"), message("assistant", "a")])
        #expect(try builder().masked(noReasoning, record: "r").turnsWithReasoningDropped == 0)
    }

    @Test("errors name the record: no assistant, template failure, non-append-only template")
    func errors() throws {
        #expect(throws: MaskError.noAssistantTurn(record: "d.jsonl:9")) {
            try builder().examples(for: Conversation(messages: [message("user", "x")]), record: "d.jsonl:9")
        }
        #expect(throws: MaskError.renderFailed(record: "d.jsonl:10", message: "message 0 has no role")) {
            try builder().examples(for: Conversation(messages: [.object(JSONObject()), message("assistant", "x")]), record: "d.jsonl:10")
        }
        #expect(throws: MaskError.notAppendOnly(record: "d.jsonl:11", turn: 1)) {
            try builder(renderer: CountingRenderer()).examples(
                for: Conversation(messages: [message("user", "x"), message("assistant", "y")]), record: "d.jsonl:11")
        }
    }
}
