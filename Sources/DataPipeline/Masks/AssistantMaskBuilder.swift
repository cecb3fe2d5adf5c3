import Storage

/// Builds assistant-only loss masks from template renders with token-prefix checks, never by
/// searching the rendered text.
///
/// For assistant message i: P = tokens(render(messages[..<i], add_generation_prompt: true)) is what
/// the model saw before it spoke; T = tokens(render(messages[...i])) is the conversation through
/// its answer. When P is a token prefix of T, the assistant produced exactly T[P.count...] (its
/// reasoning, content, tool calls and closing `<|im_end|>`), and those positions are trained.
///
/// Templates that are not append-only (K2.5 drops earlier turns' `reasoning_content` once a later
/// plain answer exists) are handled in two places:
/// - P not a prefix of T: the template rewrote the history when message i was added. The prompt is
///   re-rendered with earlier assistants' reasoning removed (the history form the template itself
///   uses); if that is a prefix, the turn is taken from that render, else `MaskError.notAppendOnly`.
/// - T not a prefix of the full conversation's render: the turn would change in the full example,
///   so it gets its own example (T, trained on its span). Turns whose T is a prefix of an example
///   already made share it, so a K2.5 tool-call chain costs one extra example, not one per turn.
public struct AssistantMaskBuilder: Sendable {
    public let renderer: any ChatRenderer
    public let tokenizer: any TextTokenizer
    public let options: MaskOptions

    public init(renderer: any ChatRenderer, tokenizer: any TextTokenizer, options: MaskOptions = MaskOptions()) {
        self.renderer = renderer
        self.tokenizer = tokenizer
        self.options = options
    }

    /// The training examples for one conversation: the full render first, then any per-turn
    /// examples, each with at least one trained position. `record` names the source (file:line).
    public func examples(for conversation: Conversation, record: String) throws -> [LabeledExample] {
        try masked(conversation, record: record).examples
    }

    /// The examples plus what the template left out, for the run summary.
    public func masked(_ conversation: Conversation, record: String) throws -> MaskedConversation {
        var conversation = conversation
        if options.preserveThinking && conversation.templateKeywords["preserve_thinking"] == nil {
            conversation.templateKeywords["preserve_thinking"] = .bool(true)
        }
        let assistantTurns = conversation.messages.indices.filter { conversation.messages[$0]["role"]?.stringValue == "assistant" }
        guard let lastTurn = assistantTurns.last else { throw MaskError.noAssistantTurn(record: record) }
        let targets = options.maskHistory ? [lastTurn] : assistantTurns

        var examples = [LabeledExample(untrained: try tokens(conversation, addGenerationPrompt: false, record: record))]
        var reasoningDropped = 0
        // Latest turn first: its render is the longest, so earlier turns can share its example.
        for turn in targets.reversed() {
            let (turnTokens, start) = try span(of: turn, in: conversation, record: record)
            if try templateDropsReasoning(of: turn, in: conversation, through: turnTokens, record: record) { reasoningDropped += 1 }
            if let host = examples.firstIndex(where: { $0.inputIds.starts(with: turnTokens) }) {
                examples[host].train(start..<turnTokens.count)
            } else {
                var separate = LabeledExample(untrained: turnTokens)
                separate.train(start..<turnTokens.count)
                examples.append(separate)
            }
        }
        examples.removeAll { $0.trainedTokenCount == 0 }
        if options.trainOnPrompt {
            for e in examples.indices { examples[e].train(0..<examples[e].count) }
        }
        return MaskedConversation(examples: examples, turnsWithReasoningDropped: reasoningDropped)
    }

    /// Whether assistant message `turn` has reasoning that its training render does not show:
    /// the render through the turn is token-identical with the reasoning removed. K2.5 does this
    /// to every answer without tool calls (and `thinking: false` to all), so such turns train an
    /// empty `<think></think>`; the run summary counts them.
    func templateDropsReasoning(of turn: Int, in conversation: Conversation, through turnTokens: [Int32], record: String) throws -> Bool {
        let message = conversation.messages[turn]
        guard Self.reasoningKeys.contains(where: { (message[$0]?.stringValue ?? "").isEmpty == false }) else { return false }
        var stripped = conversation
        stripped.messages = Array(conversation.messages[..<turn]) + [Self.withoutReasoning(message)]
        let plain = try tokens(stripped, addGenerationPrompt: false, record: record)
        if plain == turnTokens { return true }
        // The turn came from the history-rewritten render: compare against that form.
        stripped.messages = conversation.messages[..<turn].map(Self.withoutReasoning) + [Self.withoutReasoning(message)]
        return try tokens(stripped, addGenerationPrompt: false, record: record) == turnTokens
    }

    /// The render through assistant message `turn` and where the assistant's own tokens start in it.
    func span(of turn: Int, in conversation: Conversation, record: String) throws -> (tokens: [Int32], start: Int) {
        var before = conversation, through = conversation
        before.messages = Array(conversation.messages[..<turn])
        through.messages = Array(conversation.messages[...turn])
        let prompt = try tokens(before, addGenerationPrompt: true, record: record)
        let full = try tokens(through, addGenerationPrompt: false, record: record)
        if full.starts(with: prompt) {
            guard full.count > prompt.count else { throw MaskError.emptyTurn(record: record, turn: turn) }
            return (full, prompt.count)
        }
        // The template rewrote the history; retry with the history in the form it rewrites it to.
        before.messages = before.messages.map(Self.withoutReasoning)
        through.messages = before.messages + [conversation.messages[turn]]
        let historyPrompt = try tokens(before, addGenerationPrompt: true, record: record)
        let historyFull = try tokens(through, addGenerationPrompt: false, record: record)
        guard historyFull.starts(with: historyPrompt) else { throw MaskError.notAppendOnly(record: record, turn: turn) }
        guard historyFull.count > historyPrompt.count else { throw MaskError.emptyTurn(record: record, turn: turn) }
        return (historyFull, historyPrompt.count)
    }

    private func tokens(_ conversation: Conversation, addGenerationPrompt: Bool, record: String) throws -> [Int32] {
        let text: String
        do {
            text = try renderer.render(conversation, addGenerationPrompt: addGenerationPrompt)
        } catch {
            throw MaskError.renderFailed(record: record, message: "\(error)")
        }
        return tokenizer.encode(text).map { Int32(truncatingIfNeeded: $0) }
    }

    /// The keys transformers reads reasoning from (`_alias_reasoning_fields`).
    static let reasoningKeys = ["reasoning_content", "thinking", "reasoning"]

    /// An assistant message with its reasoning removed; other messages unchanged.
    static func withoutReasoning(_ message: JSONValue) -> JSONValue {
        guard var object = message.objectValue, object["role"]?.stringValue == "assistant" else { return message }
        for key in reasoningKeys { object[key] = nil }
        return .object(object)
    }
}
