import DataPipeline
import Storage

/// A stand-in for the K2.5 chat template producing the Kimi wire format
/// `<|im_ROLE|>NAME<|im_middle|>CONTENT<|im_end|>`. With `dropsHistoryReasoning` it reproduces
/// K2.5's non-append-only rule: assistant reasoning is kept only after the last assistant message
/// without tool calls (unless `preserve_thinking` is true).
struct ToyKimiRenderer: ChatRenderer {
    var dropsHistoryReasoning = true

    func render(_ c: Conversation, addGenerationPrompt: Bool) throws -> String {
        var out = ""
        if let tools = c.tools, !tools.isEmpty {
            out += "<|im_system|>tool_declare<|im_middle|>"
                + JSONSerializer(separators: (",", ":")).serialize(.array(tools)) + "<|im_end|>"
        }
        var lastPlain = -1
        if dropsHistoryReasoning && c.templateKeywords["preserve_thinking"] != .bool(true) {
            for (i, m) in c.messages.enumerated().reversed()
            where m["role"]?.stringValue == "assistant" && (m["tool_calls"]?.arrayValue ?? []).isEmpty {
                lastPlain = i
                break
            }
        }
        let thinkingOff = c.templateKeywords["thinking"] == .bool(false)
        for (i, m) in c.messages.enumerated() {
            guard let role = m["role"]?.stringValue else { throw ToyRenderError(message: "message \(i) has no role") }
            let name = m["name"]?.stringValue ?? role
            let content = m["content"]?.stringValue ?? ""
            switch role {
            case "user": out += "<|im_user|>\(name)<|im_middle|>\(content)"
            case "assistant":
                let reasoning = (i <= lastPlain || thinkingOff) ? "" : (m["reasoning_content"]?.stringValue ?? "")
                out += "<|im_assistant|>\(name)<|im_middle|><think>\(reasoning)</think>\(content)"
                if let calls = m["tool_calls"]?.arrayValue, !calls.isEmpty {
                    out += "<|tool_calls_section_begin|>"
                    for call in calls {
                        let arguments = call["function"]?["arguments"]
                        let text = arguments?.stringValue ?? JSONSerializer().serialize(arguments ?? .null)
                        out += "<|tool_call_begin|>\(call["id"]?.stringValue ?? "")<|tool_call_argument_begin|>\(text)<|tool_call_end|>"
                    }
                    out += "<|tool_calls_section_end|>"
                }
            case "tool":
                out += "<|im_system|>\(name)<|im_middle|>## Return of \(m["tool_call_id"]?.stringValue ?? "")\n\(content)"
            default: out += "<|im_system|>\(name)<|im_middle|>\(content)"
            }
            out += "<|im_end|>"
        }
        if addGenerationPrompt {
            out += "<|im_assistant|>assistant<|im_middle|>" + (thinkingOff ? "<think></think>" : "<think>")
        }
        return out
    }
}

struct ToyRenderError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A renderer that is not append-only in a way no history rewrite explains: it leads with the
/// message count.
struct CountingRenderer: ChatRenderer {
    func render(_ c: Conversation, addGenerationPrompt: Bool) throws -> String {
        "n=\(c.messages.count);" + (try ToyKimiRenderer(dropsHistoryReasoning: false).render(c, addGenerationPrompt: addGenerationPrompt))
    }
}

/// Bytes are ids 0...255; Kimi's special tokens get the ids after them. A stand-in for tiktoken.
struct ToyByteTokenizer: TextTokenizer {
    static let specials = ["<|im_end|>", "<|im_user|>", "<|im_assistant|>", "<|im_system|>", "<|im_middle|>",
                           "<think>", "</think>", "<|tool_calls_section_begin|>", "<|tool_calls_section_end|>",
                           "<|tool_call_begin|>", "<|tool_call_argument_begin|>", "<|tool_call_end|>"]
    var vocabularySize: Int { 256 + Self.specials.count }

    func encode(_ text: String) -> [Int] {
        var ids: [Int] = []
        var rest = Substring(text)
        outer: while !rest.isEmpty {
            if rest.first == "<" {
                for (k, s) in Self.specials.enumerated() where rest.hasPrefix(s) {
                    ids.append(256 + k)
                    rest = rest.dropFirst(s.count)
                    continue outer
                }
            }
            let c = rest.removeFirst()
            ids.append(contentsOf: String(c).utf8.map { Int($0) })
        }
        return ids
    }

    func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            if id < 256 { bytes.append(UInt8(id)) } else { bytes.append(contentsOf: Array(Self.specials[id - 256].utf8)) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Decodes each maximal run of trained positions, for readable assertions.
func trainedSpans(_ e: LabeledExample, _ tokenizer: ToyByteTokenizer = ToyByteTokenizer()) -> [String] {
    var spans: [String] = []
    var run: [Int] = []
    for t in 0..<e.count {
        if e.labels[t] != LabeledExample.ignoreLabel {
            run.append(Int(e.labels[t]))
        } else if !run.isEmpty {
            spans.append(tokenizer.decode(run)); run = []
        }
    }
    if !run.isEmpty { spans.append(tokenizer.decode(run)) }
    return spans
}

func message(_ role: String, _ content: String?, reasoning: String? = nil, toolCalls: [JSONValue]? = nil, toolCallId: String? = nil) -> JSONValue {
    var o = JSONObject([("role", .string(role)), ("content", content.map(JSONValue.string) ?? .null)])
    if let reasoning { o["reasoning_content"] = .string(reasoning) }
    if let toolCalls { o["tool_calls"] = .array(toolCalls) }
    if let toolCallId { o["tool_call_id"] = .string(toolCallId) }
    return .object(o)
}

func toolCall(_ id: String, _ name: String, _ arguments: String) -> JSONValue {
    .object(JSONObject([("id", .string(id)), ("type", .string("function")),
                        ("function", .object(JSONObject([("name", .string(name)), ("arguments", .string(arguments))])))]))
}
