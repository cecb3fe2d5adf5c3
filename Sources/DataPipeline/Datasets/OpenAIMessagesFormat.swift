import Storage

/// OpenAI chat records: `messages` (system/user/assistant/tool; content as string or parts;
/// reasoning_content; tool_calls; tool_call_id; name), optional `tools` and `chat_template_kwargs`.
/// Validates every field the template reads and fills two gaps the Kimi templates cannot render
/// around: a tool call without `id` gets Kimi's `functions.NAME:INDEX` (INDEX counts calls in the
/// conversation), and a tool result without `tool_call_id` gets the next unanswered call's id.
enum OpenAIMessagesFormat {
    static let roles: Set<String> = ["system", "user", "assistant", "tool"]

    static func conversation(_ record: JSONObject, source: String) throws -> Conversation {
        let f = RecordFields(source: source)
        let raw = try f.array(record["messages"], "messages")
        guard !raw.isEmpty else { throw f.fail("messages is empty") }
        var messages: [JSONValue] = []
        var callCount = 0
        var unanswered: [String] = []
        for (i, value) in raw.enumerated() {
            let path = "messages[\(i)]"
            var m = try f.object(value, path)
            let role = try f.string(m["role"], "\(path).role")
            guard roles.contains(role) else {
                throw f.fail("\(path).role '\(role)' is not one of system, user, assistant, tool")
            }
            try f.content(m["content"], "\(path).content")
            _ = try f.optionalString(m["name"], "\(path).name")
            switch role {
            case "assistant":
                _ = try f.optionalString(m["reasoning_content"], "\(path).reasoning_content")
                if let calls = m["tool_calls"], calls != .null {
                    var filled: [JSONValue] = []
                    for (k, call) in try f.array(calls, "\(path).tool_calls").enumerated() {
                        let callPath = "\(path).tool_calls[\(k)]"
                        var c = try f.object(call, callPath)
                        let function = try f.object(c["function"], "\(callPath).function")
                        let name = try f.string(function["name"], "\(callPath).function.name")
                        switch function["arguments"] {
                        case .string?, .object?: break
                        default: throw f.fail("\(callPath).function.arguments must be a JSON string or an object, got \(RecordFields.kind(function["arguments"]))")
                        }
                        let id = try f.optionalString(c["id"], "\(callPath).id") ?? "functions.\(name):\(callCount)"
                        c["id"] = .string(id)
                        unanswered.append(id)
                        callCount += 1
                        filled.append(.object(c))
                    }
                    m["tool_calls"] = .array(filled)
                }
                let hasContent = m["content"] != nil && m["content"] != .null
                if !hasContent && (m["tool_calls"]?.arrayValue ?? []).isEmpty && m["reasoning_content"] == nil {
                    throw f.fail("\(path) (assistant) has no content, reasoning_content or tool_calls")
                }
            case "tool":
                if m["content"] == nil || m["content"] == .null { throw f.fail("\(path).content (tool result) is missing") }
                if let id = try f.optionalString(m["tool_call_id"], "\(path).tool_call_id") {
                    unanswered.removeAll { $0 == id }
                } else if !unanswered.isEmpty {
                    m["tool_call_id"] = .string(unanswered.removeFirst())
                }
            default:
                if m["content"] == nil || m["content"] == .null { throw f.fail("\(path).content is missing") }
            }
            messages.append(.object(m))
        }
        return Conversation(messages: messages, tools: try tools(record["tools"], f), templateKeywords: try keywords(record, f))
    }

    /// `tools`: a list of objects, or (as LLaMA-Factory writes it) a JSON string holding that list.
    /// Bare function schemas `{"name", "parameters"}` are wrapped as `{"type": "function", "function": ...}`.
    static func tools(_ value: JSONValue?, _ f: RecordFields) throws -> [JSONValue]? {
        var value = value
        if let text = value?.stringValue {
            if text.isEmpty { return nil }
            do { value = try JSONParser.parse(text, source: "tools") } catch {
                throw f.fail("tools is a string but not JSON: \(error)")
            }
        }
        guard let v = value, v != .null else { return nil }
        let list = try f.array(v, "tools")
        return try list.enumerated().map { k, tool in
            let o = try f.object(tool, "tools[\(k)]")
            if o["type"] != nil { return tool }
            _ = try f.string(o["name"], "tools[\(k)].name")
            return .object(JSONObject([("type", .string("function")), ("function", tool)]))
        }
    }

    static func keywords(_ record: JSONObject, _ f: RecordFields) throws -> JSONObject {
        guard let value = record["chat_template_kwargs"], value != .null else { return JSONObject() }
        return try f.object(value, "chat_template_kwargs")
    }
}
