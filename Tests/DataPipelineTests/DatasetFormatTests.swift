import DataPipeline
import Foundation
import Storage
import Testing
import TestSupport

/// Writes `lines` as a JSONL file in a fresh temporary directory and reads it.
func readDataset(_ lines: [String], format: DatasetFormat? = nil, policy: BadRecordPolicy = .error,
                 name: String = "d.jsonl") throws -> (records: [SourcedRecord], summary: DatasetSummary, path: String) {
    let dir = try TemporaryDirectory("dataset")
    defer { dir.remove() }
    let path = dir.file(name).path
    try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: path))
    var summary = DatasetSummary()
    let records = try DatasetReader(format: format, onBadRecord: policy).read(path, summary: &summary)
    return (records, summary, path)
}

func conversation(_ r: SourcedRecord) -> Conversation? {
    if case .conversation(let c) = r.record { return c }
    return nil
}

func json(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

@Suite("Dataset formats")
struct DatasetFormatTests {
    @Test("OpenAI messages: parts, reasoning, tools and kwargs kept; missing call ids and tool_call_ids filled")
    func openAI() throws {
        let line = #"{"messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"hi"}]},"#
            + #"{"role":"assistant","content":null,"reasoning_content":"r","tool_calls":[{"type":"function","function":{"name":"f","arguments":{"x":1}}}]},"#
            + #"{"role":"tool","content":"42"},{"role":"assistant","content":"done","name":"bot"}],"#
            + #""tools":[{"type":"function","function":{"name":"f","parameters":{}}}],"chat_template_kwargs":{"thinking":false}}"#
        let (records, summary, _) = try readDataset([line, ""])
        #expect(records.count == 1 && summary.recordsRead == 1 && summary.formats == ["openai": 1])
        let c = try #require(conversation(records[0]))
        #expect(c.messages.count == 5)
        #expect(c.messages[2]["tool_calls"]?.arrayValue?.first?["id"] == .string("functions.f:0"))
        #expect(c.messages[3]["tool_call_id"] == .string("functions.f:0"))
        #expect(c.messages[1]["content"] == (try json(#"[{"type":"text","text":"hi"}]"#)))
        #expect(c.tools?.count == 1)
        #expect(c.templateKeywords["thinking"] == .bool(false))
        #expect(records[0].source.hasSuffix("d.jsonl:1"))
    }

    @Test("ShareGPT converts to the same conversation as its OpenAI equivalent")
    func shareGPT() throws {
        let share = #"{"system":"sys","tools":"[{\"name\":\"f\",\"parameters\":{}}]","conversations":["#
            + #"{"from":"human","value":"q"},{"from":"function_call","value":"{\"name\":\"f\",\"arguments\":{\"a\":1}}"},"#
            + #"{"from":"observation","value":"res"},{"from":"gpt","value":"ans"}]}"#
        let openAI = #"{"messages":[{"role":"system","content":"sys"},{"role":"user","content":"q"},"#
            + #"{"role":"assistant","content":null,"tool_calls":[{"type":"function","function":{"name":"f","arguments":{"a":1}},"id":"functions.f:0"}]},"#
            + #"{"role":"tool","content":"res","tool_call_id":"functions.f:0"},{"role":"assistant","content":"ans"}],"#
            + #""tools":[{"type":"function","function":{"name":"f","parameters":{}}}]}"#
        let a = try readDataset([share]).records, b = try readDataset([openAI]).records
        #expect(conversation(a[0]) == conversation(b[0]))
    }

    @Test("alpaca: system, history pairs, instruction + input on a new line")
    func alpaca() throws {
        let line = #"{"instruction":"Translate","input":"你好","output":"Hello","system":"S","history":[["q1","a1"]]}"#
        let c = try #require(conversation(try readDataset([line]).records[0]))
        let roles = c.messages.map { $0["role"]?.stringValue ?? "" }
        #expect(roles == ["system", "user", "assistant", "user", "assistant"])
        #expect(c.messages[3]["content"] == .string("Translate\n你好"))
        #expect(c.messages[4]["content"] == .string("Hello"))
    }

    @Test("pre-tokenized: labels kept; without labels every position trains")
    func preTokenized() throws {
        let records = try readDataset([#"{"input_ids":[5,6,7],"labels":[-100,6,7]}"#, #"{"input_ids":[1,2],"attention_mask":[1,1]}"#]).records
        #expect(records[0].record == .tokens(LabeledExample(inputIds: [5, 6, 7], labels: [-100, 6, 7])))
        #expect(records[1].record == .tokens(LabeledExample(inputIds: [1, 2], labels: [1, 2])))
    }

    @Test("format is detected per file and can be forced")
    func forcedFormat() throws {
        // Forcing alpaca on a record that also has "messages" reads the alpaca fields.
        let line = #"{"messages":[],"instruction":"i","output":"o"}"#
        #expect(throws: DatasetError.self) { try readDataset([line]) }
        let c = try #require(conversation(try readDataset([line], format: .alpaca).records[0]))
        #expect(c.messages.count == 2)
    }

    static let malformed: [(String, String)] = [
        (#"{"messages": [1, 2"#, "invalid JSON"),
        (#"[1, 2]"#, "a record must be a JSON object, got an array"),
        (#"{"messages": []}"#, "messages is empty"),
        (#"{"messages": [{"role": "robot", "content": "x"}]}"#, "messages[0].role 'robot' is not one of"),
        (#"{"messages": [{"role": "user"}]}"#, "messages[0].content is missing"),
        (#"{"messages": [{"role": "user", "content": 3}]}"#, "messages[0].content must be a string, null or a list of parts, got a number"),
        (#"{"messages": [{"role": "assistant", "content": null}]}"#, "has no content, reasoning_content or tool_calls"),
        (#"{"messages": [{"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": 3}}]}]}"#, "tool_calls[0].function.arguments must be a JSON string or an object"),
        (#"{"messages": [{"role": "user", "content": "x"}], "tools": "not json"}"#, "tools is a string but not JSON"),
        (#"{"messages": [{"role": "user", "content": "x"}], "chat_template_kwargs": []}"#, "chat_template_kwargs must be an object"),
        (#"{"conversations": [{"from": "alien", "value": "x"}]}"#, "conversations[0].from 'alien'"),
        (#"{"conversations": [{"from": "function_call", "value": "{bad"}]}"#, "(function_call) is not JSON"),
        (#"{"instruction": "i"}"#, "output must be a string, got nothing (missing)"),
        (#"{"instruction": "i", "output": "o", "history": [["only one"]]}"#, "history[0] must be a [query, answer] pair"),
        (#"{"input_ids": [1, 2], "labels": [1]}"#, "labels has 1 entries but input_ids has 2"),
        (#"{"input_ids": [1, -5]}"#, "input_ids[1] must be a token id"),
        (#"{"input_ids": []}"#, "input_ids is empty"),
        (#"{"text": "x"}"#, "cannot tell the dataset format from keys [text]"),
        (#"{"messages": [{"role": "user", "content": "x", "name": 5}]}"#, "messages[0].name must be a string, got a number"),
        (#"{"messages": [{"role": "assistant", "content": "x", "reasoning_content": []}]}"#, "messages[0].reasoning_content must be a string"),
        (#"{"messages": [{"role": "assistant", "content": "x", "tool_calls": {}}]}"#, "messages[0].tool_calls must be an array, got an object"),
        (#"{"messages": [{"role": "assistant", "tool_calls": [{"function": {"arguments": "{}"}}]}]}"#, "tool_calls[0].function.name must be a string"),
        (#"{"messages": [{"role": "user", "content": ["x"]}]}"#, "messages[0].content[0] must be an object"),
        (#"{"messages": [{"role": "user", "content": [{"type": "text"}]}]}"#, "messages[0].content[0].text must be a string"),
        (#"{"messages": [{"role": "tool", "content": "r", "tool_call_id": 3}]}"#, "messages[0].tool_call_id must be a string"),
        (#"{"messages": [{"role": "user", "content": "x"}], "tools": [{"description": "no name"}]}"#, "tools[0].name must be a string"),
        (#"{"conversations": [{"from": "gpt"}]}"#, "conversations[0].value must be a string"),
        (#"{"instruction": "i", "output": ["ranked", "outputs"]}"#, "output must be a string, got an array"),
        (#"{"input_ids": [1, 2.5]}"#, "input_ids[1] must be a token id"),
    ]

    @Test("malformed records are errors naming file:line and the field", arguments: malformed)
    func malformedRecord(line: String, expected: String) throws {
        do {
            // Two blank lines first: the error must still name line 3.
            _ = try readDataset(["", "", line])
            Issue.record("no error for \(line)")
        } catch let error as DatasetError {
            let text = "\(error)"
            #expect(text.contains("d.jsonl:3") && text.contains(expected), "\(text)")
        }
    }

    @Test("skip policy counts every bad record with its file:line, keeps the good ones")
    func skipPolicy() throws {
        let good = #"{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]}"#
        let (records, summary, path) = try readDataset([good, "{oops", good, #"{"messages": 5}"#], policy: .skip)
        #expect(records.count == 2)
        #expect(summary.recordsRead == 4 && summary.recordsSkipped == 2)
        #expect(summary.skipReasons.count == 2)
        #expect(summary.skipReasons[0].hasPrefix("\(path):2:"))
        #expect(summary.skipReasons[1].hasPrefix("\(path):4: messages must be an array"))
        #expect(summary.line.contains("2 skipped"))
    }

    @Test("missing, empty and compressed files are typed errors")
    func unreadableFiles() throws {
        #expect(throws: DatasetError.self) {
            var s = DatasetSummary()
            _ = try DatasetReader().read("/nonexistent/x.jsonl", summary: &s)
        }
        do {
            _ = try readDataset(["", "  "])
            Issue.record("empty dataset accepted")
        } catch let error as DatasetError {
            #expect("\(error)".contains("has no records"), "\(error)")
        }
    }
}
