import Foundation
import Storage

/// A model's Jinja chat template rendered as transformers' `apply_chat_template` renders it, with
/// Kimi's tokenizer preprocessing for Kimi templates: tools deep-sorted by key, `tools_ts_str`
/// (TypeScript-style declaration, left out when a schema is unsupported so the template falls
/// back to JSON), and `thinking=True` / `preserve_thinking=False` unless the conversation says
/// otherwise.
public struct ChatTemplate: ChatRenderer {
    /// Which tokenizer's `apply_chat_template` to reproduce.
    public enum Preprocessing: Sendable {
        /// Kimi's TikTokenTokenizer: deep-sorted tools, tools_ts_str, thinking defaults.
        case kimi
        /// Plain transformers.
        case standard
    }

    public let name: String
    public var template: JinjaTemplate
    public var preprocessing: Preprocessing
    /// `bos_token`, `eos_token`, ... as the tokenizer's special_tokens_map passes them.
    public var specialTokens: JSONObject

    /// Parses `source`; `preprocessing` defaults to `.kimi` for templates using Kimi's
    /// `<|im_middle|>` wire format.
    public init(source: String, name: String = "<chat template>", preprocessing: Preprocessing? = nil,
                specialTokens: JSONObject = JSONObject(), limits: JinjaLimits = JinjaLimits()) throws {
        self.name = name
        do { self.template = try JinjaTemplate(source, limits: limits) } catch let e as JinjaError {
            throw ChatTemplateError.template(name: name, e)
        }
        self.preprocessing = preprocessing ?? (source.contains("<|im_middle|>") ? .kimi : .standard)
        self.specialTokens = specialTokens
    }

    /// Loads a template file (`.jinja`).
    public init(contentsOf url: URL, preprocessing: Preprocessing? = nil, specialTokens: JSONObject = JSONObject()) throws {
        let source = try Self.readText(url)
        try self.init(source: source, name: url.path, preprocessing: preprocessing, specialTokens: specialTokens)
    }

    /// Loads a model directory's template: `chat_template.jinja`, else `tokenizer_config.json`'s
    /// `chat_template` (a string, or a list of named templates where `default` is used). Special
    /// tokens come from tokenizer_config.json when present.
    public init(modelDirectory: URL, preprocessing: Preprocessing? = nil) throws {
        let configURL = modelDirectory.appendingPathComponent("tokenizer_config.json")
        var config: JSONObject?
        if FileManager.default.fileExists(atPath: configURL.path) {
            let text = try Self.readText(configURL)
            do {
                guard case .object(let o) = try JSONParser.parse(text, source: configURL.path) else {
                    throw ChatTemplateError.invalidTokenizerConfig(path: configURL.path, reason: "top level is not an object")
                }
                config = o
            } catch let e as JSONSyntaxError {
                throw ChatTemplateError.invalidTokenizerConfig(path: configURL.path, reason: e.description)
            }
        }
        var tokens = JSONObject()
        for key in ["bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"] {
            switch config?[key] {
            case .string(let s)?: tokens[key] = .string(s)
            case .object(let o)?: if let c = o["content"], case .string = c { tokens[key] = c }
            default: break
            }
        }
        let templateURL = modelDirectory.appendingPathComponent("chat_template.jinja")
        if FileManager.default.fileExists(atPath: templateURL.path) {
            try self.init(source: try Self.readText(templateURL), name: templateURL.path, preprocessing: preprocessing, specialTokens: tokens)
            return
        }
        guard let config, let value = config["chat_template"] else { throw ChatTemplateError.noTemplate(directory: modelDirectory.path) }
        let source: String
        switch value {
        case .string(let s): source = s
        case .array(let entries):
            let named = entries.compactMap { e -> (String, String)? in
                guard case .string(let n)? = e["name"], case .string(let t)? = e["template"] else { return nil }
                return (n, t)
            }
            guard let d = named.first(where: { $0.0 == "default" }) else {
                throw ChatTemplateError.invalidTokenizerConfig(path: configURL.path, reason: "chat_template list has no 'default' entry")
            }
            source = d.1
        default:
            throw ChatTemplateError.invalidTokenizerConfig(path: configURL.path, reason: "chat_template is neither a string nor a list")
        }
        try self.init(source: source, name: configURL.path + " chat_template", preprocessing: preprocessing, specialTokens: tokens)
    }

    private static func readText(_ url: URL) throws -> String {
        do {
            let data = try Data(contentsOf: url)
            guard let s = String(data: data, encoding: .utf8) else {
                throw ChatTemplateError.fileUnreadable(path: url.path, reason: "not UTF-8")
            }
            return s
        } catch let e as ChatTemplateError { throw e } catch {
            throw ChatTemplateError.fileUnreadable(path: url.path, reason: "\(error.localizedDescription)")
        }
    }

    public func render(_ conversation: Conversation, addGenerationPrompt: Bool) throws -> String {
        var context: [String: JinjaValue] = [:]
        for (k, v) in specialTokens.pairs { context[k] = JinjaValue(v) }
        var tools = conversation.tools
        if preprocessing == .kimi {
            context["thinking"] = .bool(true)
            context["preserve_thinking"] = .bool(false)
            tools = tools.map { $0.map(Self.deepSorted) }
            if let tools, !tools.isEmpty, let ts = try? ToolDeclarationTypeScript.encode(tools) {
                context["tools_ts_str"] = .string(ts)
            }
        }
        for (k, v) in conversation.templateKeywords.pairs { context[k] = JinjaValue(v) }
        context["messages"] = .list(conversation.messages.map { JinjaValue(Self.aliasingReasoning($0)) })
        context["tools"] = tools.map { .list($0.map(JinjaValue.init)) } ?? JinjaValue.none
        context["documents"] = JinjaValue.none
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        do { return try template.render(context) } catch let e as JinjaError {
            throw ChatTemplateError.template(name: name, e)
        }
    }

    /// Kimi's `deep_sort_dict`: every object's keys sorted, recursively.
    static func deepSorted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let o):
            let pairs = o.pairs.sorted { $0.key.unicodeScalars.map(\.value).lexicographicallyPrecedes($1.key.unicodeScalars.map(\.value)) }
            return .object(JSONObject(pairs.map { ($0.key, deepSorted($0.value)) }))
        case .array(let a): return .array(a.map(deepSorted))
        default: return value
        }
    }

    /// transformers' `_alias_reasoning_fields`: a message with reasoning under `reasoning_content`,
    /// `thinking` or `reasoning` becomes `{"thinking": r, **message, "reasoning_content": r}`.
    static func aliasingReasoning(_ message: JSONValue) -> JSONValue {
        guard case .object(let m) = message else { return message }
        var reasoning: JSONValue?
        for key in ["reasoning_content", "thinking", "reasoning"] {
            if let v = m[key], v != .null { reasoning = v; break }
        }
        guard let reasoning else { return message }
        var aliased = JSONObject([("thinking", reasoning)])
        for (k, v) in m.pairs { aliased[k] = v }
        aliased["reasoning_content"] = reasoning
        return .object(aliased)
    }
}
