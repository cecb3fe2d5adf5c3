import Storage

/// ShareGPT records as LLaMA-Factory reads them: `conversations` of `{from, value}` with from in
/// human/gpt/system/function_call/observation, optional top-level `system` and `tools`.
/// Converted to OpenAI messages: human -> user, gpt -> assistant, function_call -> an assistant
/// message whose `tool_calls` come from the JSON value (`{"name", "arguments"}` or a list of them),
/// observation -> tool (linked to the call it answers by the OpenAI converter).
enum ShareGPTFormat {
    static func conversation(_ record: JSONObject, source: String) throws -> Conversation {
        let f = RecordFields(source: source)
        let turns = try f.array(record["conversations"], "conversations")
        guard !turns.isEmpty else { throw f.fail("conversations is empty") }
        var messages: [JSONValue] = []
        if let system = try f.optionalString(record["system"], "system"), !system.isEmpty {
            messages.append(message("system", .string(system)))
        }
        for (i, turn) in turns.enumerated() {
            let path = "conversations[\(i)]"
            let o = try f.object(turn, path)
            let from = try f.string(o["from"], "\(path).from")
            let value = try f.string(o["value"], "\(path).value")
            switch from {
            case "human", "user": messages.append(message("user", .string(value)))
            case "gpt", "assistant": messages.append(message("assistant", .string(value)))
            case "system": messages.append(message("system", .string(value)))
            case "observation", "tool": messages.append(message("tool", .string(value)))
            case "function_call":
                var m = JSONObject([("role", .string("assistant")), ("content", .null)])
                m["tool_calls"] = .array(try toolCalls(value, path: "\(path).value", f))
                messages.append(.object(m))
            default:
                throw f.fail("\(path).from '\(from)' is not one of human, gpt, system, function_call, observation")
            }
        }
        var converted = record
        converted["messages"] = .array(messages)
        return try OpenAIMessagesFormat.conversation(converted, source: source)
    }

    static func message(_ role: String, _ content: JSONValue) -> JSONValue {
        .object(JSONObject([("role", .string(role)), ("content", content)]))
    }

    static func toolCalls(_ text: String, path: String, _ f: RecordFields) throws -> [JSONValue] {
        let parsed: JSONValue
        do { parsed = try JSONParser.parse(text, source: path) } catch {
            throw f.fail("\(path) (function_call) is not JSON: \(error)")
        }
        let calls = parsed.arrayValue ?? [parsed]
        return try calls.enumerated().map { k, call in
            let o = try f.object(call, "\(path)[\(k)]")
            let name = try f.string(o["name"], "\(path)[\(k)].name")
            let arguments = o["arguments"] ?? .object(JSONObject())
            let function = JSONObject([("name", .string(name)), ("arguments", arguments)])
            return .object(JSONObject([("type", .string("function")), ("function", .object(function))]))
        }
    }
}
