import Storage

/// One record as `kimi-sft render` shows it: the template's text and, when a tokenizer is
/// available, the tokens and labels a training run would use (the pre-tokenized format).
public struct RenderedExample: Sendable, Equatable {
    public var text: String
    public var inputIds: [Int32]?
    public var labels: [Int32]?

    public init(text: String, inputIds: [Int32]? = nil, labels: [Int32]? = nil) {
        self.text = text
        self.inputIds = inputIds
        self.labels = labels
    }

    /// `{"text": ..., "input_ids": [...], "labels": [...]}` on one line (keys absent when nil).
    public var jsonLine: String {
        var o = JSONObject([("text", .string(text))])
        if let ids = inputIds { o["input_ids"] = .array(ids.map { .int(Int($0)) }) }
        if let labels { o["labels"] = .array(labels.map { .int(Int($0)) }) }
        return JSONSerializer(separators: (", ", ": ")).serialize(.object(o))
    }

    /// The text with trained tokens in bold green (ANSI), for a terminal. Runs of trained and
    /// untrained tokens are decoded separately, so a run boundary inside a multi-byte character
    /// may show a replacement mark.
    public func highlighted(with tokenizer: any TextTokenizer) -> String {
        guard let ids = inputIds, let labels, !ids.isEmpty else { return text }
        var out = ""
        var start = 0
        for t in 1...ids.count where t == ids.count || (labels[t] == LabeledExample.ignoreLabel) != (labels[t - 1] == LabeledExample.ignoreLabel) {
            let piece = tokenizer.decode(ids[start..<t].map { Int($0) })
            out += labels[start] == LabeledExample.ignoreLabel ? piece : "\u{1B}[1;32m" + piece + "\u{1B}[0m"
            start = t
        }
        return out
    }
}

/// Renders dataset records for inspection: the conversation through the chat template, and with
/// a tokenizer the masked examples exactly as training builds them.
public struct RecordRendering: Sendable {
    public let renderer: any ChatRenderer
    public let tokenizer: (any TextTokenizer)?
    public let options: MaskOptions
    public let addGenerationPrompt: Bool

    public init(renderer: any ChatRenderer, tokenizer: (any TextTokenizer)?, options: MaskOptions = MaskOptions(),
                addGenerationPrompt: Bool = false) {
        self.renderer = renderer
        self.tokenizer = tokenizer
        self.options = options
        self.addGenerationPrompt = addGenerationPrompt
    }

    /// The examples of one record: one for plain rendering; with a tokenizer, one per training
    /// example (a template that rewrites history may yield several). With
    /// `addGenerationPrompt` the record is shown as a prompt (ids, no labels).
    public func render(_ sourced: SourcedRecord) throws -> [RenderedExample] {
        switch sourced.record {
        case .tokens(let example):
            let text = tokenizer?.decode(example.inputIds.map { Int($0) }) ?? ""
            return [RenderedExample(text: text, inputIds: example.inputIds, labels: example.labels)]
        case .conversation(let conversation):
            let text: String
            do { text = try renderer.render(conversation, addGenerationPrompt: addGenerationPrompt) } catch {
                throw MaskError.renderFailed(record: sourced.source, message: "\(error)")
            }
            guard let tokenizer else { return [RenderedExample(text: text)] }
            if addGenerationPrompt {
                return [RenderedExample(text: text, inputIds: tokenizer.encode(text).map { Int32(truncatingIfNeeded: $0) })]
            }
            let builder = AssistantMaskBuilder(renderer: renderer, tokenizer: tokenizer, options: options)
            let examples = try builder.examples(for: conversation, record: sourced.source)
            // Each example is shown by its own tokens: a template that rewrites history yields
            // per-turn examples whose text is not the full render's.
            return examples.map { e in
                RenderedExample(text: tokenizer.decode(e.inputIds.map { Int($0) }), inputIds: e.inputIds, labels: e.labels)
            }
        }
    }
}
