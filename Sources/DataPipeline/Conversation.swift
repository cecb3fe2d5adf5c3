import Storage

/// One chat example in the canonical form every dataset format is converted to: OpenAI-style
/// `messages` (objects with role, content, reasoning_content, tool_calls, tool_call_id, name) plus
/// optional `tools` and per-record `chat_template_kwargs`. Kept as JSON values because the chat
/// template consumes exactly this shape.
public struct Conversation: Sendable, Equatable {
    public var messages: [JSONValue]
    public var tools: [JSONValue]?
    public var templateKeywords: JSONObject

    public init(messages: [JSONValue], tools: [JSONValue]? = nil, templateKeywords: JSONObject = JSONObject()) {
        self.messages = messages; self.tools = tools; self.templateKeywords = templateKeywords
    }
}

/// Turns a conversation into the text the model sees (the model's own Jinja chat template with
/// Kimi's preprocessing). Implemented by `ChatTemplate`.
public protocol ChatRenderer: Sendable {
    func render(_ conversation: Conversation, addGenerationPrompt: Bool) throws -> String
}

/// Text <-> token ids. Special-token strings inside the text become their ids, as Kimi's
/// tokenizer does. Implemented by `TiktokenTokenizer`.
public protocol TextTokenizer: Sendable {
    var vocabularySize: Int { get }
    func encode(_ text: String) -> [Int]
    func decode(_ ids: [Int]) -> String
}
