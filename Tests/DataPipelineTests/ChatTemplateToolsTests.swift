import Foundation
import Testing
import Storage
@testable import DataPipeline

@Suite("Kimi tools_ts_str and preprocessing")
struct ChatTemplateToolsTests {
    @Test("TypeScript declarations match Kimi's encoder; unsupported schemas fail like it does")
    func typeScriptGolden() throws {
        let cases = try #require(try loadJSONFixture("tools_ts.json")["cases"]?.arrayValue)
        #expect(cases.count >= 9)
        for entry in cases {
            let name = entry["name"]?.stringValue ?? "?"
            let tools = (entry["tools"]?.arrayValue ?? []).map(ChatTemplate.deepSorted)
            let result = Result { try ToolDeclarationTypeScript.encode(tools) }
            if let expected = entry["expected"]?.stringValue {
                switch result {
                case .success(let text): #expect(text == expected, "\(name): \(firstDifference(text, expected))")
                case .failure(let error): Issue.record("\(name) failed: \(error)")
                }
            } else if case .success(let text) = result {
                Issue.record("\(name) encoded \(text.debugDescription); Kimi's encoder raised \(entry["error"]?.stringValue ?? "")")
            }
        }
    }

    @Test("an unsupported schema leaves tools_ts_str out, so K2.5 falls back to the JSON declaration")
    func fallbackToJSON() throws {
        let template = try ChatTemplate(contentsOf: try templateFixture("kimi-k2.5.jinja"))
        let bad = try JSONParser.parse(#"[{"type": "function", "function": {"name": "bad", "parameters": {"type": "object", "properties": {"a": {"type": ["string", "date"]}}}}}]"#)
        let user = try JSONParser.parse(#"{"role": "user", "content": "hi"}"#)
        let text = try template.render(Conversation(messages: [user], tools: bad.arrayValue), addGenerationPrompt: false)
        let expectedPrefix = #"<|im_system|>tool_declare<|im_middle|>[{"function":{"name":"bad","parameters":{"properties":{"a":{"type":["string","date"]}},"type":"object"}},"type":"function"}]<|im_end|>"#
        #expect(text.hasPrefix(expectedPrefix), "got \(text.debugDescription)")
    }

    @Test("deep sort orders keys at every level and keeps list order")
    func deepSort() throws {
        let value = try JSONParser.parse(#"{"b": [{"z": 1, "a": 2}, 3], "a": {"y": null, "x": true}}"#)
        let sorted = ChatTemplate.deepSorted(value)
        #expect(JSONSerializer().serialize(sorted) == #"{"a": {"x": true, "y": null}, "b": [{"a": 2, "z": 1}, 3]}"#)
    }

    @Test("reasoning is aliased under thinking and reasoning_content as transformers does")
    func reasoningAlias() throws {
        let message = try JSONParser.parse(#"{"role": "assistant", "reasoning": "r", "content": "c"}"#)
        let aliased = ChatTemplate.aliasingReasoning(message)
        #expect(JSONSerializer().serialize(aliased) == #"{"thinking": "r", "role": "assistant", "reasoning": "r", "content": "c", "reasoning_content": "r"}"#)
        let plain = try JSONParser.parse(#"{"role": "user", "content": "c", "reasoning_content": null}"#)
        #expect(ChatTemplate.aliasingReasoning(plain) == plain)
    }

    @Test("thinking from the conversation's template keywords overrides Kimi's default")
    func thinkingKeyword() throws {
        let template = try ChatTemplate(contentsOf: try templateFixture("kimi-k2.5.jinja"))
        let user = try JSONParser.parse(#"{"role": "user", "content": "hi"}"#)
        let on = try template.render(Conversation(messages: [user]), addGenerationPrompt: true)
        let off = try template.render(Conversation(messages: [user], templateKeywords: JSONObject([("thinking", .bool(false))])), addGenerationPrompt: true)
        #expect(on.hasSuffix("<|im_assistant|>assistant<|im_middle|><think>"))
        #expect(off.hasSuffix("<|im_assistant|>assistant<|im_middle|><think></think>"))
    }
}

@Suite("ChatTemplate loading")
struct ChatTemplateLoadingTests {
    @Test("a model directory's tokenizer_config.json chat_template (string and named list) and special tokens")
    func tokenizerConfig() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chat-template-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("tokenizer_config.json")
        try #"{"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>", "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}{{ eos_token }}"}"#
            .write(to: config, atomically: true, encoding: .utf8)
        let user = try JSONParser.parse(#"{"role": "user", "content": "hi"}"#)
        #expect(try ChatTemplate(modelDirectory: directory).render(Conversation(messages: [user]), addGenerationPrompt: false) == "<s>hi</s>")

        try #"{"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D{{ messages|length }}"}]}"#
            .write(to: config, atomically: true, encoding: .utf8)
        #expect(try ChatTemplate(modelDirectory: directory).render(Conversation(messages: [user]), addGenerationPrompt: false) == "D1")

        // chat_template.jinja wins over tokenizer_config.json.
        try "J".write(to: directory.appendingPathComponent("chat_template.jinja"), atomically: true, encoding: .utf8)
        #expect(try ChatTemplate(modelDirectory: directory).render(Conversation(messages: [user]), addGenerationPrompt: false) == "J")
    }

    @Test("missing and malformed configurations are typed errors naming the file")
    func malformedConfig() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chat-template-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: ChatTemplateError.self) { try ChatTemplate(modelDirectory: directory) }
        let config = directory.appendingPathComponent("tokenizer_config.json")
        for bad in [#"{"chat_template": 5}"#, #"{"chat_template": [{"name": "x", "template": "y"}]}"#, #"{"chat_template": "#, "[]"] {
            try bad.write(to: config, atomically: true, encoding: .utf8)
            do {
                _ = try ChatTemplate(modelDirectory: directory)
                Issue.record("\(bad) was accepted")
            } catch let error as ChatTemplateError {
                #expect(error.description.contains("tokenizer_config.json"), "\(error)")
            }
        }
        try #"{"chat_template": "{% if x %}"}"#.write(to: config, atomically: true, encoding: .utf8)
        #expect(throws: ChatTemplateError.self) { try ChatTemplate(modelDirectory: directory) }
    }
}
