import Foundation
import Testing
import Storage
@testable import DataPipeline

@Suite("Chat templates against transformers' render_jinja_template")
struct ChatTemplateGoldenTests {
    @Test("3 Kimi + 10 other templates x 11 conversations x add_generation_prompt render byte for byte")
    func chatRenders() throws {
        let fixture = try loadJSONFixture("chat_renders.json")
        let conversations = try #require(fixture["conversations"]?.objectValue)
        let cases = try #require(fixture["cases"]?.arrayValue)
        #expect(fixture["tools_ts_str"] == .bool(true), "fixtures must be made with Kimi's tool_declaration_ts.py")
        // The script pins strftime_now to 2024-07-26 12:00 local time.
        let fixedClock = Calendar.current.date(from: DateComponents(year: 2024, month: 7, day: 26, hour: 12))!
        var templates: [String: ChatTemplate] = [:]
        var rendered = 0
        for entry in cases {
            let name = try #require(entry["template"]?.stringValue)
            let isKimi = entry["kimi"] == .bool(true)
            if templates[name] == nil {
                let special: JSONObject = isKimi
                    ? JSONObject([("bos_token", .string("[BOS]")), ("eos_token", .string("[EOS]"))])
                    : JSONObject([("bos_token", .string("<s>")), ("eos_token", .string("</s>"))])
                var template = try ChatTemplate(contentsOf: try templateFixture(name), specialTokens: special)
                template.template.clock = { fixedClock }
                templates[name] = template
                #expect(templates[name]!.preprocessing == (isKimi ? .kimi : .standard), "\(name) preprocessing detection")
            }
            let conversationName = try #require(entry["conversation"]?.stringValue)
            let c = try #require(conversations[conversationName]?.objectValue)
            let conversation = Conversation(messages: c["messages"]?.arrayValue ?? [], tools: c["tools"]?.arrayValue,
                                            templateKeywords: c["kwargs"]?.objectValue ?? JSONObject())
            let addGenerationPrompt = entry["add_generation_prompt"] == .bool(true)
            let label = "\(name) / \(conversationName) / add_generation_prompt=\(addGenerationPrompt)"
            let result = Result { try templates[name]!.render(conversation, addGenerationPrompt: addGenerationPrompt) }
            if let expected = entry["expected"]?.stringValue {
                switch result {
                case .success(let text):
                    #expect(text == expected, "\(label): \(firstDifference(text, expected))")
                    rendered += 1
                case .failure(let error): Issue.record("\(label) failed: \(error)")
                }
            } else if case .success(let text) = result {
                Issue.record("\(label) rendered \(text.debugDescription) but transformers raised \(entry["error"]?.stringValue ?? "")")
            }
        }
        #expect(rendered >= 220, "rendered \(rendered) golden cases")
    }

    @Test("the K2.5 render in shared/fixtures/templates/README.md")
    func readmeExample() throws {
        let template = try ChatTemplate(contentsOf: try templateFixture("kimi-k2.5.jinja"))
        let messages: [JSONValue] = [
            .object(JSONObject([("role", .string("system")), ("content", .string("You are a helpful assistant."))])),
            .object(JSONObject([("role", .string("user")), ("content", .string("Weather in Beijing?"))])),
            .object(JSONObject([("role", .string("assistant")), ("content", .string("Let me check.")),
                                ("reasoning_content", .string("Need tool.")),
                                ("tool_calls", .array([.object(JSONObject([
                                    ("id", .string("functions.get_weather:0")), ("type", .string("function")),
                                    ("function", .object(JSONObject([("name", .string("get_weather")),
                                                                     ("arguments", .object(JSONObject([("city", .string("Beijing"))])))])))]))]))])),
            .object(JSONObject([("role", .string("tool")), ("tool_call_id", .string("functions.get_weather:0")), ("name", .string("get_weather")), ("content", .string("Sunny"))])),
        ]
        let text = try template.render(Conversation(messages: messages), addGenerationPrompt: true)
        let expected = "<|im_system|>system<|im_middle|>You are a helpful assistant.<|im_end|><|im_user|>user<|im_middle|>Weather in Beijing?<|im_end|><|im_assistant|>assistant<|im_middle|><think>Need tool.</think>Let me check.<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{\"city\": \"Beijing\"}<|tool_call_end|><|tool_calls_section_end|><|im_end|><|im_system|>get_weather<|im_middle|>## Return of functions.get_weather:0\nSunny<|im_end|><|im_assistant|>assistant<|im_middle|><think>"
        #expect(text == expected, "\(firstDifference(text, expected))")
    }
}
