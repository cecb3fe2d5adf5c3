import Storage

/// Alpaca records: `instruction`, optional `input` (appended on a new line, as LLaMA-Factory
/// does), `output`, optional `system` and `history` (a list of `[query, answer]` pairs that
/// become earlier user/assistant turns).
enum AlpacaFormat {
    static func conversation(_ record: JSONObject, source: String) throws -> Conversation {
        let f = RecordFields(source: source)
        let instruction = try f.string(record["instruction"], "instruction")
        let input = try f.optionalString(record["input"], "input") ?? ""
        let output = try f.string(record["output"], "output")
        var messages: [(String, String)] = []
        if let system = try f.optionalString(record["system"], "system"), !system.isEmpty {
            messages.append(("system", system))
        }
        if let history = record["history"], history != .null {
            for (k, pair) in try f.array(history, "history").enumerated() {
                let items = try f.array(pair, "history[\(k)]")
                guard items.count == 2 else { throw f.fail("history[\(k)] must be a [query, answer] pair, got \(items.count) items") }
                messages.append(("user", try f.string(items[0], "history[\(k)][0]")))
                messages.append(("assistant", try f.string(items[1], "history[\(k)][1]")))
            }
        }
        messages.append(("user", input.isEmpty ? instruction : instruction + "\n" + input))
        messages.append(("assistant", output))
        var converted = JSONObject()
        converted["messages"] = .array(messages.map { .object(JSONObject([("role", .string($0.0)), ("content", .string($0.1))])) })
        converted["tools"] = record["tools"]
        converted["chat_template_kwargs"] = record["chat_template_kwargs"]
        return try OpenAIMessagesFormat.conversation(converted, source: source)
    }
}
