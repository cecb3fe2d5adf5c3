import Storage

/// The record layouts a dataset file may use. Detected per file from the first record's keys and
/// overridable by the recipe.
public enum DatasetFormat: String, Sendable, CaseIterable {
    /// `{"messages": [{"role", "content", "reasoning_content", "tool_calls", ...}], "tools": [...]}`
    case openAIMessages = "openai"
    /// `{"conversations": [{"from": "human"|"gpt"|"system"|"function_call"|"observation", "value"}]}`
    case shareGPT = "sharegpt"
    /// `{"instruction", "input", "output", "system", "history": [[q, a], ...]}`
    case alpaca = "alpaca"
    /// `{"input_ids": [...], "labels": [...]}`, already tokenized and masked.
    case preTokenized = "tokenized"

    /// The format a record's keys announce, or nil when none does.
    public static func detect(_ record: JSONObject) -> DatasetFormat? {
        if record["messages"] != nil { return .openAIMessages }
        if record["conversations"] != nil { return .shareGPT }
        if record["input_ids"] != nil { return .preTokenized }
        if record["instruction"] != nil { return .alpaca }
        return nil
    }

    /// Converts one parsed record (from file:line `source`) to the canonical form.
    public func convert(_ record: JSONObject, source: String) throws -> DatasetRecord {
        switch self {
        case .openAIMessages: return .conversation(try OpenAIMessagesFormat.conversation(record, source: source))
        case .shareGPT: return .conversation(try ShareGPTFormat.conversation(record, source: source))
        case .alpaca: return .conversation(try AlpacaFormat.conversation(record, source: source))
        case .preTokenized: return .tokens(try PreTokenizedFormat.example(record, source: source))
        }
    }
}

/// One dataset record in canonical form: a conversation still to render, or ready tokens.
public enum DatasetRecord: Sendable, Equatable {
    case conversation(Conversation)
    case tokens(LabeledExample)
}

/// A record with where it came from, for error messages and the run summary.
public struct SourcedRecord: Sendable, Equatable {
    public var record: DatasetRecord
    /// `file:line`
    public var source: String

    public init(record: DatasetRecord, source: String) {
        self.record = record
        self.source = source
    }
}
